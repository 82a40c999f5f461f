//! `jejak exec`: commands given as JSON lines, one result per line.
//!
//! Each non-empty line is one command (`docs/commands.md`). Without `--atomic` every line is
//! carried out on its own and a bad or refused line does not stop the others; with `--atomic`
//! every line is read and decided first, and nothing is written unless all of them succeed.

use events::command::CommandEnvelope;
use serde::Serialize;
use uuid::Uuid;

use crate::commands::{CommandFailure, CommandLoop, Executed, Issuer};

/// How long a line that met a passing condition should wait before it is sent again.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The result of one line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineResult {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
    /// `ok`, `duplicate` (already in the log: nothing new written), `refused`, `invalid`,
    /// `not_written` (an atomic batch failed elsewhere), `try_again` (too much contention, or
    /// the database busy or unreachable for a moment: nothing written, send it again after
    /// `retry_after_seconds`) or `error` (the system failed).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_position: Option<i64>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub reply: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<LineError>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    pub code: String,
    pub message: String,
}

impl LineResult {
    fn executed(line: usize, executed: Executed) -> LineResult {
        LineResult {
            line,
            command_id: Some(executed.command_id),
            status: if executed.duplicate { "duplicate" } else { "ok" },
            retry_after_seconds: None,
            first_position: Some(executed.first_position),
            last_position: Some(executed.last_position),
            reply: executed.reply,
            error: None,
        }
    }

    fn failed(line: usize, command_id: Option<Uuid>, failure: &CommandFailure) -> LineResult {
        let status = match failure {
            CommandFailure::Invalid(_) | CommandFailure::InvalidInput(_) => "invalid",
            CommandFailure::Refused(_) | CommandFailure::CommandReused(_) => "refused",
            failure if failure.is_passing() => "try_again",
            _ => "error",
        };
        let retry_after_seconds = (status == "try_again").then_some(RETRY_AFTER_SECONDS);
        let error = LineError { code: failure.code().to_owned(), message: failure.to_string() };
        LineResult {
            line,
            command_id,
            status,
            retry_after_seconds,
            first_position: None,
            last_position: None,
            reply: serde_json::Value::Null,
            error: Some(error),
        }
    }

    fn not_written(line: usize, command_id: Uuid) -> LineResult {
        let error = LineError {
            code: "batch_failed".to_owned(),
            message: "another line of the atomic batch failed".to_owned(),
        };
        LineResult {
            line,
            command_id: Some(command_id),
            status: "not_written",
            retry_after_seconds: None,
            first_position: None,
            last_position: None,
            reply: serde_json::Value::Null,
            error: Some(error),
        }
    }

    pub fn succeeded(&self) -> bool {
        matches!(self.status, "ok" | "duplicate")
    }
}

/// Reads the non-empty lines of `input` as commands, with their line numbers.
fn parse(input: &str) -> Vec<(usize, Result<CommandEnvelope, CommandFailure>)> {
    input
        .lines()
        .enumerate()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(index, text)| {
            (index + 1, CommandEnvelope::from_json(text).map_err(CommandFailure::from))
        })
        .collect()
}

/// Runs every line on its own.
///
/// `done` hears each line's result as soon as it is known: a command it hears of as written is
/// committed (acknowledged), whatever happens to the process afterwards.
pub async fn run_each(
    commands: &CommandLoop,
    issuer: &Issuer,
    input: &str,
    mut done: impl FnMut(&LineResult),
) -> Vec<LineResult> {
    let mut results = Vec::new();
    for (line, parsed) in parse(input) {
        let result = match parsed {
            Err(failure) => LineResult::failed(line, None, &failure),
            Ok(envelope) => match commands.execute(&envelope, issuer).await {
                Ok(executed) => LineResult::executed(line, executed),
                Err(failure) => LineResult::failed(line, Some(envelope.command_id), &failure),
            },
        };
        done(&result);
        results.push(result);
    }
    results
}

/// Runs all lines in one transaction: all are written, or none.
pub async fn run_atomic(commands: &CommandLoop, issuer: &Issuer, input: &str) -> Vec<LineResult> {
    let parsed = parse(input);
    if parsed.iter().any(|(_, parsed)| parsed.is_err()) {
        return parsed
            .into_iter()
            .map(|(line, parsed)| match parsed {
                Ok(envelope) => LineResult::not_written(line, envelope.command_id),
                Err(failure) => LineResult::failed(line, None, &failure),
            })
            .collect();
    }
    let lines: Vec<usize> = parsed.iter().map(|(line, _)| *line).collect();
    let envelopes: Vec<CommandEnvelope> =
        parsed.into_iter().filter_map(|(_, parsed)| parsed.ok()).collect();
    match commands.execute_atomic(&envelopes, issuer).await {
        Ok(executed) => lines
            .into_iter()
            .zip(executed)
            .map(|(line, executed)| LineResult::executed(line, executed))
            .collect(),
        Err(failed) => lines
            .into_iter()
            .zip(&envelopes)
            .enumerate()
            .map(|(index, (line, envelope))| {
                if index == failed.index {
                    LineResult::failed(line, Some(envelope.command_id), &failed.failure)
                } else {
                    LineResult::not_written(line, envelope.command_id)
                }
            })
            .collect(),
    }
}
