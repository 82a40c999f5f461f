//! `jejak import attendance|sdp FILE.csv`: the paper and spreadsheet registers facilities keep,
//! and custody facts from the national prison database (SDP).
//!
//! Every row is checked first — read, then decided by the rules against the state left by the
//! rows before it — and every bad row is reported with its line number and reason. Nothing is
//! written unless every row is good; with `--skip-invalid`, the good rows are written and the
//! bad ones go to a rejects file. The rows go in as one transaction, and each row's command id
//! derives from what the row is about (attendance: the participation and the session; SDP: the
//! extract and the row), so importing the same file twice, or again after a crash, changes
//! nothing. The layouts are in `docs/imports.md`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use events::catalogue::SdpSource;
use events::command::{Command, CommandEnvelope, *};
use events::ids;
use events::person_ref::{IdKind, KEY_BYTES, person_ref};
use events::state::StreamState;
use events::vocabulary::*;
use events::{Timestamp, streams};
use serde::Serialize;
use uuid::Uuid;

use crate::commands::{BatchFailure, CommandLoop, Issuer};

/// Most rows one import file may hold.
pub const IMPORT_ROWS_MAX: usize = 100_000;

/// The namespace of import command ids.
const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x6a65_6a61_6b2d_696d_706f_7274_2d30_0001);

/// A row that cannot go in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    /// Rows written now.
    pub written: usize,
    /// Rows already in the log from an earlier import: nothing new written.
    pub already_imported: usize,
    pub rejected: Vec<RejectedRow>,
    /// True when nothing was written because some row was bad.
    pub aborted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("the header must have the columns {expected}; it lacks `{missing}`")]
    MissingColumn { missing: String, expected: String },
    #[error("unknown column `{column}`; the columns are {expected}")]
    UnknownColumn { column: String, expected: String },
    #[error("the file has {rows} rows; at most {max} may be imported at once")]
    TooManyRows { rows: usize, max: usize },
    #[error("{0}")]
    Failed(#[from] BatchFailure),
}

/// One row, read: its line, its original fields, and its command or why it has none.
struct Row {
    line: u64,
    record: csv::StringRecord,
    command: Result<CommandEnvelope, String>,
}

/// Reads a CSV whose header names exactly some of `columns`, including all of `required`.
fn read_rows(
    input: &str,
    columns: &[&str],
    required: &[&str],
) -> Result<(csv::StringRecord, Vec<(u64, csv::StringRecord)>), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(input.as_bytes());
    let header = reader.headers()?.clone();
    let expected = columns.join(", ");
    for column in &header {
        if !columns.contains(&column) {
            return Err(ImportError::UnknownColumn { column: column.to_owned(), expected });
        }
    }
    for column in required {
        if !header.iter().any(|name| name == *column) {
            return Err(ImportError::MissingColumn { missing: (*column).to_owned(), expected });
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |position| position.line());
        rows.push((line, record));
        if rows.len() > IMPORT_ROWS_MAX {
            return Err(ImportError::TooManyRows { rows: rows.len(), max: IMPORT_ROWS_MAX });
        }
    }
    Ok((header, rows))
}

/// The field `name` of a row, `None` when absent or empty.
fn field<'r>(
    header: &csv::StringRecord,
    record: &'r csv::StringRecord,
    name: &str,
) -> Option<&'r str> {
    let index = header.iter().position(|column| column == name)?;
    record.get(index).filter(|value| !value.is_empty())
}

fn required<'r>(
    header: &csv::StringRecord,
    record: &'r csv::StringRecord,
    name: &str,
) -> Result<&'r str, String> {
    field(header, record, name).ok_or_else(|| format!("`{name}` is empty"))
}

fn parse<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|error| format!("`{name}` {text:?}: {error}"))
}

fn optional<T: std::str::FromStr>(
    header: &csv::StringRecord,
    record: &csv::StringRecord,
    name: &str,
) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    field(header, record, name).map(|text| parse(name, text)).transpose()
}

/// Imports rows: checks all, then writes all (or the good ones, with `skip_invalid`).
async fn import_rows(
    commands: &CommandLoop,
    issuer: &Issuer,
    rows: Vec<Row>,
    skip_invalid: bool,
) -> Result<(ImportReport, Vec<Row>), ImportError> {
    let mut report = ImportReport { rows: rows.len(), ..ImportReport::default() };
    let mut rejected_lines: BTreeMap<u64, String> = BTreeMap::new();
    let mut good: Vec<&Row> = Vec::new();
    for row in &rows {
        match &row.command {
            Ok(_) => good.push(row),
            Err(reason) => drop(rejected_lines.insert(row.line, reason.clone())),
        }
    }
    let envelopes: Vec<CommandEnvelope> =
        good.iter().map(|row| row.command.clone().expect("good rows have commands")).collect();
    for failure in commands.check_batch(&envelopes, issuer).await? {
        rejected_lines.insert(good[failure.index].line, failure.failure.to_string());
    }
    if !rejected_lines.is_empty() && !skip_invalid {
        report.rejected =
            rejected_lines.into_iter().map(|(line, reason)| RejectedRow { line, reason }).collect();
        report.aborted = true;
        return Ok((report, rows));
    }
    let accepted: Vec<CommandEnvelope> = good
        .iter()
        .filter(|row| !rejected_lines.contains_key(&row.line))
        .map(|row| row.command.clone().expect("good rows have commands"))
        .collect();
    let (executed, late_failures) = commands.execute_accepted(&accepted, issuer).await?;
    for failure in late_failures {
        let line = good
            .iter()
            .filter(|row| !rejected_lines.contains_key(&row.line))
            .nth(failure.index)
            .map_or(0, |row| row.line);
        rejected_lines.insert(line, failure.failure.to_string());
    }
    report.written = executed.iter().filter(|executed| !executed.duplicate).count();
    report.already_imported = executed.iter().filter(|executed| executed.duplicate).count();
    report.rejected =
        rejected_lines.into_iter().map(|(line, reason)| RejectedRow { line, reason }).collect();
    Ok((report, rows))
}

/// The rejected rows as CSV: the original columns and an `error` column.
pub fn rejects_csv(
    header: &csv::StringRecord,
    rows: &[(csv::StringRecord, String)],
) -> Result<Vec<u8>, ImportError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = header.clone();
    header.push_field("error");
    writer.write_record(&header)?;
    for (record, reason) in rows {
        let mut record = record.clone();
        record.push_field(reason);
        writer.write_record(&record)?;
    }
    writer.into_inner().map_err(|error| ImportError::Csv(error.into_error().into()))
}

/// The outcome of an import and the rows it refused, for the rejects file.
pub struct Imported {
    pub report: ImportReport,
    pub header: csv::StringRecord,
    pub rejected_rows: Vec<(csv::StringRecord, String)>,
}

fn finish(report: ImportReport, header: csv::StringRecord, rows: Vec<Row>) -> Imported {
    let reasons: BTreeMap<u64, &str> =
        report.rejected.iter().map(|row| (row.line, row.reason.as_str())).collect();
    let rejected_rows = rows
        .into_iter()
        .filter_map(|row| reasons.get(&row.line).map(|reason| (row.record, (*reason).to_owned())))
        .collect();
    Imported { report, header, rejected_rows }
}

// ----------------------------------------------------------------------------------------------
// Attendance

pub const ATTENDANCE_COLUMNS: &[&str] =
    &["participation_id", "session_id", "session_date", "code", "minutes_late"];

/// Imports an attendance register.
pub async fn attendance(
    commands: &CommandLoop,
    issuer: &Issuer,
    input: &str,
    skip_invalid: bool,
) -> Result<Imported, ImportError> {
    let (header, records) = read_rows(input, ATTENDANCE_COLUMNS, &["participation_id", "code"])?;
    let mut sessions_by_package: BTreeMap<Uuid, Vec<(NaiveDate, Uuid)>> = BTreeMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for (line, record) in records {
        let command =
            attendance_command(commands, &header, &record, &mut sessions_by_package).await;
        rows.push(Row { line, record, command });
    }
    let (report, rows) = import_rows(commands, issuer, rows, skip_invalid).await?;
    Ok(finish(report, header, rows))
}

async fn attendance_command(
    commands: &CommandLoop,
    header: &csv::StringRecord,
    record: &csv::StringRecord,
    sessions_by_package: &mut BTreeMap<Uuid, Vec<(NaiveDate, Uuid)>>,
) -> Result<CommandEnvelope, String> {
    let participation_id: Uuid =
        parse("participation_id", required(header, record, "participation_id")?)?;
    let code: AttendanceCode = parse("code", required(header, record, "code")?)?;
    let minutes_late: Option<u32> = optional(header, record, "minutes_late")?;
    let session_id = match (
        optional::<Uuid>(header, record, "session_id")?,
        optional::<NaiveDate>(header, record, "session_date")?,
    ) {
        (Some(session_id), _) => session_id,
        (None, None) => return Err("give `session_id` or `session_date`".to_owned()),
        (None, Some(date)) => {
            let sessions =
                package_sessions(commands, participation_id, sessions_by_package).await?;
            let on_date: Vec<Uuid> =
                sessions.iter().filter(|(day, _)| *day == date).map(|(_, id)| *id).collect();
            match on_date.as_slice() {
                [session_id] => *session_id,
                [] => return Err(format!("the package has no session on {date}")),
                _ => {
                    return Err(format!(
                        "the package has several sessions on {date}: give `session_id`"
                    ));
                }
            }
        }
    };
    let command_id =
        ids::derived_id(IMPORT_NAMESPACE, &format!("attendance:{participation_id}:{session_id}"));
    let command = Command::RecordAttendance(RecordAttendance {
        participation_id,
        session_id,
        code,
        minutes_late,
    });
    Ok(CommandEnvelope { command_id, occurred_at: None, reason: None, document_ref: None, command })
}

async fn package_sessions<'c>(
    commands: &CommandLoop,
    participation_id: Uuid,
    cache: &'c mut BTreeMap<Uuid, Vec<(NaiveDate, Uuid)>>,
) -> Result<&'c Vec<(NaiveDate, Uuid)>, String> {
    let (_, participation) = commands
        .load_state(&streams::participation(participation_id))
        .await
        .map_err(|error| error.to_string())?;
    let StreamState::Participation(participation) = participation else {
        unreachable!("a participation stream")
    };
    let package_id = participation
        .package_id
        .ok_or_else(|| format!("participation {participation_id} does not exist"))?;
    if let std::collections::btree_map::Entry::Vacant(entry) = cache.entry(package_id) {
        let (_, package) = commands
            .load_state(&streams::package(package_id))
            .await
            .map_err(|error| error.to_string())?;
        let StreamState::Package(package) = package else { unreachable!("a package stream") };
        let sessions = package
            .sessions
            .iter()
            .filter(|(_, s)| !s.cancelled)
            .map(|(id, s)| (s.date, *id))
            .collect();
        entry.insert(sessions);
    }
    Ok(&cache[&package_id])
}

// ----------------------------------------------------------------------------------------------
// SDP custody facts

pub const SDP_COLUMNS: &[&str] = &[
    "extract_at",
    "row_ref",
    "sdp_person_id",
    "fact",
    "date",
    "facility",
    "legal_status",
    "register_class",
    "episode_ref",
    "release_type",
    "to_facility",
    "sentence_months",
    "sentence_start",
    "expiry_date",
    "sanction_end",
    "offence_group",
    "sex",
    "age_band",
    "sentence_band",
    "arrest_date",
    "conviction_date",
    "readmission_date",
    "revocation_reason",
];

/// Imports custody facts from an SDP extract. `key` turns SDP person ids into person refs.
pub async fn sdp(
    commands: &CommandLoop,
    issuer: &Issuer,
    input: &str,
    key: &[u8; KEY_BYTES],
    skip_invalid: bool,
) -> Result<Imported, ImportError> {
    let (header, records) =
        read_rows(input, SDP_COLUMNS, &["extract_at", "row_ref", "sdp_person_id", "fact", "date"])?;
    let rows = records
        .into_iter()
        .map(|(line, record)| {
            let command = sdp_command(&header, &record, key);
            Row { line, record, command }
        })
        .collect();
    let (report, rows) = import_rows(commands, issuer, rows, skip_invalid).await?;
    Ok(finish(report, header, rows))
}

fn sdp_command(
    header: &csv::StringRecord,
    record: &csv::StringRecord,
    key: &[u8; KEY_BYTES],
) -> Result<CommandEnvelope, String> {
    let text = |name: &str| required(header, record, name);
    let extract_at =
        Timestamp::parse(text("extract_at")?).map_err(|error| format!("`extract_at`: {error}"))?;
    let row_ref = text("row_ref")?.to_owned();
    let person = person_ref(key, IdKind::Sdp, text("sdp_person_id")?);
    let date: NaiveDate = parse("date", text("date")?)?;
    let sdp = Some(SdpSource { extract_at, row_ref: row_ref.clone() });
    let row_key = format!("sdp:{extract_at}:{row_ref}");
    let derived = |label: &str| ids::derived_id(IMPORT_NAMESPACE, &format!("{row_key}:{label}"));
    let command = match text("fact")? {
        "custody_episode" => Command::RecordCustodyEpisode(RecordCustodyEpisode {
            person_ref: person,
            episode_ref: text("episode_ref")?.to_owned(),
            facility: text("facility")?.to_owned(),
            admitted_on: date,
            legal_status: parse("legal_status", text("legal_status")?)?,
            register_class: optional(header, record, "register_class")?,
            sex: optional(header, record, "sex")?,
            age_band: optional(header, record, "age_band")?,
            offence_group: optional(header, record, "offence_group")?,
            sentence_band: optional(header, record, "sentence_band")?,
            sdp,
        }),
        "legal_status" => Command::ChangeLegalStatus(ChangeLegalStatus {
            person_ref: person,
            legal_status: parse("legal_status", text("legal_status")?)?,
            changed_on: date,
            sentence_months: optional(header, record, "sentence_months")?,
            offence_group: optional(header, record, "offence_group")?,
            sdp,
        }),
        "sentence_dates" => Command::UpdateSentenceDates(UpdateSentenceDates {
            person_ref: person,
            sentence_start: parse("sentence_start", text("sentence_start")?)?,
            expiry_date: parse("expiry_date", text("expiry_date")?)?,
            sdp,
        }),
        "sanction" => Command::RecordDisciplinarySanction(RecordDisciplinarySanction {
            person_ref: person,
            sanction_id: derived("sanction"),
            imposed_on: date,
            ends_on: parse("sanction_end", text("sanction_end")?)?,
            sdp,
        }),
        "transfer" => Command::RecordTransfer(RecordTransfer {
            person_ref: person,
            to_facility: text("to_facility")?.to_owned(),
            transferred_on: date,
            sdp,
        }),
        "release" => Command::RecordRelease(RecordRelease {
            person_ref: person,
            release_type: parse("release_type", text("release_type")?)?,
            released_on: date,
            sdp,
        }),
        "death" => Command::RecordDeath(RecordDeath { person_ref: person, died_on: date, sdp }),
        "revocation" => Command::RecordRevocation(RecordRevocation {
            person_ref: person,
            revoked_on: date,
            reason_code: parse("revocation_reason", text("revocation_reason")?)?,
            sdp,
        }),
        "new_case" => Command::RecordNewCase(RecordNewCase {
            person_ref: person,
            case_id: derived("case"),
            offence_date: date,
            arrest_date: optional(header, record, "arrest_date")?,
            conviction_date: optional(header, record, "conviction_date")?,
            readmission_date: optional(header, record, "readmission_date")?,
            offence_group: optional(header, record, "offence_group")?,
            source: CaseSource::Sdp,
            sdp,
        }),
        other => {
            return Err(format!(
                "`fact` {other:?} is not one of custody_episode, legal_status, sentence_dates, sanction, transfer, release, death, revocation, new_case"
            ));
        }
    };
    Ok(CommandEnvelope {
        command_id: ids::derived_id(IMPORT_NAMESPACE, &row_key),
        occurred_at: None,
        reason: None,
        document_ref: None,
        command,
    })
}
