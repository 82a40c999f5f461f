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

use events::vocabulary::{Role, TimeZone};
use events::{Source, Timestamp};

use crate::clock::{Clock, SimulatedClock, SystemClock};
use crate::commands::{CommandLoop, Issuer};
use crate::projector::Projector;
use crate::store::{Backend, Store, redact_url};
use crate::{demo, exec, export, import, keys, verify};
use projections::projection::{Config as ProjectionConfig, ProjectionDef};
use projections::report;

/// jejak: an event-sourced, hash-chained audit log of vocational training for inmates and the
/// public.
#[derive(Debug, Parser)]
#[command(name = "jejak", version, about, long_about = None)]
pub struct Cli {
    /// The database: sqlite://FILE (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "JEJAK_DATABASE_URL", default_value = "sqlite://jejak.db")]
    database_url: String,

    /// The deployment's time zone: business dates are days there.
    #[arg(long, global = true, env = "JEJAK_TIME_ZONE", default_value = "Asia/Makassar")]
    time_zone: TimeZone,

    /// The vault's master key (64 hex digits); else JEJAK_MASTER_KEY. Keep it outside the
    /// database and its backups.
    #[arg(long, global = true)]
    master_key_file: Option<PathBuf>,

    /// Positions between snapshots of the in-memory folds that answer as-of questions.
    #[arg(long, global = true, env = "JEJAK_SNAPSHOT_EVERY", default_value_t = crate::history::SNAPSHOT_EVERY_DEFAULT)]
    snapshot_every: i64,

    /// Events the projector folds per transaction when it catches up or rebuilds.
    #[arg(long, global = true, env = "JEJAK_PROJECTOR_BATCH", default_value_t = crate::projector::BATCH_EVENTS_DEFAULT)]
    projector_batch: usize,

    /// Events a rebuild folds per transaction (it holds the new read model in memory anyway).
    #[arg(long, global = true, env = "JEJAK_REBUILD_BATCH", default_value_t = crate::projector::REBUILD_BATCH_EVENTS_DEFAULT)]
    rebuild_batch: usize,

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
    /// Write a consistent copy of the whole database to FILE while the service runs: SQLite
    /// through `VACUUM INTO`, PostgreSQL through `pg_dump` (docs/operations.md).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Copy a whole log into an empty one, on the same kind of database or the other kind,
    /// keeping every position and hash (docs/operations.md).
    Copy {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Bring a backup back into the new or empty database of `--database-url`, then verify it.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Re-check the hash chain over the whole log; exits non-zero at the first break.
    Verify {
        /// Also check the log against every signed checkpoint in this file.
        #[arg(long, requires = "public_key")]
        checkpoints: Option<PathBuf>,
        /// The public key (FILE.pub of `jejak keygen`) the checkpoints must be signed with.
        #[arg(long, requires = "checkpoints")]
        public_key: Option<PathBuf>,
        /// A witness's verifier key (name+keyid+base64, docs/witness.md) whose cosignatures
        /// count toward the quorum. Repeat for each witness.
        #[arg(long = "witness", requires = "checkpoints")]
        witnesses: Vec<String>,
        /// How many of the witnesses given must have cosigned every tree checkpoint of the
        /// file (default: 1 when witnesses are given).
        #[arg(long, requires = "witnesses")]
        quorum: Option<usize>,
    },
    /// Run commands given as JSON lines (docs/commands.md), one JSON result per line.
    Exec {
        /// A file of commands, or `-` for standard input.
        file: PathBuf,
        /// Write nothing unless every command succeeds.
        #[arg(long)]
        atomic: bool,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// Import a CSV file (docs/imports.md): every row is checked first.
    Import {
        #[command(subcommand)]
        kind: ImportKind,
    },
    /// Print the person ref of an SDP person id or a public applicant's id.
    PersonRef {
        #[arg(long, conflicts_with = "applicant_id", required_unless_present = "applicant_id")]
        sdp_id: Option<String>,
        #[arg(long)]
        applicant_id: Option<String>,
        /// A file holding the person key (64 hex digits); else JEJAK_PERSON_KEY.
        #[arg(long)]
        person_key_file: Option<PathBuf>,
    },
    /// Write a new person key (64 hex digits) to FILE. Keep it outside the database.
    KeygenPerson {
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a new checkpoint signing key (Ed25519) to FILE and its public half to FILE.pub.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify the log, sign its Merkle tree's head with the key in FILE as a C2SP checkpoint
    /// and append it to CHECKPOINTS, for a second organisation to keep.
    Checkpoint {
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// The log's name in the checkpoint (C2SP origin), unique to this deployment, e.g.
        /// `jejak.rutan-soe.example/log`; by default `jejak/` and the start of the first
        /// event's hash.
        #[arg(long, env = "JEJAK_LOG_ORIGIN")]
        origin: Option<String>,
    },
    /// Prove from the log's Merkle tree (docs/merkle.md) that an event is in it, or that a
    /// larger log extends a smaller one; the proof as JSON, hashes in base64.
    Prove {
        #[command(subcommand)]
        what: ProveWhat,
    },
    /// A receipt of a grant handover or a certificate (docs/witness.md): the event, its
    /// inclusion proof and a checkpoint that holds it, signed and cosigned, as JSON; check it
    /// offline with tools/verify_receipt.py.
    Receipt {
        #[arg(long)]
        event: uuid::Uuid,
        /// The checkpoints file (of `jejak serve --checkpoint-out`, with the cosigned copies).
        #[arg(long)]
        checkpoints: PathBuf,
        /// The log's public key (FILE.pub of `jejak keygen`).
        #[arg(long)]
        public_key: PathBuf,
        /// A witness's verifier key: the checkpoint must carry its cosignature. Repeatable.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// Write the receipt here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Witness other parties' logs (docs/witness.md): cosign each new checkpoint that extends
    /// the last one cosigned, refuse forks and rollbacks. Needs no log of its own.
    Witness {
        #[command(subcommand)]
        what: WitnessWhat,
    },
    /// Rebuild read models from position 1 (all, or the ones named), then swap them in.
    Rebuild {
        /// Projections to rebuild: programme, people, monthly (default: all).
        names: Vec<String>,
    },
    /// Take the fold snapshots that as-of questions start from, ahead of the questions: for
    /// the whole log and every scope already asked about, each `--snapshot-every` positions up
    /// to the head. `jejak serve` does this by itself; where answers come from the command line,
    /// run it after large imports or from cron, so that no question pays for them.
    Snapshots,
    /// Print a view, after bringing its read model up to the head of the log.
    Report(ReportArgs),
    /// Show the head of the log, the durability settings, and each read model's checkpoint and lag.
    Status,
    /// Every breach of the programme's rules found in the log (docs/compliance.md); exits 1
    /// when there are findings.
    Compliance {
        /// Only findings recorded on or after this date.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Only findings recorded on or before this date.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Events recorded more than this many days after they occurred are findings (0 to
        /// 3650).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(i64).range(0..=3650))]
        late_after_days: i64,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Write an evidence bundle for a review period to a new directory (docs/evidence.md):
    /// the events recorded in it, reports, findings, checkpoints, a manifest of hashes.
    Evidence {
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        #[arg(long)]
        out: PathBuf,
        /// Include the signed checkpoints from this file that fall in the period's events.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// Sign the manifest with this key (from `jejak keygen`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A witness's verifier key (docs/witness.md): the checkpoints it cosigned at the
        /// period's ends go in `witnessed.json` with the proofs tying them to the events.
        #[arg(long = "witness", requires = "checkpoints")]
        witnesses: Vec<String>,
    },
    /// Serve the HTTP API (docs/api.md) until interrupted.
    Serve(ServeArgs),
    /// Users of the API and their tokens.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Personal data in the vault (docs/vault.md): every access is recorded.
    Person {
        #[command(subcommand)]
        action: PersonAction,
    },
    /// Forget a person (UU 27/2022): destroy their key and personal data and record the
    /// erasure in the log. Their events and every aggregate stay.
    Forget {
        person_ref: String,
        /// The legal basis.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// The subject-access export of a person: personal data, events, access log (JSON).
    Sar {
        person_ref: String,
        #[arg(long, default_value = "subject access request")]
        purpose: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// Measure the fixed benchmark workloads W1-W7 against the raw limit of the same database,
    /// on fresh databases of their own (docs/PERFORMANCE.md). With `--into-log`, write the
    /// workload into the log of `--database-url` instead and ask it as-of questions.
    Bench(crate::bench::command::BenchArgs),
    /// Every event about a person (their ref), a participation, a package, a grant or an
    /// actor: what, who, where, when it happened and was recorded, why; reversals beside.
    Audit {
        #[arg(value_enum)]
        subject: AuditSubject,
        /// The person ref, the participation, package or grant UUID, or the actor's name.
        id: String,
        /// Only events that occurred on or before this business date.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write a realistic fictional dataset to an empty log through the command path, then
    /// verify it.
    Demo {
        /// About how many participations the story has.
        #[arg(long, default_value_t = 400)]
        participants: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

/// Who runs the commands, recorded on every event (source `cli`).
#[derive(Debug, clap::Args)]
struct IssuerArgs {
    #[arg(long)]
    actor: String,
    #[arg(long)]
    role: Role,
    #[arg(long = "org")]
    organisation: String,
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Add a user and print their token, once: only its hash is kept.
    Add {
        name: String,
        #[arg(long)]
        role: Role,
        #[arg(long = "org")]
        organisation: String,
        /// The facility of a facility role (default: the organisation).
        #[arg(long)]
        facility: Option<String>,
    },
    /// Revoke a user's token.
    Revoke { name: String },
    /// List the active users.
    List,
}

#[derive(Debug, Subcommand)]
enum PersonAction {
    /// Record or correct a person's personal data.
    Set {
        person_ref: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        nik: Option<String>,
        #[arg(long)]
        birth_date: Option<chrono::NaiveDate>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        purpose: String,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// Show a person's personal data (JSON), for a stated purpose.
    Show {
        person_ref: String,
        #[arg(long)]
        purpose: String,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// Find a person by NIK.
    Find {
        #[arg(long)]
        nik: String,
        #[arg(long)]
        purpose: String,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ImportKind {
    /// An attendance register: participation_id, session_id or session_date, code, minutes_late.
    Attendance {
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
        #[command(flatten)]
        issuer: IssuerArgs,
    },
    /// Custody facts from an SDP extract (role `system`).
    Sdp {
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
        /// A file holding the person key (64 hex digits); else JEJAK_PERSON_KEY.
        #[arg(long)]
        person_key_file: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct ImportOptions {
    /// Write the good rows and put the bad ones in the rejects file.
    #[arg(long, requires = "rejects")]
    skip_invalid: bool,
    /// Where bad rows go with `--skip-invalid`: the original columns and an `error` column.
    #[arg(long)]
    rejects: Option<PathBuf>,
}

impl IssuerArgs {
    fn issuer(&self, source: Source) -> Issuer {
        Issuer {
            actor: self.actor.clone(),
            role: self.role,
            organisation: self.organisation.clone(),
            source,
            correlation_id: None,
            causation_id: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuditSubject {
    Person,
    Participation,
    Package,
    Grant,
    Actor,
}

impl AuditSubject {
    fn kind(self) -> projections::audit::SubjectKind {
        use projections::audit::SubjectKind;
        match self {
            AuditSubject::Person => SubjectKind::Person,
            AuditSubject::Participation => SubjectKind::Participation,
            AuditSubject::Package => SubjectKind::Package,
            AuditSubject::Grant => SubjectKind::Grant,
            AuditSubject::Actor => SubjectKind::Actor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Table,
    Csv,
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
            errln!("error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        // A reader that stopped reading (`jejak log | head`) is not an error.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            errln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let url = cli.database_url;
    match cli.command {
        Command::PersonRef { sdp_id, applicant_id, person_key_file } => {
            return run_person_ref(sdp_id, applicant_id, person_key_file);
        }
        Command::Witness { what: WitnessWhat::Serve(args) } => {
            return run_witness(args).await;
        }
        Command::KeygenPerson { out } => return run_keygen_person(out),
        Command::Keygen { out } => return run_keygen(out),
        Command::Copy { ref from, ref to } => {
            return run_copy(from, to, cli.master_key_file.as_deref()).await;
        }
        Command::Restore { ref from } => return run_restore(from, &url).await,
        Command::Bench(ref args) if !args.into_log => {
            return crate::bench::command::run_suite(args, &url, cli.time_zone).await;
        }
        _ => {}
    }
    let simulated =
        Arc::new(SimulatedClock::new(Timestamp::start_of_day(demo::STORY_START).expect("a date")));
    let clock: Arc<dyn Clock> = if matches!(cli.command, Command::Demo { .. } | Command::Bench(_)) {
        simulated.clone()
    } else {
        Arc::new(SystemClock)
    };
    let store = Store::open(&url, clock.clone())
        .await
        .with_context(|| format!("cannot open the log at {}", redact_url(&url)))?;
    let commands = CommandLoop::new(store.clone(), clock.clone(), cli.time_zone);
    let read_models = || projector(&store, cli.time_zone, cli.projector_batch, cli.rebuild_batch);
    match cli.command {
        Command::PersonRef { .. }
        | Command::KeygenPerson { .. }
        | Command::Keygen { .. }
        | Command::Witness { .. }
        | Command::Restore { .. }
        | Command::Copy { .. } => {
            unreachable!("handled above")
        }
        Command::Migrate => {
            outln!("migrations applied to {}", redact_url(&url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { stream, from, limit, format } => {
            print_log(&store, stream.as_deref(), from, limit, format).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out } => run_backup(&store, &url, out).await,
        Command::Export { out } => run_export(&store, out).await,
        Command::Verify { checkpoints, public_key, witnesses, quorum } => {
            run_verify_all(&store, checkpoints, public_key, witnesses, quorum).await
        }
        Command::Prove { what } => run_prove(&store, what).await,
        Command::Receipt { event, checkpoints, public_key, witnesses, out } => {
            run_receipt(&store, event, checkpoints, public_key, witnesses, out).await
        }
        Command::Checkpoint { key, out, origin } => {
            run_checkpoint(&store, (key, out, origin), clock.now()).await
        }
        Command::Exec { file, atomic, issuer } => run_exec(&commands, file, atomic, issuer).await,
        Command::Import { kind } => run_import(&commands, kind).await,
        Command::Rebuild { names } => run_rebuild(&store, &read_models(), names).await,
        Command::Report(args) => {
            run_report(&store, &read_models(), args, (cli.snapshot_every, clock.now())).await
        }
        Command::Compliance { from, to, late_after_days, format } => {
            run_compliance(&store, cli.time_zone, (from, to), late_after_days, format).await
        }
        Command::Evidence { from, to, out, checkpoints, key, witnesses } => {
            let at = (cli.time_zone, clock.now());
            run_evidence(&store, at, (from, to, out), (checkpoints, key, witnesses)).await
        }
        Command::Serve(args) => {
            let settings = ServeSettings {
                master_key_file: cli.master_key_file.as_deref(),
                time_zone: cli.time_zone,
                projector_batch: cli.projector_batch,
                rebuild_batch: cli.rebuild_batch,
                snapshot_every: cli.snapshot_every,
            };
            let opened = Opened { url: &url, store: &store, commands: &commands, clock: &clock };
            run_serve(args, &settings, &opened, &simulated).await
        }
        Command::User { action } => run_user(&store, action, clock.now()).await,
        Command::Person { action } => {
            run_person(&store, cli.master_key_file.as_deref(), action, clock.now()).await
        }
        Command::Forget { person_ref, reason, issuer } => {
            let key = cli.master_key_file.as_deref();
            run_forget((&commands, &store), key, (person_ref, reason, issuer), clock.now()).await
        }
        Command::Sar { person_ref, purpose, out, issuer } => {
            let at = (cli.master_key_file.as_deref(), cli.time_zone, clock.now());
            run_sar(&store, at, (person_ref, purpose, out), issuer).await
        }
        Command::Bench(args) => {
            let zone = (cli.time_zone, cli.snapshot_every);
            crate::bench::command::run_into_log(&args, &store, &simulated, zone).await
        }
        Command::Audit { subject, id, as_of, format } => {
            run_audit(&store, cli.time_zone, (subject, id, as_of), format).await
        }
        Command::Snapshots => run_snapshots(&store, cli.time_zone, cli.snapshot_every).await,
        Command::Status => run_status(&store, &read_models()).await,
        Command::Demo { participants, seed } => {
            run_demo(&store, simulated, &url, (participants, seed)).await
        }
    }
}

/// `jejak person-ref`: the pseudonymous reference of an SDP or applicant id.
fn run_person_ref(
    sdp_id: Option<String>,
    applicant_id: Option<String>,
    person_key_file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let key = keys::person_key(person_key_file.as_deref())?;
    let reference = match (sdp_id, applicant_id) {
        (Some(id), _) => events::person_ref::person_ref(&key, events::person_ref::IdKind::Sdp, &id),
        (None, Some(id)) => {
            events::person_ref::person_ref(&key, events::person_ref::IdKind::Applicant, &id)
        }
        (None, None) => anyhow::bail!("give --sdp-id or --applicant-id"),
    };
    outln!("{reference}");
    Ok(ExitCode::SUCCESS)
}

/// `jejak keygen-person`: a new person key, written to a new file.
fn run_keygen_person(out: PathBuf) -> anyhow::Result<ExitCode> {
    write_new_file(&out, &format!("{}\n", keys::new_key_hex()))?;
    outln!("wrote a new person key to {}; keep it outside the database", out.display());
    Ok(ExitCode::SUCCESS)
}

/// `jejak keygen`: a new checkpoint signing key and its public key, each to a new file.
fn run_keygen(out: PathBuf) -> anyhow::Result<ExitCode> {
    let seed = keys::new_key_hex();
    let key = events::checkpoint::signing_key(&seed)?;
    let public = events::checkpoint::public_key_hex(&key);
    let mut public_path = out.clone().into_os_string();
    public_path.push(".pub");
    let public_path = PathBuf::from(public_path);
    write_new_file(&out, &format!("{seed}\n"))?;
    write_new_file(&public_path, &format!("{public}\n"))?;
    outln!(
        "wrote a signing key to {} (keep it secret) and its public key {public} to {}",
        out.display(),
        public_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `jejak copy`: the log (and, given the master key, the users and the vault) from one database into another, verified.
async fn run_copy(
    from: &str,
    to: &str,
    master_key_file: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let source = Store::open(from, Arc::new(SystemClock))
        .await
        .with_context(|| format!("cannot open {}", redact_url(from)))?;
    let target = Store::open(to, Arc::new(SystemClock))
        .await
        .with_context(|| format!("cannot open {}", redact_url(to)))?;
    let bar = progress_bar(source.head().await?.position, "copying");
    let copied =
        crate::copy::copy_log(&source, &target, |position| bar.set_position(position as u64)).await;
    bar.finish_and_clear();
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => {
            source.close().await;
            return Err(error.into());
        }
    };
    let people = copy_people(&source, &target, master_key_file).await;
    source.close().await;
    let code = run_verify(&target).await?;
    target.close().await;
    outln!(
        "copied {} events from {} to {}, head hash {}",
        copied.position,
        redact_url(from),
        redact_url(to),
        copied.hash
    );
    match people? {
        Some(people) => outln!(
            "copied {} users, {} people in the vault and {} entries of its access log",
            people.users,
            people.people,
            people.accesses
        ),
        None => outln!(
            "the users, the vault and its access log were NOT copied: give the master key \
             (JEJAK_MASTER_KEY or --master-key-file) and copy again into an empty database \
             to move them too"
        ),
    }
    Ok(code)
}

/// `jejak restore`: a backup into an empty database, verified.
async fn run_restore(from: &std::path::Path, url: &str) -> anyhow::Result<ExitCode> {
    crate::backup::restore(from, url)
        .await
        .with_context(|| format!("cannot restore {}", from.display()))?;
    let store = Store::open(url, Arc::new(SystemClock)).await?;
    let code = run_verify(&store).await?;
    let head = store.head().await?;
    store.close().await;
    outln!(
        "restored {} into {}: {} events, head hash {}",
        from.display(),
        redact_url(url),
        head.position,
        head.hash
    );
    Ok(code)
}

/// `jejak backup`.
async fn run_backup(store: &Store, url: &str, out: PathBuf) -> anyhow::Result<ExitCode> {
    let head = store.head().await?;
    crate::backup::backup(store, url, &out)
        .await
        .with_context(|| format!("cannot back up to {}", out.display()))?;
    outln!(
        "backed up {} to {}: the log holds at least {} events (head hash {} when it began)",
        redact_url(url),
        out.display(),
        head.position,
        head.hash
    );
    Ok(ExitCode::SUCCESS)
}

/// `jejak export`: the whole log as NDJSON.
async fn run_export(store: &Store, out: PathBuf) -> anyhow::Result<ExitCode> {
    let file = File::create(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut writer = BufWriter::new(file);
    let bar = progress_bar(store.head().await?.position, "exporting");
    let head = export::export_log(store, &mut writer, |position| bar.set_position(position as u64))
        .await?;
    bar.finish_and_clear();
    outln!("exported {} events to {} (head hash {})", head.position, out.display(), head.hash);
    Ok(ExitCode::SUCCESS)
}

/// `jejak checkpoint`: signs the head of the tree and appends the checkpoint to a file.
async fn run_checkpoint(
    store: &Store,
    (key, out, origin): (PathBuf, PathBuf, Option<String>),
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let key = crate::checkpoints::read_signing_key(&key)?;
    let origin = match origin {
        Some(origin) => origin,
        None => crate::checkpoints::default_origin(store).await?,
    };
    let checkpoint = crate::checkpoints::sign_head(store, &key, now, &origin).await?;
    crate::checkpoints::append_to_file(&out, &checkpoint)?;
    let signed = crate::checkpoints::Signed::Note(checkpoint);
    outln!(
        "signed the tree of {} events (chain hash {}) as {origin} and appended it to {}",
        signed.position(),
        signed.hash().unwrap_or_default(),
        out.display()
    );
    outln!("verifier key: {}", crate::checkpoints::verifier_key(&origin, &key)?);
    Ok(ExitCode::SUCCESS)
}

/// `jejak exec`: commands from a file, each or all at once, a result line each.
async fn run_exec(
    commands: &CommandLoop,
    file: PathBuf,
    atomic: bool,
    issuer: IssuerArgs,
) -> anyhow::Result<ExitCode> {
    let input = read_input(&file)?;
    let issuer = issuer.issuer(Source::Cli);
    // One line per command, printed as soon as it is known (and so, for a written
    // command, only once it is committed).
    let mut printed: std::io::Result<()> = Ok(());
    let mut print = |result: &exec::LineResult| {
        if printed.is_ok() {
            let mut out = std::io::stdout().lock();
            printed = serde_json::to_writer(&mut out, result)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
                .and_then(|()| out.flush());
        }
    };
    let results = if atomic {
        let results = exec::run_atomic(commands, &issuer, &input).await;
        results.iter().for_each(&mut print);
        results
    } else {
        exec::run_each(commands, &issuer, &input, &mut print).await
    };
    printed?;
    let system_failed = results.iter().any(|result| matches!(result.status, "error" | "try_again"));
    let refused = results.iter().any(|result| !result.succeeded());
    Ok(if system_failed {
        ExitCode::from(2)
    } else if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `jejak rebuild`: the projections named (all by default), in one pass.
async fn run_rebuild(
    store: &Store,
    projector: &Projector,
    names: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let selected = select_projections(&names)?;
    let head = store.head().await?.position;
    let names: Vec<&str> = selected.iter().map(|projection| projection.name).collect();
    let bar = progress_bar(head, format!("rebuilding {}", names.join(", ")));
    let position = projector
        .rebuild_all(&selected, None, &mut |position| bar.set_position(position as u64))
        .await?;
    bar.finish_and_clear();
    for projection in selected {
        outln!("rebuilt {} v{} up to position {position}", projection.name, projection.version);
    }
    Ok(ExitCode::SUCCESS)
}

/// `jejak compliance`: the findings of the review period; exit 1 when there are any.
async fn run_compliance(
    store: &Store,
    zone: TimeZone,
    (from, to): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>),
    late_after_days: i64,
    format: ReportFormat,
) -> anyhow::Result<ExitCode> {
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    let settings = projections::compliance::Settings { config, late_after_days };
    let review = crate::compliance::review(store, settings, from, to).await?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match format {
        ReportFormat::Table => crate::compliance::print_table(&mut out, &review)?,
        ReportFormat::Csv => crate::compliance::write_csv(&mut out, &review)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &review)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if review.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `jejak evidence`: an auditor's bundle of a period.
async fn run_evidence(
    store: &Store,
    (zone, now): (TimeZone, Timestamp),
    (from, to, out): (chrono::NaiveDate, chrono::NaiveDate, PathBuf),
    (checkpoints, key, witnesses): (Option<PathBuf>, Option<PathBuf>, Vec<String>),
) -> anyhow::Result<ExitCode> {
    let key = key.map(|path| crate::checkpoints::read_signing_key(&path)).transpose()?;
    let witnesses = witness_keys(&witnesses)?;
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    let request = crate::evidence::Request {
        from,
        to,
        out: &out,
        checkpoints: checkpoints.as_deref(),
        witnesses: &witnesses,
        key: key.as_ref(),
        config,
        now,
    };
    let manifest = crate::evidence::write_bundle(store, request).await?;
    outln!(
        "wrote {}: positions {} to {} ({} files, {} findings, {} checkpoints{}); check it with tools/verify_export.py {}",
        out.display(),
        manifest.range.first,
        manifest.range.last,
        manifest.files.len() + 1,
        manifest.findings,
        manifest.checkpoints,
        if manifest.signer_public_key.is_some() { ", signed" } else { "" },
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `jejak user`: add, revoke or list the users of the API.
async fn run_user(store: &Store, action: UserAction, now: Timestamp) -> anyhow::Result<ExitCode> {
    match action {
        UserAction::Add { name, role, organisation, facility } => {
            let token =
                crate::users::add(store, &name, role, &organisation, facility.as_deref(), now)
                    .await?;
            outln!("{token}");
            errln!(
                "user {name} added; the token above is shown once: give it to them over a safe channel"
            );
        }
        UserAction::Revoke { name } => {
            crate::users::revoke(store, &name, now).await?;
            outln!("revoked {name}");
        }
        UserAction::List => {
            for (user, _) in crate::users::active(store).await? {
                outln!(
                    "{:<24} {:<22} {:<22} {}",
                    user.name,
                    user.role.as_str(),
                    user.organisation,
                    user.facility.unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jejak person`: a person's data in the vault.
async fn run_person(
    store: &Store,
    master_key_file: Option<&std::path::Path>,
    action: PersonAction,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let vault =
        crate::vault::Vault::new(store.clone(), crate::vault::MasterKey::load(master_key_file)?);
    match action {
        PersonAction::Set { person_ref, name, nik, birth_date, address, purpose, issuer } => {
            let record = crate::vault::PersonalRecord {
                full_name: name,
                nik,
                birth_date,
                address,
                health_notes: None,
                offence_notes: None,
            };
            vault.put(&person_ref, &record, &accessor(&issuer), &purpose, now).await?;
            outln!("recorded the personal data of {person_ref}");
        }
        PersonAction::Show { person_ref, purpose, issuer } => {
            let data = vault.get(&person_ref, &accessor(&issuer), &purpose, now).await?;
            outln!("{}", serde_json::to_string_pretty(&data)?);
        }
        PersonAction::Find { nik, purpose, issuer } => {
            match vault.find_by_nik(&nik, &accessor(&issuer), &purpose, now).await? {
                Some(person_ref) => outln!("{person_ref}"),
                None => {
                    errln!("nobody with that NIK");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `jejak forget`: erases a person's key and personal data, recording the erasure.
async fn run_forget(
    (commands, store): (&CommandLoop, &Store),
    master_key_file: Option<&std::path::Path>,
    (person_ref, reason, issuer): (String, String, IssuerArgs),
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let vault =
        crate::vault::Vault::new(store.clone(), crate::vault::MasterKey::load(master_key_file)?);
    let position = crate::forget::forget(
        commands,
        &vault,
        &person_ref,
        &reason,
        &issuer.issuer(Source::Cli),
        &accessor(&issuer),
        now,
    )
    .await?;
    outln!(
        "forgot {person_ref}: key and personal data destroyed; the erasure is at position {position}"
    );
    Ok(ExitCode::SUCCESS)
}

/// `jejak sar`: a person's subject-access export.
async fn run_sar(
    store: &Store,
    (master_key_file, zone, now): (Option<&std::path::Path>, TimeZone, Timestamp),
    (person_ref, purpose, out): (String, String, Option<PathBuf>),
    issuer: IssuerArgs,
) -> anyhow::Result<ExitCode> {
    let vault =
        crate::vault::Vault::new(store.clone(), crate::vault::MasterKey::load(master_key_file)?);
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    let export = crate::forget::subject_access(
        store,
        &vault,
        &person_ref,
        &accessor(&issuer),
        &purpose,
        now,
        &config,
    )
    .await?;
    let text = serde_json::to_string_pretty(&export)? + "\n";
    match out {
        Some(path) => {
            write_new_file(&path, &text)?;
            outln!("wrote the subject-access export of {person_ref} to {}", path.display());
        }
        None => out!(text),
    }
    Ok(ExitCode::SUCCESS)
}

/// `jejak audit`: a subject's trail.
async fn run_audit(
    store: &Store,
    zone: TimeZone,
    (subject, id, as_of): (AuditSubject, String, Option<chrono::NaiveDate>),
    format: Format,
) -> anyhow::Result<ExitCode> {
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    let trail = crate::audit::trail(store, subject.kind(), &id, as_of, &config, None).await?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match format {
        Format::Table => crate::audit::print_table(&mut out, &trail, &config)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &trail)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `jejak status`: the head, the database, any stalled session and each projection.
async fn run_status(store: &Store, projector: &Projector) -> anyhow::Result<ExitCode> {
    let (head, recorded) = store.heads().await?;
    outln!("log: {} events, head hash {}", head.position, head.hash);
    if let Some(recorded_at) = head.recorded_at {
        outln!("last recorded at {recorded_at}");
    }
    if let Some(recorded) = recorded
        .filter(|recorded| (recorded.position, &recorded.hash) != (head.position, &head.hash))
    {
        outln!(
            "WARNING: the recorded head (log_head) says position {}, hash {}, which is \
             not the last event: run `jejak verify`",
            recorded.position,
            recorded.hash
        );
    }
    let settings = store.durability().await?;
    let settings: Vec<String> =
        settings.iter().map(|(name, value)| format!("{name}={value}")).collect();
    outln!("database: {} ({})", store.backend().name(), settings.join(", "));
    let stalls = store.stalls().await?;
    if stalls.is_empty() && store.backend() == Backend::Postgres {
        outln!("stalls: none (no session waits for a lock)");
    }
    for stall in &stalls {
        outln!(
            "STALL: session {} ({}) has waited {:.1} s for a lock held by session {} ({}, {}, \
             transaction open {:.1} s): {}",
            stall.waiting_pid,
            stall.waiting_application,
            stall.waiting_seconds,
            stall.blocking_pid,
            stall.blocking_application,
            stall.blocking_state,
            stall.blocking_transaction_seconds,
            stall.blocking_query.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    outln!(
        "{:<12} {:>8} {:>10} {:>8} {:>8}  REBUILDING",
        "PROJECTION",
        "VERSION",
        "POSITION",
        "LAG",
        "LIVE"
    );
    for status in projector.status().await? {
        outln!(
            "{:<12} {:>8} {:>10} {:>8} {:>8}  {}",
            status.name,
            status.version,
            status.position,
            status.lag,
            status.live_version.map_or("-".to_owned(), |v| format!("v{v}")),
            status.rebuilding_at.map_or(String::new(), |p| format!("at position {p}")),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `jejak demo`: the demo story written through the command path, verified.
async fn run_demo(
    store: &Store,
    simulated: Arc<SimulatedClock>,
    url: &str,
    (participants, seed): (usize, u64),
) -> anyhow::Result<ExitCode> {
    let options = demo::DemoOptions { participants, seed };
    let bar = spinner("writing the demo story");
    let summary = demo::generate(store, simulated, options).await?;
    bar.finish_and_clear();
    outln!(
        "demo written to {}: {} events from {} commands ({} refused by the rules, as in real life), \
         {} packages, {} inmates, {} public applicants; the story runs from {} to {}",
        redact_url(url),
        summary.events,
        summary.commands,
        summary.refused,
        summary.packages,
        summary.inmates,
        summary.public_applicants,
        demo::STORY_START,
        demo::STORY_END,
    );
    run_verify(store).await
}

/// `jejak snapshots`: the fold snapshots as-of questions start from, taken ahead of them.
async fn run_snapshots(store: &Store, zone: TimeZone, every: i64) -> anyhow::Result<ExitCode> {
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    let history = crate::history::History::new(store.clone(), config).with_snapshot_every(every);
    let taken = history.take_snapshots_ahead().await?;
    outln!("{taken} fold snapshots taken, every {every} positions");
    Ok(ExitCode::SUCCESS)
}

/// `jejak report`: a view at the head or at a past moment, or the evaluator's person-level
/// extract.
async fn run_report(
    store: &Store,
    projector: &Projector,
    args: ReportArgs,
    (snapshot_every, now): (i64, Timestamp),
) -> anyhow::Result<ExitCode> {
    let options = report::Options {
        facility: args.facility,
        skill: args.skill,
        cut_off: args.cut_off,
        waiting_months: args.waiting_months,
        definition: args.definition,
        comparison_min: args.comparison_min,
        provider: None,
        from: args.from,
        to: args.to,
        published: false,
    };
    if args.person_level {
        let (Some(out), Some(purpose), Some(user)) = (args.out, args.purpose, args.user) else {
            anyhow::bail!("--person-level needs --out, --purpose and --as");
        };
        if args.view != "recidivism" || args.as_of.is_some() || args.known_at.is_some() {
            anyhow::bail!(
                "--person-level is an extract of the recidivism report at the head of the log: give the view recidivism, without --as-of or --known-at"
            );
        }
        let who = (user.as_str(), purpose.as_str());
        let (extract, dictionary) =
            crate::extract::write_files(store, projector, &options, who, &out, now).await?;
        outln!(
            "extract {}: {} rows to {}, data dictionary {}; recorded in the access log",
            extract.id,
            extract.rows(),
            out.display(),
            dictionary.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let config = projector.config();
    let known_at = args.known_at.map(|text| parse_moment(&text, &config)).transpose()?;
    let history =
        crate::history::History::new(store.clone(), config).with_snapshot_every(snapshot_every);
    let moment = crate::history::Moment { as_of: args.as_of, known_at };
    let format = match args.format {
        ReportFormat::Table => crate::reports::Format::Table,
        ReportFormat::Csv => crate::reports::Format::Csv,
        ReportFormat::Json => crate::reports::Format::Json,
    };
    crate::reports::print_at(projector, &history, &args.view, &options, moment, format).await?;
    Ok(ExitCode::SUCCESS)
}

async fn run_import(commands: &CommandLoop, kind: ImportKind) -> anyhow::Result<ExitCode> {
    let (imported, options) = match kind {
        ImportKind::Attendance { file, options, issuer } => {
            let input = read_input(&file)?;
            let issuer = issuer.issuer(Source::Import);
            (import::attendance(commands, &issuer, &input, options.skip_invalid).await?, options)
        }
        ImportKind::Sdp { file, options, person_key_file } => {
            let input = read_input(&file)?;
            let key = keys::person_key(person_key_file.as_deref())?;
            let issuer = Issuer {
                actor: "sdp-import".to_owned(),
                role: Role::System,
                organisation: "DITJENPAS".to_owned(),
                source: Source::Import,
                correlation_id: None,
                causation_id: None,
            };
            (import::sdp(commands, &issuer, &input, &key, options.skip_invalid).await?, options)
        }
    };
    let report = &imported.report;
    for rejected in &report.rejected {
        outln!("line {}: {}", rejected.line, rejected.reason);
    }
    if report.aborted {
        outln!("{} of {} rows are bad; nothing was written", report.rejected.len(), report.rows);
        return Ok(ExitCode::from(1));
    }
    if let Some(path) = options.rejects.filter(|_| !imported.rejected_rows.is_empty()) {
        let csv = import::rejects_csv(&imported.header, &imported.rejected_rows)?;
        std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
        outln!("{} bad rows written to {}", imported.rejected_rows.len(), path.display());
    }
    outln!(
        "{} rows: {} written, {} already imported, {} rejected",
        report.rows,
        report.written,
        report.already_imported,
        report.rejected.len()
    );
    Ok(if report.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn read_input(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut input = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
            .context("cannot read standard input")?;
        return Ok(input);
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a file that must not exist yet, readable by its owner only (keys live in these).
fn write_new_file(path: &std::path::Path, content: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(content.as_bytes())?;
    Ok(())
}

/// The server's master key: from the file or the environment, the demo's published key for
/// `--demo`, or none (personal data unavailable, said on standard error).
fn serve_master_key(
    file: Option<&std::path::Path>,
    demo: bool,
) -> anyhow::Result<Option<crate::vault::MasterKey>> {
    match crate::vault::MasterKey::load(file) {
        Ok(key) => Ok(Some(key)),
        Err(crate::vault::VaultError::NoMasterKey) if demo => {
            Ok(Some(crate::vault::MasterKey::from_bytes(crate::vault::DEMO_MASTER_KEY)))
        }
        Err(crate::vault::VaultError::NoMasterKey) => {
            errln!(
                "warning: no master key: personal data is unavailable (set JEJAK_MASTER_KEY or --master-key-file)"
            );
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// Gives the server the person key, so forms find people by number: from the file or the
/// environment, the demo's published key for `--demo`, or none (said on standard error).
fn give_person_key(
    state: &crate::server::AppState,
    file: Option<&std::path::Path>,
    demo: bool,
) -> anyhow::Result<()> {
    match keys::person_key(file) {
        Ok(key) => state.set_person_key(key),
        Err(keys::KeyError::Missing) if demo => state.set_person_key(keys::DEMO_PERSON_KEY),
        Err(keys::KeyError::Missing) => errln!(
            "warning: no person key: forms find people by NIK or reference only (set JEJAK_PERSON_KEY or --person-key-file)"
        ),
        Err(error) => return Err(error.into()),
    }
    Ok(())
}

/// The certificate and key `jejak serve` answers HTTPS with, read before it listens so that a
/// missing or unreadable file stops it with the file's name.
async fn tls_config(
    cert: Option<&std::path::Path>,
    key: Option<&std::path::Path>,
) -> anyhow::Result<Option<axum_server::tls_rustls::RustlsConfig>> {
    let (Some(cert), Some(key)) = (cert, key) else { return Ok(None) };
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "cannot use the certificate {} with the key {} (both PEM; docs/operations.md)",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Some(config))
}

/// What `jejak serve` prints once it listens: the address, any demo tokens, where to go.
fn greeting(
    scheme: &str,
    bound: std::net::SocketAddr,
    backend: Backend,
    tokens: &[(&str, events::vocabulary::Role, String)],
) -> String {
    let mut greeting =
        format!("jejak serve: listening on {scheme}://{bound} ({})\n", backend.name());
    for (name, role, token) in tokens {
        greeting.push_str(&format!("  {:<22} {:<22} {token}\n", name, role.as_str()));
    }
    if !tokens.is_empty() {
        greeting.push_str(&format!(
            "  (demo tokens, fictional data only: sign in with one at {scheme}://{bound}/ \
             or send it as `Authorization: Bearer <token>`)\n"
        ));
    }
    greeting.push_str(&format!(
        "dashboard: {scheme}://{bound}/ · API: {scheme}://{bound}/openapi.json · stop with Ctrl-C\n"
    ));
    greeting
}

/// The users, the vault and its access log copied too, when the master key is given.
async fn copy_people(
    source: &Store,
    target: &Store,
    master_key_file: Option<&std::path::Path>,
) -> anyhow::Result<Option<crate::copy::PeopleCopied>> {
    let key = match crate::vault::MasterKey::load(master_key_file) {
        Ok(key) => key,
        Err(crate::vault::VaultError::NoMasterKey) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let vault = crate::vault::Vault::new(source.clone(), key);
    Ok(Some(crate::copy::copy_people(source, &vault, target).await?))
}

fn spinner(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// `jejak report`'s options.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// enrolment, attendance, funnel, outcomes, grants, inbox, monthly, recidivism,
    /// recidivism_stock or post_release.
    view: String,
    #[arg(long)]
    facility: Option<String>,
    #[arg(long)]
    skill: Option<String>,
    /// Recidivism data cut-off (default: the date of the latest SDP extract; with
    /// `--definition 1`, the day of the last event).
    #[arg(long)]
    cut_off: Option<chrono::NaiveDate>,
    /// Recidivism waiting period for convictions, in months (default 6, at most 60).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=60))]
    waiting_months: Option<u32>,
    /// The recidivism definition: 2 (the default) or 1, to reproduce a figure published
    /// with it (docs/reports.md).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    definition: Option<u32>,
    /// Recidivism comparisons: the smallest group, followed in full, a difference between
    /// groups is shown for (default 30).
    #[arg(long, value_parser = clap::value_parser!(u32).range(5..=100_000))]
    comparison_min: Option<u32>,
    /// The world on this business date, including facts recorded later.
    #[arg(long)]
    as_of: Option<chrono::NaiveDate>,
    /// What the log knew at this moment: an RFC 3339 timestamp, or a date for the end of
    /// that day in the deployment's time zone.
    #[arg(long)]
    known_at: Option<String>,
    /// The period's first day: packages running in it, months in it, releases in it.
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// The period's last day (included).
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// The recidivism report's person-level extract for an evaluator (docs/vault.md):
    /// one row per release, people named by a pseudonym made for this extract alone,
    /// written to --out with its data dictionary beside it, recorded in the access log.
    #[arg(long, requires_all = ["out", "purpose", "user"])]
    person_level: bool,
    /// Where the person-level extract goes (CSV).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Why the extract is taken: the agreement and the study.
    #[arg(long)]
    purpose: Option<String>,
    /// The evaluator taking the extract: an active user with the evaluator role.
    #[arg(long = "as", value_name = "USER")]
    user: Option<String>,
}

/// `jejak serve`'s options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// On an empty database: write the demo story, make one user per role and print their
    /// tokens. Uses the published demo master key unless one is given.
    #[arg(long)]
    demo: bool,
    /// Sign a checkpoint of the head with this key at every interval.
    #[arg(long, requires = "checkpoint_out")]
    checkpoint_key: Option<PathBuf>,
    /// The checkpoints file to append to.
    #[arg(long, requires = "checkpoint_key")]
    checkpoint_out: Option<PathBuf>,
    /// Minutes between checkpoints.
    #[arg(long, default_value_t = 60)]
    checkpoint_minutes: u64,
    /// The log's name in its checkpoints, as for `jejak checkpoint --origin`.
    #[arg(long, env = "JEJAK_LOG_ORIGIN")]
    checkpoint_origin: Option<String>,
    /// The person key (64 hex digits), so that forms find people by SDP or applicant
    /// number; else `JEJAK_PERSON_KEY`; the demo uses its published key.
    #[arg(long)]
    person_key_file: Option<PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM), e.g. one signed by the facility's own
    /// certificate authority (docs/operations.md); phones keep the offline register only
    /// over HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A witness to offer each new checkpoint of `--checkpoint-out` to (docs/witness.md):
    /// URL=KEY, the key its verifier key (name+keyid+base64). Repeat for each witness.
    #[arg(long = "witness", requires = "checkpoint_out")]
    witnesses: Vec<String>,
}

/// The rest of the command line `jejak serve` uses.
struct ServeSettings<'a> {
    master_key_file: Option<&'a std::path::Path>,
    time_zone: TimeZone,
    projector_batch: usize,
    rebuild_batch: usize,
    snapshot_every: i64,
}

/// The log as `dispatch` opened it.
struct Opened<'a> {
    url: &'a str,
    store: &'a Store,
    commands: &'a CommandLoop,
    clock: &'a Arc<dyn Clock>,
}

/// `jejak serve`: the demo story and users when asked, the server's state, the log follower
/// and the checkpoint signer, then the API and dashboard until a signal.
async fn run_serve(
    args: ServeArgs,
    settings: &ServeSettings<'_>,
    opened: &Opened<'_>,
    simulated: &Arc<SimulatedClock>,
) -> anyhow::Result<ExitCode> {
    let ServeArgs {
        addr,
        demo,
        checkpoint_key,
        checkpoint_out,
        checkpoint_minutes,
        checkpoint_origin,
        person_key_file,
        tls_cert,
        tls_key,
        witnesses,
    } = args;
    let witnesses = witnesses
        .iter()
        .map(|text| crate::witness::client::WitnessEndpoint::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let Opened { url, store, commands, clock } = *opened;
    let master = serve_master_key(settings.master_key_file, demo)?;
    let mut tokens = Vec::new();
    if demo {
        if store.head().await?.position == 0 {
            // The story runs on its own clock, so its events are dated as it unfolds.
            let demo_store = Store::open(url, simulated.clone()).await?;
            let bar = spinner("writing the demo story");
            demo::generate(
                &demo_store,
                simulated.clone(),
                demo::DemoOptions { participants: 400, seed: 2026 },
            )
            .await?;
            bar.finish_and_clear();
            demo_store.close().await;
        }
        for (name, role, organisation) in crate::server::demo_users() {
            let token =
                crate::users::issue(store, name, role, organisation, None, clock.now()).await?;
            tokens.push((name, role, token));
        }
    }
    let projector =
        projector(store, settings.time_zone, settings.projector_batch, settings.rebuild_batch);
    let config = projector.config();
    let history = crate::history::History::new(store.clone(), config)
        .with_snapshot_every(settings.snapshot_every);
    let vault = master.map(|key| crate::vault::Vault::new(store.clone(), key));
    let state = crate::server::AppState::new(
        store.clone(),
        commands.clone(),
        projector,
        history,
        vault,
        clock.clone(),
    );
    if demo {
        state.open_overview_on(demo::LIVELY_DAY);
    }
    give_person_key(&state, person_key_file.as_deref(), demo)?;
    let tls = tls_config(tls_cert.as_deref(), tls_key.as_deref()).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn(crate::server::follow_log(state.clone(), stopped.clone()));
    tokio::spawn(crate::server::take_snapshots_ahead(state.clone(), stopped.clone()));
    if let (Some(key), Some(out)) = (checkpoint_key, checkpoint_out) {
        let key = crate::checkpoints::read_signing_key(&key)?;
        let every = Duration::from_secs(checkpoint_minutes.max(1) * 60);
        state.serve_checkpoints_from(out.clone());
        state.set_log_key(key.verifying_key());
        if !witnesses.is_empty() {
            let board = Arc::new(crate::witness::client::Witnesses::new(witnesses)?);
            state.report_witnesses(board.clone());
            let (store, clock) = (store.clone(), state.inner.clock.clone());
            let offering = crate::witness::client::keep_offering(
                store,
                board,
                out.clone(),
                clock,
                stopped.clone(),
            );
            tokio::spawn(offering);
        }
        let signer = crate::server::Signer { key, out, every, origin: checkpoint_origin };
        tokio::spawn(crate::server::sign_checkpoints(state.clone(), signer, stopped.clone()));
    }
    let bound = listener.local_addr().unwrap_or(addr);
    // The greeting: written as one piece, and a closed stdout never stops the server.
    let scheme = if tls.is_some() { "https" } else { "http" };
    let greeting = greeting(scheme, bound, store.backend(), &tokens);
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(greeting.as_bytes()).and_then(|()| stdout.flush());
    let shutdown = crate::server::shutdown_signal();
    match tls {
        Some(tls) => crate::server::serve_tls(listener, tls, state, shutdown).await?,
        None => crate::server::serve(listener, state, shutdown).await?,
    }
    let _ = stop.send(true);
    let _ = follower.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `jejak verify`: the chain and tree, then the checkpoints file against the log and, with
/// witnesses, against the quorum.
async fn run_verify_all(
    store: &Store,
    checkpoints: Option<PathBuf>,
    public_key: Option<PathBuf>,
    witnesses: Vec<String>,
    quorum: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let mut code = run_verify(store).await?;
    if let (Some(file), false) = (&checkpoints, witnesses.is_empty()) {
        let quorum = quorum.unwrap_or(1);
        if !quorum_met(file, &witnesses, quorum)? {
            code = ExitCode::from(1);
        }
    }
    if let (Some(checkpoints), Some(public_key)) = (checkpoints, public_key) {
        let public_key = crate::checkpoints::read_key(&public_key)?;
        let signed = crate::checkpoints::read_file(&checkpoints)?;
        let checked = crate::checkpoints::check(store, &signed, &public_key).await?;
        for found in &checked {
            outln!("{found}");
        }
        let failed = checked.iter().filter(|found| !found.matches()).count();
        if signed.is_empty() {
            outln!("{} holds no checkpoint", checkpoints.display());
        } else if failed == 0 {
            outln!("all {} checkpoints match the log", checked.len());
        } else {
            outln!("{failed} of {} checkpoints do NOT match the log", checked.len());
            code = ExitCode::from(1);
        }
    }
    Ok(code)
}

/// `jejak receipt`: the receipt as JSON; exit 1 while it is pending.
async fn run_receipt(
    store: &Store,
    event: uuid::Uuid,
    checkpoints: PathBuf,
    public_key: PathBuf,
    witnesses: Vec<String>,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let key = events::checkpoint::verifying_key(&crate::checkpoints::read_key(&public_key)?)?;
    let signed = crate::checkpoints::read_file(&checkpoints)?;
    let witnesses = witness_keys(&witnesses)?;
    let receipt = crate::receipts::make(store, event, &signed, &key, &witnesses).await?;
    let text = serde_json::to_string_pretty(&receipt)? + "\n";
    match out {
        Some(path) => write_new_file(&path, &text)?,
        None => out!(text),
    }
    if let Some(pending) = &receipt.pending {
        errln!("{pending}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The witnesses' verifier keys given with `--witness`, read.
fn witness_keys(
    texts: &[String],
) -> anyhow::Result<Vec<(String, events::checkpoint::VerifyingKey)>> {
    texts
        .iter()
        .map(|text| {
            events::witness::parse_verifier_key(text)
                .map_err(|error| anyhow::anyhow!("--witness {text}: {error}"))
        })
        .collect()
}

/// Whether every tree checkpoint of `file` is cosigned by at least `quorum` of `witnesses`
/// (verifier keys); says so for each.
fn quorum_met(file: &std::path::Path, witnesses: &[String], quorum: usize) -> anyhow::Result<bool> {
    let keys = witness_keys(witnesses)?;
    if quorum == 0 || quorum > keys.len() {
        anyhow::bail!(
            "--quorum {quorum}: give a number from 1 to the {} witnesses named",
            keys.len()
        );
    }
    let signed = crate::checkpoints::read_file(file)?;
    let cosigned = crate::checkpoints::cosigned(&signed, &keys);
    if cosigned.is_empty() {
        outln!("{} holds no tree checkpoint: the quorum cannot be met", file.display());
        return Ok(false);
    }
    let mut met = true;
    for found in cosigned {
        let names: Vec<&str> = found.witnesses.iter().map(String::as_str).collect();
        let enough = found.witnesses.len() >= quorum;
        met &= enough;
        outln!(
            "tree checkpoint at line {} (size {}): cosigned by {} of the {quorum} witnesses required{}{}",
            found.line,
            found.size,
            found.witnesses.len(),
            if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) },
            if enough { "" } else { ": QUORUM NOT MET" }
        );
    }
    if !met {
        outln!(
            "the quorum of {quorum} witnesses is NOT met: a checkpoint no witness vouches for may be of a rewritten log"
        );
    }
    Ok(met)
}

/// What `jejak witness` does.
#[derive(Debug, Subcommand)]
pub enum WitnessWhat {
    /// Serve the C2SP tlog-witness protocol (`POST /add-checkpoint`).
    Serve(WitnessArgs),
}

#[derive(Debug, clap::Args)]
pub struct WitnessArgs {
    /// The witness's signing key (from `jejak keygen`).
    #[arg(long)]
    key: PathBuf,
    /// The witness's name, as its cosignatures and verifier key carry it (for example
    /// `saksi.disnakertrans.contoh`).
    #[arg(long)]
    name: String,
    /// A log to witness: ORIGIN=PUBLIC_KEY, the key as a verifier key (name+id+base64) or the
    /// 64 hex digits of `jejak keygen`'s FILE.pub. Repeat for each log.
    #[arg(long = "log", required = true)]
    logs: Vec<String>,
    /// The witness's own SQLite file: what it cosigned, and what it refused.
    #[arg(long)]
    db: PathBuf,
    #[arg(long, default_value = "127.0.0.1:7380")]
    listen: std::net::SocketAddr,
}

async fn run_witness(args: WitnessArgs) -> anyhow::Result<ExitCode> {
    let key = crate::checkpoints::read_signing_key(&args.key)?;
    if args.name.is_empty() || args.name.chars().any(|c| c == '+' || c.is_whitespace()) {
        anyhow::bail!(
            "--name {:?}: a witness name is non-empty and holds no space or `+`",
            args.name
        );
    }
    let mut logs = std::collections::BTreeMap::new();
    for text in &args.logs {
        let log = crate::witness::WitnessedLog::parse(text).map_err(anyhow::Error::msg)?;
        logs.insert(log.origin.clone(), log);
    }
    let store = crate::witness::WitnessStore::open(&args.db)?;
    let witness = crate::witness::Witness {
        name: args.name,
        key,
        logs,
        store,
        stall_after_record: std::env::var_os("JEJAK_WITNESS_STALL_AFTER_RECORD").is_some(),
    };
    crate::witness::serve(witness, args.listen).await?;
    Ok(ExitCode::SUCCESS)
}

/// What `jejak prove` proves.
#[derive(Debug, Subcommand)]
pub enum ProveWhat {
    /// That the event is in the tree of SIZE events (the log's head when not given).
    Inclusion {
        #[arg(long)]
        event: uuid::Uuid,
        #[arg(long)]
        size: Option<u64>,
    },
    /// That the tree of FROM events is a prefix of the tree of TO events.
    Consistency {
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: u64,
    },
}

async fn run_prove(store: &Store, what: ProveWhat) -> anyhow::Result<ExitCode> {
    let proof = match what {
        ProveWhat::Inclusion { event, size } => {
            serde_json::to_value(crate::tree::prove_inclusion(store, event, size).await?)?
        }
        ProveWhat::Consistency { from, to } => {
            serde_json::to_value(crate::tree::prove_consistency(store, from, to).await?)?
        }
    };
    outln!("{}", serde_json::to_string_pretty(&proof)?);
    Ok(ExitCode::SUCCESS)
}

async fn run_verify(store: &Store) -> anyhow::Result<ExitCode> {
    let bar = progress_bar(store.head().await?.position, "verifying");
    let report = verify::verify_log(store, |position| bar.set_position(position as u64)).await?;
    bar.finish_and_clear();
    match report.first_break {
        None if report.tree.first_mismatch.is_some() => {
            let found = report.tree.first_mismatch.as_ref().expect("checked");
            outln!("hash chain intact: {} events", report.head.position);
            outln!("Merkle tree BROKEN: {found}");
            Ok(ExitCode::from(1))
        }
        None => {
            let head = &report.head;
            outln!("log intact: {} events, head hash {}", head.position, head.hash);
            outln!(
                "Merkle tree: the stored tiles (covering {} events) match the events",
                report.tree.stored_events
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(found) => {
            outln!("log BROKEN: {found}");
            outln!("{} events before it are intact", report.intact);
            Ok(ExitCode::from(1))
        }
    }
}

pub(crate) fn progress_bar(
    length: i64,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> ProgressBar {
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

/// A moment given as an RFC 3339 timestamp, or as a date: the last instant of that day in the
/// deployment's time zone.
fn parse_moment(text: &str, config: &ProjectionConfig) -> anyhow::Result<Timestamp> {
    if let Ok(date) = text.parse::<chrono::NaiveDate>() {
        let end = projections::history::end_of_day(config, date)
            .and_then(|end| end.checked_add_micros(-1))
            .with_context(|| format!("{date} is outside the dates jejak can represent"))?;
        return Ok(end);
    }
    Timestamp::parse(text).map_err(|error| {
        anyhow::anyhow!("--known-at {text}: {error}; give an RFC 3339 timestamp or a date")
    })
}

/// Who reads or writes personal data from the command line, for the access log.
fn accessor(issuer: &IssuerArgs) -> crate::vault::Accessor {
    crate::vault::Accessor {
        actor: issuer.actor.clone(),
        role: issuer.role.as_str().to_owned(),
        organisation: issuer.organisation.clone(),
        request_id: None,
    }
}

/// The projector the read-model commands share, with the deployment's time zone and batch size.
fn projector(store: &Store, zone: TimeZone, batch: usize, rebuild_batch: usize) -> Projector {
    let config = ProjectionConfig { utc_offset_hours: zone.utc_offset_hours() };
    Projector::new(store.clone(), config)
        .with_batch_events(batch)
        .with_rebuild_batch_events(rebuild_batch)
}

fn select_projections(names: &[String]) -> anyhow::Result<Vec<ProjectionDef>> {
    if names.is_empty() {
        return Ok(projections::projection::all().to_vec());
    }
    names
        .iter()
        .map(|name| {
            projections::projection::named(name).with_context(|| {
                format!("no projection `{name}`: use programme, people or monthly")
            })
        })
        .collect()
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
