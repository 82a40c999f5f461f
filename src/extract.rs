//! The evaluator's person-level extract of the recidivism report (docs/reports.md, "The
//! evaluator's extract"; docs/vault.md): built from the people read model at the head, every
//! person ref replaced by a pseudonym made for this extract alone (HMAC-SHA256 under a random
//! key drawn here and dropped when the extract is written), and recorded in the access log
//! with who took it and why.

use events::Timestamp;
use events::vocabulary::Role;
use hmac::{Hmac, KeyInit, Mac};
use projections::report::{Cell, Options, Report};
use projections::views::person_level;
use sha2::Sha256;

use crate::projector::Projector;
use crate::reports::ReportError;
use crate::store::{Store, StoreFailure};
use crate::vault::Accessor;

/// The access log's action for an extract.
pub const ACTION: &str = "recidivism_person_level_extract";
/// The shortest purpose accepted (a reason, not a word), and the longest.
const PURPOSE_MIN: usize = 10;
const PURPOSE_MAX: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(
        "Hanya peran evaluator yang boleh mengambil ekstrak tingkat orang; peran {0} tidak. / Only the evaluator role may take the person-level extract; role {0} may not."
    )]
    NotEvaluator(String),
    #[error(
        "Tuliskan tujuan pengambilan dalam {PURPOSE_MIN} sampai {PURPOSE_MAX} karakter, misalnya nomor perjanjian dan nama studi. / Give the purpose in {PURPOSE_MIN} to {PURPOSE_MAX} characters, e.g. the agreement number and the study."
    )]
    NoPurpose,
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("could not record the extract in the access log: {0}")]
    Log(#[from] crate::vault::VaultError),
}

impl StoreFailure for ExtractError {
    fn store_error(&self) -> Option<&crate::store::StoreError> {
        match self {
            ExtractError::Report(error) => error.store_error(),
            _ => None,
        }
    }
}

/// One extract: its id, as the access log names it, and its rows.
pub struct Extract {
    pub id: uuid::Uuid,
    pub report: Report,
}

impl Extract {
    pub fn rows(&self) -> usize {
        self.report.sections[0].rows.len()
    }

    /// The extract as CSV: a header, then one line per release.
    pub fn csv(&self) -> String {
        let section = &self.report.sections[0];
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&section.columns).expect("writing to memory");
        for row in &section.rows {
            writer.write_record(row.iter().map(Cell::display)).expect("writing to memory");
        }
        String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8")
    }
}

/// The data dictionary as CSV: each column's name, type and meaning.
pub fn dictionary_csv() -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["column", "type", "meaning"]).expect("writing to memory");
    for (column, kind, meaning) in person_level::dictionary() {
        writer.write_record([column.as_str(), kind, meaning.as_str()]).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8")
}

/// Takes an extract for `who` (who must be an evaluator) for `purpose`: builds it, replaces
/// every person ref with this extract's pseudonym, and records it in the access log before
/// handing it over.
pub async fn take(
    store: &Store,
    projector: &Projector,
    options: &Options,
    who: &Accessor,
    purpose: &str,
    now: Timestamp,
) -> Result<Extract, ExtractError> {
    if who.role != Role::Evaluator.as_str() {
        return Err(ExtractError::NotEvaluator(who.role.clone()));
    }
    let purpose = purpose.trim();
    if !(PURPOSE_MIN..=PURPOSE_MAX).contains(&purpose.chars().count()) {
        return Err(ExtractError::NoPurpose);
    }
    let view = projections::views::ViewDef {
        name: person_level::VIEW,
        projection: projections::people::DEF.name,
        build: person_level::build,
        write: None,
        reads: None,
    };
    let mut report = crate::reports::build_view(projector, view, options).await?;
    let position = report.provenance.log_position;
    pseudonymise(&mut report, &rand::random::<[u8; 32]>());
    let extract = Extract { id: uuid::Uuid::new_v4(), report };
    let subject = format!("extract:{}", extract.id);
    let asked: Vec<String> =
        extract.report.parameters.iter().map(|(name, value)| format!("{name}={value}")).collect();
    let logged = format!(
        "{purpose} ({} rows, log position {position}, {})",
        extract.rows(),
        asked.join(" ")
    );
    crate::vault::log_access(store, who, &subject, ACTION, &logged, now).await?;
    Ok(extract)
}

/// Replaces the person ref in the first column of every row by HMAC-SHA256 under `key`
/// (the first 16 bytes, in hex); anything else there is blanked, never passed on.
fn pseudonymise(report: &mut Report, key: &[u8; 32]) {
    for row in &mut report.sections[0].rows {
        row[0] = match &row[0] {
            Cell::Text(person_ref) => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any length");
                mac.update(person_ref.as_bytes());
                Cell::text(hex::encode(&mac.finalize().into_bytes()[..16]))
            }
            _ => Cell::Empty,
        };
    }
}

/// `jejak report recidivism --person-level --out FILE --purpose … --as USER`: takes an
/// extract for the named user (an active user with the evaluator role) and writes it to
/// `out`, with its data dictionary beside it (`FILE.dictionary.csv`). Returns the extract and
/// the dictionary's path.
pub async fn write_files(
    store: &Store,
    projector: &Projector,
    options: &Options,
    (user, purpose): (&str, &str),
    out: &std::path::Path,
    now: Timestamp,
) -> anyhow::Result<(Extract, std::path::PathBuf)> {
    let users = crate::users::active(store).await?;
    let Some((user, _)) = users.iter().find(|(u, _)| u.name == user) else {
        anyhow::bail!(
            "Tidak ada pengguna aktif bernama {user}; tambahkan dengan `jejak user add --role evaluator`. / No active user named {user}; add one with `jejak user add --role evaluator`."
        );
    };
    let who = Accessor {
        actor: user.name.clone(),
        role: user.role.as_str().to_owned(),
        organisation: user.organisation.clone(),
        request_id: None,
    };
    let extract = take(store, projector, options, &who, purpose, now).await?;
    let dictionary = out.with_extension("dictionary.csv");
    std::fs::write(out, extract.csv())?;
    std::fs::write(&dictionary, dictionary_csv())?;
    Ok((extract, dictionary))
}
