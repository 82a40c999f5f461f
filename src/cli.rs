//! The command line: `jejak <command>`. Parses arguments, opens the store, calls the shell
//! function behind each command and prints what it returns. The only module that prints.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use events::RecordedEvent;
use events::limits::PAGE_EVENTS_MAX;
use indicatif::{ProgressBar, ProgressStyle};

use crate::clock::SystemClock;
use crate::store::{Store, redact_url};
use crate::{demo, export, verify};

/// jejak: an event-sourced, hash-chained audit log of vocational training for inmates and the
/// public.
#[derive(Debug, Parser)]
#[command(name = "jejak", version, about, long_about = None)]
pub struct Cli {
    /// The database: sqlite://FILE (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "JEJAK_DATABASE_URL", default_value = "sqlite://jejak.db")]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the database migrations that are not yet applied.
    Migrate,
    /// Print events of the log in position order.
    Log {
        /// Only the events of this stream.
        #[arg(long)]
        stream: Option<String>,
        /// Start at this position.
        #[arg(long, default_value_t = 1)]
        from: i64,
        /// Print at most this many events (default: all).
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the whole log to FILE as NDJSON, one event per line with every envelope field.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Re-check the hash chain over the whole log; exits non-zero at the first break.
    Verify,
    /// Write a small fictional sample to an empty log, then verify it.
    Demo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// Runs the command line and returns the process's exit code: 0 on success, 1 when `verify`
/// finds a broken chain, 2 on any error.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let url = cli.database_url;
    let store = Store::open(&url, Arc::new(SystemClock))
        .await
        .with_context(|| format!("cannot open the log at {}", redact_url(&url)))?;
    match cli.command {
        Command::Migrate => {
            println!("migrations applied to {}", redact_url(&url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { stream, from, limit, format } => {
            print_log(&store, stream.as_deref(), from, limit, format).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { out } => {
            let file =
                File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let mut writer = BufWriter::new(file);
            let bar = progress_bar(store.head().await?.position, "exporting");
            let head = export::export_log(&store, &mut writer, |position| {
                bar.set_position(position as u64)
            })
            .await?;
            bar.finish_and_clear();
            println!(
                "exported {} events to {} (head hash {})",
                head.position,
                out.display(),
                head.hash
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => run_verify(&store).await,
        Command::Demo => {
            let written = demo::write_sample(&store).await?;
            println!("wrote {written} sample events to {}", redact_url(&url));
            run_verify(&store).await
        }
    }
}

async fn run_verify(store: &Store) -> anyhow::Result<ExitCode> {
    let bar = progress_bar(store.head().await?.position, "verifying");
    let report = verify::verify_log(store, |position| bar.set_position(position as u64)).await?;
    bar.finish_and_clear();
    match report.first_break {
        None => {
            let head = &report.head;
            println!("log intact: {} events, head hash {}", head.position, head.hash);
            Ok(ExitCode::SUCCESS)
        }
        Some(found) => {
            println!("log BROKEN: {found}");
            println!("{} events before it are intact", report.intact);
            Ok(ExitCode::from(1))
        }
    }
}

fn progress_bar(length: i64, message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length.max(0) as u64).with_message(message);
    let style =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events, {per_sec}, {eta} left")
            .expect("the template is valid")
            .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

const LOG_HEADER: &str = "POSITION  RECORDED_AT                  STREAM                                        \
     VER  TYPE                          ACTOR                 SOURCE";

async fn print_log(
    store: &Store,
    stream: Option<&str>,
    from: i64,
    limit: Option<usize>,
    format: Format,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if format == Format::Table {
        writeln!(out, "{LOG_HEADER}")?;
    }
    let mut remaining = limit.unwrap_or(usize::MAX);
    let mut cursor = if stream.is_some() { 1 } else { from };
    while remaining > 0 {
        let page_size = remaining.min(PAGE_EVENTS_MAX);
        let page = match stream {
            Some(stream) => store.read_stream(stream, cursor, PAGE_EVENTS_MAX).await?,
            None => store.read_all(cursor, page_size).await?,
        };
        let Some(last) = page.last() else { break };
        cursor = if stream.is_some() { last.stream_version + 1 } else { last.position + 1 };
        for event in page.iter().filter(|event| event.position >= from).take(remaining) {
            write_event(&mut out, event, format)?;
            remaining -= 1;
        }
    }
    out.flush()?;
    Ok(())
}

fn write_event(out: &mut impl Write, event: &RecordedEvent, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, event)?;
            writeln!(out)?;
        }
        Format::Table => writeln!(
            out,
            "{:>8}  {:<27}  {:<44}  {:>4}  {:<28}  {:<20}  {}",
            event.position,
            event.recorded_at.to_string(),
            event.stream_id,
            event.stream_version,
            event.event_type,
            event.actor,
            event.source
        )?,
    }
    Ok(())
}
