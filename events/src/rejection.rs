//! Why the rules refused a command: a typed reason with a stable code and a message a person
//! understands, in English with the Indonesian term staff use.

/// A refused command. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("role {role} may not {command} (tidak berwenang)")]
    NotPermitted { role: String, command: &'static str },
    #[error(
        "{actor_organisation} may act only on its own {what}, which belongs to {owner} (di luar wewenang unit)"
    )]
    WrongOrganisation { what: &'static str, owner: String, actor_organisation: String },
    #[error("{rule} (pemisahan fungsi)")]
    SegregationOfDuties { rule: &'static str },
    #[error("{what} {id} does not exist (tidak ditemukan)")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id} already exists (sudah ada)")]
    AlreadyExists { what: &'static str, id: String },
    #[error("{what} is {state}; cannot {action} (status tidak sesuai)")]
    InvalidState { what: &'static str, state: String, action: &'static str },
    #[error("{field} is not valid: {detail} (isian tidak sah)")]
    InvalidField { field: &'static str, detail: String },
    #[error("{field} is required (wajib diisi)")]
    Required { field: &'static str },
    #[error(
        "{field} {date} is out of range: dates from {min} to {max} only (tanggal di luar jangkauan)"
    )]
    DateOutOfRange {
        field: &'static str,
        date: chrono::NaiveDate,
        min: chrono::NaiveDate,
        max: chrono::NaiveDate,
    },
    #[error("{amount} rupiah is negative (nilai negatif): {field}")]
    NegativeRupiah { field: &'static str, amount: i64 },
    #[error("the rupiah total overflows (nilai terlalu besar): {field}")]
    RupiahOverflow { field: &'static str },
    #[error("quota full (kuota penuh): {taken} of {quota} places taken")]
    QuotaFull { taken: u32, quota: u32 },
    #[error(
        "quota cannot go below the {accepted} participants already accepted (kuota di bawah jumlah diterima)"
    )]
    QuotaBelowAccepted { accepted: u32 },
    #[error("{date} is outside the package period {start} to {end} (di luar periode paket)")]
    OutsidePackagePeriod {
        date: chrono::NaiveDate,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    },
    #[error("session {session_id} was cancelled (sesi dibatalkan)")]
    SessionCancelled { session_id: uuid::Uuid },
    #[error(
        "attendance for session {session_id} is already recorded (presensi ganda); correct it instead"
    )]
    AttendanceAlreadyRecorded { session_id: uuid::Uuid },
    #[error("the participant was not in training on {date} (peserta tidak aktif)")]
    NotActiveOnDate { date: chrono::NaiveDate },
    #[error(
        "attendance {attended} of {expected} sessions is below the {threshold}% threshold (kehadiran kurang)"
    )]
    BelowAttendanceThreshold { attended: u32, expected: u32, threshold: u8 },
    #[error("no standing competent result (belum kompeten)")]
    NotCompetent,
    #[error(
        "a grant is only for {allowed} of the package; this participant is {state} (bukan penerima yang sah)"
    )]
    NotEntitledToGrant { allowed: &'static str, state: String },
    #[error("the participation already has an open grant (bantuan ganda)")]
    OpenGrantExists,
    #[error("only the system may give the reason {reason} (alasan khusus sistem)")]
    SystemOnlyReason { reason: String },
    #[error("{facility} does not take part in this package (UPT tidak terdaftar di paket)")]
    FacilityNotInPackage { facility: String },
    #[error("the person is not in custody (tidak dalam tahanan)")]
    NotInCustody,
    #[error("only the first on the waiting list may be accepted next (urutan daftar tunggu)")]
    WaitlistOrder,
    #[error("no {what} {id} is pending (tidak ada permohonan)")]
    NothingPending { what: &'static str, id: String },
    #[error("{event_type} cannot be reversed; record a new fact instead (tidak dapat dikoreksi)")]
    NotReversible { event_type: String },
    #[error("event {event_id} was already reversed (sudah dikoreksi)")]
    AlreadyReversed { event_id: uuid::Uuid },
    #[error("a reversal cannot be reversed (koreksi atas koreksi)")]
    ReversalOfReversal,
    #[error("{amount} rupiah exceeds the {available} rupiah that can still be recovered")]
    RecoveryExceedsGrant { amount: u64, available: u64 },
    #[error(
        "the person record was merged into {surviving_ref}; record facts there (data digabung)"
    )]
    PersonMerged { surviving_ref: String },
    #[error("{detail}")]
    NotAllowed { detail: String },
}

impl Rejection {
    /// The rule behind the refusal, as a stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotPermitted { .. } => "not_permitted",
            Rejection::WrongOrganisation { .. } => "wrong_organisation",
            Rejection::SegregationOfDuties { .. } => "segregation_of_duties",
            Rejection::NotFound { .. } => "not_found",
            Rejection::AlreadyExists { .. } => "already_exists",
            Rejection::InvalidState { .. } => "invalid_state",
            Rejection::InvalidField { .. } => "invalid_field",
            Rejection::Required { .. } => "required",
            Rejection::DateOutOfRange { .. } => "date_out_of_range",
            Rejection::NegativeRupiah { .. } => "negative_rupiah",
            Rejection::RupiahOverflow { .. } => "rupiah_overflow",
            Rejection::QuotaFull { .. } => "quota_full",
            Rejection::QuotaBelowAccepted { .. } => "quota_below_accepted",
            Rejection::OutsidePackagePeriod { .. } => "outside_package_period",
            Rejection::SessionCancelled { .. } => "session_cancelled",
            Rejection::AttendanceAlreadyRecorded { .. } => "attendance_already_recorded",
            Rejection::NotActiveOnDate { .. } => "not_active_on_date",
            Rejection::BelowAttendanceThreshold { .. } => "below_attendance_threshold",
            Rejection::NotCompetent => "not_competent",
            Rejection::NotEntitledToGrant { .. } => "not_entitled_to_grant",
            Rejection::OpenGrantExists => "open_grant_exists",
            Rejection::SystemOnlyReason { .. } => "system_only_reason",
            Rejection::FacilityNotInPackage { .. } => "facility_not_in_package",
            Rejection::NotInCustody => "not_in_custody",
            Rejection::WaitlistOrder => "waitlist_order",
            Rejection::NothingPending { .. } => "nothing_pending",
            Rejection::NotReversible { .. } => "not_reversible",
            Rejection::AlreadyReversed { .. } => "already_reversed",
            Rejection::ReversalOfReversal => "reversal_of_reversal",
            Rejection::RecoveryExceedsGrant { .. } => "recovery_exceeds_grant",
            Rejection::PersonMerged { .. } => "person_merged",
            Rejection::NotAllowed { .. } => "not_allowed",
        }
    }
}
