//! Every refusal of the rules in words people understand: what is wrong and what to do, in
//! Bahasa Indonesia and English. The match below has no catch-all: a new `Rejection` does
//! not compile until it has its words here.

use axum::http::StatusCode;
use events::rejection::Rejection;

use super::i18n::{Lang, t};
use super::words::word;
use crate::commands::CommandFailure;
use crate::server::error::ApiError;

/// A code as a word in the language, or the code itself when it is not one of the lists'.
fn w(code: &str, lang: Lang) -> String {
    word(code, lang == Lang::Id).map_or_else(|| code.replace('_', " "), str::to_owned)
}

/// The phrases the rules name things with (`what`, `action`, `rule`), in Bahasa Indonesia.
const PHRASES: &[(&str, &str)] = &[
    ("package", "paket"),
    ("the package", "paket"),
    ("person", "orang"),
    ("inmate", "warga binaan"),
    ("session", "sesi"),
    ("participation", "keikutsertaan"),
    ("the participation", "keikutsertaan"),
    ("reversible event", "catatan yang dapat dikoreksi"),
    ("organisation", "organisasi"),
    ("facility", "UPT"),
    ("eligibility override", "pengecualian syarat"),
    ("correction request", "permohonan koreksi"),
    ("the grant", "bantuan"),
    ("grant", "bantuan"),
    ("task", "tugas"),
    ("stream", "catatan"),
    ("sanction", "hukuman disiplin"),
    ("pending override request", "permohonan pengecualian"),
    ("open participation of this person in this package", "keikutsertaan orang ini di paket ini"),
    ("monitoring visit", "kunjungan monitoring"),
    ("follow-up contact", "kontak pendampingan"),
    ("erasure of personal data for", "penghapusan data pribadi"),
    ("death record for", "catatan kematian"),
    ("correction request for event", "permohonan koreksi atas catatan"),
    ("certificate", "sertifikat"),
    ("case", "perkara"),
    ("assessment", "asesmen"),
    ("acknowledgement by", "tanda terima oleh"),
    ("accept participants", "menerima peserta"),
    ("nominate for it", "mengusulkan peserta"),
    ("register for it", "mendaftarkan peserta"),
    ("start it", "memulainya"),
    ("start participants before it starts", "memulai peserta sebelum paket dimulai"),
    (
        "a correction is approved by someone other than its requester",
        "koreksi disetujui oleh orang selain pemohonnya",
    ),
    (
        "a grant is approved by someone other than its proposer",
        "bantuan disetujui oleh orang selain pengusulnya",
    ),
    (
        "a grant is handed over by someone other than its proposer and its approver",
        "bantuan diserahkan oleh orang selain pengusul dan penyetujunya",
    ),
    (
        "a nomination is decided by someone other than its nominator",
        "usulan diputus oleh orang selain pengusulnya",
    ),
    (
        "an eligibility override is approved by someone other than its requester",
        "pengecualian syarat disetujui oleh orang selain pemohonnya",
    ),
    ("follow-up contacts are recorded after release", "kontak pendampingan dicatat setelah bebas"),
    (
        "only a conditional release (PB, CB, CMB) can be revoked",
        "hanya pembebasan bersyarat (PB, CB, CMB) yang dapat dicabut",
    ),
    (
        "public applicants follow the provider's rules, not eligibility for inmates",
        "peserta umum mengikuti aturan penyelenggara, bukan syarat warga binaan",
    ),
    (
        "the graduate is in custody: defer the handover or hand over to a documented representative",
        "lulusan masih ditahan: tunda serah terima, atau serahkan kepada perwakilan dengan surat kuasa",
    ),
    (
        "the participant graduated on this result; the graduation stands",
        "peserta sudah lulus dengan hasil ini; kelulusan tetap berlaku",
    ),
    (
        "the person is in custody: nominate them as an inmate",
        "orang ini sedang ditahan: usulkan sebagai warga binaan",
    ),
    (
        "training was completed on this attendance; it can no longer change",
        "pelatihan sudah dinyatakan selesai dengan presensi ini; presensi tidak dapat diubah lagi",
    ),
];

/// A `NotAllowed` detail in Bahasa Indonesia: the rules' own phrase, or "the package runs
/// until DATE" with its date.
fn not_allowed(detail: &str) -> String {
    if let Some(date) = detail.strip_prefix("the package runs until ") {
        return format!("paket berjalan sampai {date}");
    }
    p(detail, Lang::Id)
}

/// A phrase of the rules in the language (English as the rules say it).
fn p(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Id => PHRASES.iter().find(|(en, _)| *en == text).map_or(text, |(_, id)| id),
        Lang::En => text,
    }
    .to_owned()
}

/// What was refused and what to do, in `lang`.
pub fn refusal(rejection: &Rejection, lang: Lang) -> String {
    let id = lang == Lang::Id;
    let say = |indonesian: String, english: String| if id { indonesian } else { english };
    match rejection {
        Rejection::NotPermitted { role, command } => say(
            format!("Peran {} tidak berwenang untuk tindakan ini ({command}). Minta petugas yang berwenang melakukannya.", w(role, lang)),
            format!("The role {} may not do this ({command}). Ask an officer who may.", w(role, lang)),
        ),
        Rejection::WrongOrganisation { what, owner, actor_organisation } => say(
            format!("{actor_organisation} hanya dapat mencatat untuk {} milik sendiri; ini milik {owner}. Minta petugas {owner} mencatatnya.", p(what, lang)),
            format!("{actor_organisation} may act only on its own {what}; this one is {owner}'s. Ask {owner} to record it."),
        ),
        Rejection::SegregationOfDuties { rule } => say(
            format!("Pemisahan fungsi: {}. Orang lain harus melakukan langkah ini.", p(rule, lang)),
            format!("Segregation of duties: {rule}. Someone else must take this step."),
        ),
        Rejection::NotFound { what, id: which } => say(
            format!("Data {} {which} tidak ditemukan. Periksa pilihan Anda, atau catat dahulu datanya.", p(what, lang)),
            format!("{what} {which} was not found. Check your choice, or record it first."),
        ),
        Rejection::AlreadyExists { what, id: which } => say(
            format!("Data {} {which} sudah tercatat. Tidak perlu mencatatnya lagi.", p(what, lang)),
            format!("{what} {which} is already recorded. There is no need to record it again."),
        ),
        Rejection::InvalidState { what, state, action } => say(
            format!("Tidak dapat {}: {} berstatus {}. Lihat statusnya di daftar peserta atau jejak audit.", p(action, lang), p(what, lang), w(state, lang)),
            format!("This cannot be done: {what} is {} and cannot {action}. Check its state in the enrolment list or the audit trail.", w(state, lang)),
        ),
        Rejection::InvalidField { field, detail } => say(
            format!("Isian {field} tidak sah: {detail}. Perbaiki isian ini."),
            format!("{field} is not valid: {detail}. Correct it."),
        ),
        Rejection::Required { field } => say(
            format!("{field} wajib diisi. Isi lalu kirim lagi."),
            format!("{field} is required. Fill it in and send again."),
        ),
        Rejection::DateOutOfRange { field, date, min, max } => say(
            format!("Tanggal {field} ({date}) di luar jangkauan: hanya {min} sampai {max}. Periksa tahunnya."),
            format!("The date {field} ({date}) is out of range: {min} to {max} only. Check the year."),
        ),
        Rejection::NegativeRupiah { field, amount } => say(
            format!("Nilai rupiah {field} tidak boleh negatif ({amount}). Tulis nilai 0 atau lebih."),
            format!("The rupiah amount {field} cannot be negative ({amount}). Give 0 or more."),
        ),
        Rejection::RupiahOverflow { field } => say(
            format!("Nilai rupiah {field} terlalu besar. Periksa jumlah dan harga satuan."),
            format!("The rupiah total {field} is too large. Check the quantities and unit values."),
        ),
        Rejection::QuotaFull { taken, quota } => say(
            format!("Kuota penuh: {taken} dari {quota} tempat sudah terisi. Peserta dapat dimasukkan ke daftar tunggu, atau kuota paket diubah."),
            format!("The quota is full: {taken} of {quota} places are taken. Put the participant on the waiting list, or amend the package's quota."),
        ),
        Rejection::QuotaBelowAccepted { accepted } => say(
            format!("Kuota tidak boleh kurang dari {accepted} peserta yang sudah diterima. Tulis kuota {accepted} atau lebih."),
            format!("The quota cannot go below the {accepted} participants already accepted. Give {accepted} or more."),
        ),
        Rejection::OutsidePackagePeriod { date, start, end } => say(
            format!("Tanggal {date} di luar periode paket ({start} sampai {end}). Pilih tanggal dalam periode, atau ubah periode paket."),
            format!("{date} is outside the package period ({start} to {end}). Choose a date within it, or amend the package's dates."),
        ),
        Rejection::SessionCancelled { .. } => say(
            "Sesi ini sudah dibatalkan; presensi tidak dicatat untuk sesi yang batal. Pilih sesi lain.".to_owned(),
            "This session was cancelled; no attendance is taken for it. Choose another session.".to_owned(),
        ),
        Rejection::AttendanceAlreadyRecorded { .. } => say(
            "Presensi peserta ini untuk sesi ini sudah tercatat. Untuk mengubahnya, ajukan koreksi atas catatan itu.".to_owned(),
            "This participant's attendance for this session is already recorded. To change it, correct that record.".to_owned(),
        ),
        Rejection::NotActiveOnDate { date } => say(
            format!("Peserta tidak sedang mengikuti pelatihan pada {date} (belum mulai, ditangguhkan atau sudah berhenti). Periksa status peserta."),
            format!("The participant was not in training on {date} (not started, suspended or stopped). Check their state."),
        ),
        Rejection::BelowAttendanceThreshold { attended, expected, threshold } => say(
            format!("Kehadiran {attended} dari {expected} sesi di bawah ambang {threshold}%. Peserta tidak dapat dinyatakan selesai."),
            format!("Attendance of {attended} out of {expected} sessions is below the {threshold}% threshold. The participant cannot be marked as completed."),
        ),
        Rejection::NotCompetent => say(
            "Belum ada hasil uji kompetensi 'kompeten' yang berlaku. Catat hasil asesmen dahulu.".to_owned(),
            "There is no standing 'competent' result. Record the assessment first.".to_owned(),
        ),
        Rejection::NotEntitledToGrant { allowed, state } => say(
            format!("Bantuan paket ini hanya untuk {}; peserta ini berstatus {}.", w(allowed, lang), w(state, lang)),
            format!("This package's grants are for {} only; this participant is {}.", w(allowed, lang), w(state, lang)),
        ),
        Rejection::OpenGrantExists => say(
            "Peserta ini sudah memiliki usulan bantuan yang masih berjalan. Selesaikan atau batalkan dahulu usulan itu.".to_owned(),
            "This participant already has an open grant. Finish or cancel that one first.".to_owned(),
        ),
        Rejection::SystemOnlyReason { reason } => say(
            format!("Alasan \"{}\" hanya dicatat otomatis oleh sistem. Pilih alasan lain.", w(reason, lang)),
            format!("The reason \"{}\" is recorded by the system alone. Choose another reason.", w(reason, lang)),
        ),
        Rejection::FacilityNotInPackage { facility } => say(
            format!("{facility} tidak terdaftar sebagai peserta paket ini. Pilih paket untuk UPT Anda, atau minta Disnakertrans menambahkannya."),
            format!("{facility} does not take part in this package. Choose a package for your facility, or ask the training office to add it."),
        ),
        Rejection::NotInCustody => say(
            "Orang ini tidak sedang ditahan menurut data SDP. Periksa nomor SDP, atau catat masa penahanannya dahulu.".to_owned(),
            "This person is not in custody according to the SDP data. Check the SDP number, or record the custody episode first.".to_owned(),
        ),
        Rejection::WaitlistOrder => say(
            "Hanya yang pertama di daftar tunggu yang dapat diterima berikutnya. Terima peserta urutan pertama.".to_owned(),
            "Only the first on the waiting list may be accepted next. Accept the first in line.".to_owned(),
        ),
        Rejection::NothingPending { what, id: which } => say(
            format!("Tidak ada {} {which} yang menunggu keputusan. Mungkin sudah diputus orang lain; muat ulang Tugas saya.", p(what, lang)),
            format!("No {what} {which} is waiting for a decision. Someone may have decided it; reload My work."),
        ),
        Rejection::NotReversible { event_type } => say(
            format!("Catatan {event_type} tidak dapat dikoreksi. Catat fakta baru sebagai gantinya."),
            format!("A {event_type} record cannot be reversed. Record a new fact instead."),
        ),
        Rejection::AlreadyReversed { .. } => say(
            "Catatan ini sudah dikoreksi sebelumnya. Tidak perlu dikoreksi lagi.".to_owned(),
            "This record was already corrected. There is no need to correct it again.".to_owned(),
        ),
        Rejection::ReversalOfReversal => say(
            "Koreksi tidak dapat dikoreksi lagi. Catat fakta yang benar sebagai catatan baru.".to_owned(),
            "A correction cannot itself be reversed. Record the right fact as a new record.".to_owned(),
        ),
        Rejection::RecoveryExceedsGrant { amount, available } => say(
            format!("Pengembalian Rp{amount} melebihi Rp{available} yang masih dapat ditarik kembali. Periksa jumlahnya."),
            format!("Recovering Rp{amount} exceeds the Rp{available} that can still be recovered. Check the amount."),
        ),
        Rejection::PersonMerged { surviving_ref } => say(
            format!("Data orang ini sudah digabung ke {surviving_ref}. Catat di data tersebut."),
            format!("This person's record was merged into {surviving_ref}. Record it there."),
        ),
        Rejection::NotAllowed { detail } => say(
            format!("Tidak diizinkan: {}.", not_allowed(detail)),
            format!("Not allowed: {detail}."),
        ),
    }
}

/// A command that wrote nothing, as a page says it: the field it is about (`""` for the form
/// as a whole), what is wrong and what to do, and the status it answers with (the API's).
pub fn of_failure(
    failure: CommandFailure,
    lang: Lang,
    request_id: &str,
) -> (&'static str, String, StatusCode) {
    let status = ApiError::from_command(failure.clone(), request_id).status();
    let (field, message) = match &failure {
        CommandFailure::Refused(rejection) => {
            (field_of(rejection).unwrap_or_default(), refusal(rejection, lang))
        }
        CommandFailure::CommandReused(_) => ("", t(lang, "ui.form_reused").to_owned()),
        failure if failure.is_passing() => ("", t(lang, "ui.try_again").to_owned()),
        failure => ("", failure.to_string()),
    };
    (field, message, status)
}

/// The form field a refusal is about, when it names one the form has.
pub fn field_of(rejection: &Rejection) -> Option<&'static str> {
    match rejection {
        Rejection::InvalidField { field, .. }
        | Rejection::Required { field }
        | Rejection::DateOutOfRange { field, .. }
        | Rejection::NegativeRupiah { field, .. }
        | Rejection::RupiahOverflow { field } => Some(field),
        Rejection::QuotaBelowAccepted { .. } => Some("quota_total"),
        Rejection::RecoveryExceedsGrant { .. } => Some("amount_rupiah"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    /// One refusal of every kind.
    pub(crate) fn every_rejection() -> Vec<Rejection> {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (what, id) = ("package", "p1".to_owned());
        vec![
            Rejection::NotPermitted { role: "auditor".to_owned(), command: "nominate_inmate" },
            Rejection::WrongOrganisation {
                what,
                owner: "LAPAS-X".to_owned(),
                actor_organisation: "RUTAN-Y".to_owned(),
            },
            Rejection::SegregationOfDuties { rule: "the nominator may not approve" },
            Rejection::NotFound { what, id: id.clone() },
            Rejection::AlreadyExists { what, id: id.clone() },
            Rejection::InvalidState { what, state: "closed".to_owned(), action: "start" },
            Rejection::InvalidField { field: "hours", detail: "0".to_owned() },
            Rejection::Required { field: "reason" },
            Rejection::DateOutOfRange { field: "date", date: day, min: day, max: day },
            Rejection::NegativeRupiah { field: "capital_rupiah", amount: -1 },
            Rejection::RupiahOverflow { field: "items" },
            Rejection::QuotaFull { taken: 16, quota: 16 },
            Rejection::QuotaBelowAccepted { accepted: 3 },
            Rejection::OutsidePackagePeriod { date: day, start: day, end: day },
            Rejection::SessionCancelled { session_id: Uuid::nil() },
            Rejection::AttendanceAlreadyRecorded { session_id: Uuid::nil() },
            Rejection::NotActiveOnDate { date: day },
            Rejection::BelowAttendanceThreshold { attended: 3, expected: 10, threshold: 80 },
            Rejection::NotCompetent,
            Rejection::NotEntitledToGrant {
                allowed: "graduates_only",
                state: "completed".to_owned(),
            },
            Rejection::OpenGrantExists,
            Rejection::SystemOnlyReason { reason: "released".to_owned() },
            Rejection::FacilityNotInPackage { facility: "RUTAN-Y".to_owned() },
            Rejection::NotInCustody,
            Rejection::WaitlistOrder,
            Rejection::NothingPending { what: "correction", id: id.clone() },
            Rejection::NotReversible { event_type: "PackageDefined".to_owned() },
            Rejection::AlreadyReversed { event_id: Uuid::nil() },
            Rejection::ReversalOfReversal,
            Rejection::RecoveryExceedsGrant { amount: 10, available: 5 },
            Rejection::PersonMerged { surviving_ref: "p0".to_owned() },
            Rejection::NotAllowed { detail: "a test of the words".to_owned() },
        ]
    }

    /// Every kind of refusal has its own words in both languages, which differ from each other
    /// and from the code.
    #[test]
    fn every_refusal_says_what_is_wrong_and_what_to_do_in_both_languages() {
        let all = every_rejection();
        let mut codes: Vec<&str> = all.iter().map(Rejection::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "one sample of each kind");
        for rejection in &all {
            let (id, en) = (refusal(rejection, Lang::Id), refusal(rejection, Lang::En));
            assert!(id.len() > 20 && en.len() > 20, "{}", rejection.code());
            assert_ne!(id, en, "{}", rejection.code());
            assert!(!id.contains(rejection.code()) || rejection.code() == "not_allowed");
        }
    }
}
