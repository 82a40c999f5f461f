//! The closed word lists of the programme: roles, legal statuses, attendance codes, reasons,
//! release types and the coarse attributes reports split by.
//!
//! Each list is an enum whose stored spelling is a stable lower-case code (the Indonesian term
//! staff use, where there is one). `code_enum!` gives each the same shape: `as_str`, `ALL`,
//! `FromStr`, and serde as its code.

use std::fmt;
use std::str::FromStr;

/// A code that is not in its list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{code}` is not a {list}: use one of {allowed}")]
pub struct UnknownCode {
    pub list: &'static str,
    pub code: String,
    pub allowed: String,
}

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($list:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$variant_meta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every code of the list, in the order of [`Self::ALL`].
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(text: &str) -> Result<$name, UnknownCode> {
                $name::ALL.iter().copied().find(|value| value.as_str() == text).ok_or_else(|| {
                    let allowed = $name::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>();
                    UnknownCode { list: $list, code: text.to_owned(), allowed: allowed.join(", ") }
                })
            }
        }
    };
}

code_enum! {
    /// The roles of domain.md R7, plus `system` for importers and automation.
    pub enum Role ("role") {
        /// Facility staff: register, nominate, record, acknowledge (*petugas pembinaan*).
        PetugasPembinaan = "petugas_pembinaan",
        /// The inmate's personal officer, who assesses eligibility (*wali pemasyarakatan*).
        Wali = "wali",
        /// Records the review board's decisions (*sekretaris TPP*).
        TppSekretaris = "tpp_sekretaris",
        /// Head of the facility, who approves (*Karutan / Kalapas*).
        Karutan = "karutan",
        /// The training office (*Disnakertrans*): packages, acceptance, results, grant proposals.
        DisnakerAdmin = "disnaker_admin",
        /// Instructor: sessions and attendance.
        Instruktur = "instruktur",
        /// Competency assessor (*asesor* of an LSP).
        Asesor = "asesor",
        /// Grant approver (*PPK / kepala dinas*).
        Ppk = "ppk",
        /// Hands over equipment and capital (*petugas serah terima / bendahara*).
        PetugasSerahTerima = "petugas_serah_terima",
        /// Post-release officer (*pembimbing kemasyarakatan, Bapas*).
        PkBapas = "pk_bapas",
        /// Auditor (*Inspektorat, BPK*): reads everything, writes nothing.
        Auditor = "auditor",
        /// Analyst: pseudonymous, suppressed aggregates only.
        Analis = "analis",
        /// Evaluator (Bappeda, a university) under a data-sharing agreement: aggregates like
        /// the analyst, and the recidivism person-level extract with a pseudonym per extract.
        Evaluator = "evaluator",
        /// Data-protection officer.
        Dpo = "dpo",
        /// Importers and automation; the only role that may use system-only reasons.
        System = "system",
    }
}

code_enum! {
    /// What kind of organisation an organisation is.
    pub enum OrganisationKind ("kind of organisation") {
        Rutan = "rutan",
        Lapas = "lapas",
        Bapas = "bapas",
        Kanwil = "kanwil",
        Disnakertrans = "disnakertrans",
        TrainingCentre = "training_centre",
        Lsp = "lsp",
        Other = "other",
    }
}

impl OrganisationKind {
    /// Whether people are held here: a facility (UPT) whose staff nominate.
    pub fn is_facility(self) -> bool {
        matches!(self, OrganisationKind::Rutan | OrganisationKind::Lapas)
    }
}

code_enum! {
    /// Indonesia's three time zones, by IANA name.
    pub enum TimeZone ("time zone") {
        /// WIB, UTC+7.
        Jakarta = "Asia/Jakarta",
        /// WITA, UTC+8: SoE, Kupang, all of NTT.
        Makassar = "Asia/Makassar",
        /// WIT, UTC+9.
        Jayapura = "Asia/Jayapura",
    }
}

impl TimeZone {
    /// Offset from UTC in whole hours (none of the three observes daylight saving).
    pub fn utc_offset_hours(self) -> i64 {
        match self {
            TimeZone::Jakarta => 7,
            TimeZone::Makassar => 8,
            TimeZone::Jayapura => 9,
        }
    }
}

code_enum! {
    /// Where a package takes place; decides which eligibility rules apply to inmates.
    pub enum VenueType ("venue type") {
        /// Inside the facility: ordinary *pembinaan kemandirian*.
        InFacility = "in_facility",
        /// At a training centre (BLK): outside the walls, so *asimilasi* for inmates.
        TrainingCentre = "training_centre",
        /// In a village hall: outside the walls, so *asimilasi* for inmates.
        Village = "village",
    }
}

code_enum! {
    /// Who may receive a grant of equipment and capital after a package.
    pub enum GrantPolicy ("grant policy") {
        /// Only graduates (completed and *kompeten*): the default.
        GraduatesOnly = "graduates_only",
        /// Anyone who completed the training, competent or not yet.
        Completers = "completers",
        /// The package gives no grants.
        NoGrants = "no_grants",
    }
}

code_enum! {
    /// Legal status (UU 22/2022): only *narapidana* are *Warga Binaan* in the strict sense.
    pub enum LegalStatus ("legal status") {
        /// Pre-trial detainee.
        Tahanan = "tahanan",
        /// Sentenced prisoner.
        Narapidana = "narapidana",
        /// Sentenced child.
        AnakBinaan = "anak_binaan",
        /// Under Bapas supervision (e.g. on parole).
        Klien = "klien",
    }
}

code_enum! {
    /// The SDP register a person is held under (Kepdirjenpas PAS-170.PK.01.01.02/2015).
    pub enum RegisterClass ("register class") {
        AI = "A.I",
        AII = "A.II",
        AIII = "A.III",
        AIV = "A.IV",
        AV = "A.V",
        BI = "B.I",
        BIIa = "B.IIa",
        BIIb = "B.IIb",
        BIII = "B.III",
    }
}

code_enum! {
    /// Sex, as reports split by it.
    pub enum Sex ("sex") {
        LakiLaki = "laki_laki",
        Perempuan = "perempuan",
    }
}

code_enum! {
    /// Age band at the time of the event.
    pub enum AgeBand ("age band") {
        Under18 = "under_18",
        From18To25 = "18_25",
        From26To35 = "26_35",
        From36To45 = "36_45",
        From46To55 = "46_55",
        From56 = "56_plus",
    }
}

code_enum! {
    /// Offence group: coarse, never the offence itself.
    pub enum OffenceGroup ("offence group") {
        Narkotika = "narkotika",
        Pencurian = "pencurian",
        Kekerasan = "kekerasan",
        Penipuan = "penipuan",
        Asusila = "asusila",
        Korupsi = "korupsi",
        Terorisme = "terorisme",
        KeamananNegara = "keamanan_negara",
        KejahatanTransnasional = "kejahatan_transnasional",
        Lainnya = "lainnya",
    }
}

code_enum! {
    /// Sentence length band.
    pub enum SentenceBand ("sentence band") {
        Under1Year = "under_1y",
        From1To3Years = "1_3y",
        From3To5Years = "3_5y",
        From5To10Years = "5_10y",
        Over10Years = "over_10y",
    }
}

code_enum! {
    /// Whether a participant is an inmate or a member of the public.
    pub enum ParticipantCategory ("participant category") {
        /// An inmate (*Warga Binaan Pemasyarakatan*) or detainee.
        Wbp = "wbp",
        /// A member of the public (*masyarakat umum*).
        Masyarakat = "masyarakat",
    }
}

code_enum! {
    /// Attendance codes (domain.md R16). What each counts as is decided in `attendance`.
    pub enum AttendanceCode ("attendance code") {
        Hadir = "hadir",
        Terlambat = "terlambat",
        Sakit = "sakit",
        Izin = "izin",
        Dibebaskan = "dibebaskan",
        Bentrok = "bentrok",
        Alpa = "alpa",
        Menolak = "menolak",
        SesiDibatalkan = "sesi_dibatalkan",
        Ditangguhkan = "ditangguhkan",
    }
}

code_enum! {
    /// Why a participation was suspended.
    pub enum SuspensionReason ("suspension reason") {
        /// A court day (*sidang*).
        Sidang = "sidang",
        Sakit = "sakit",
        HukumanDisiplin = "hukuman_disiplin",
        Keamanan = "keamanan",
        /// Temporarily moved (*pindah sementara*); system only.
        PindahSementara = "pindah_sementara",
    }
}

impl SuspensionReason {
    pub fn system_only(self) -> bool {
        matches!(self, SuspensionReason::PindahSementara)
    }
}

code_enum! {
    /// The three families of reasons a participation ends early; reports keep them apart.
    pub enum EndCategory ("end category") {
        /// The participant's doing: a non-completer.
        Participant = "participant",
        /// Health or death.
        Personal = "personal",
        /// Released, transferred, package cancelled: an administrative exit.
        Operational = "operational",
    }
}

code_enum! {
    /// Why a participation ended before completion (*berhenti*).
    pub enum EndReason ("end reason") {
        MengundurkanDiri = "mengundurkan_diri",
        Dikeluarkan = "dikeluarkan",
        KehadiranKurang = "kehadiran_kurang",
        Perilaku = "perilaku",
        Kesehatan = "kesehatan",
        Meninggal = "meninggal",
        Bebas = "bebas",
        PindahUpt = "pindah_upt",
        PaketDibatalkan = "paket_dibatalkan",
        Keamanan = "keamanan",
    }
}

impl EndReason {
    pub fn category(self) -> EndCategory {
        match self {
            EndReason::MengundurkanDiri
            | EndReason::Dikeluarkan
            | EndReason::KehadiranKurang
            | EndReason::Perilaku => EndCategory::Participant,
            EndReason::Kesehatan | EndReason::Meninggal => EndCategory::Personal,
            EndReason::Bebas
            | EndReason::PindahUpt
            | EndReason::PaketDibatalkan
            | EndReason::Keamanan => EndCategory::Operational,
        }
    }

    /// Reasons that only the importer or automation may give: they follow from custody facts.
    pub fn system_only(self) -> bool {
        matches!(
            self,
            EndReason::Meninggal
                | EndReason::Bebas
                | EndReason::PindahUpt
                | EndReason::PaketDibatalkan
        )
    }
}

code_enum! {
    /// Why a participant was withdrawn before the start.
    pub enum WithdrawalReason ("withdrawal reason") {
        OwnRequest = "own_request",
        Duplicate = "duplicate",
        EnteredInError = "entered_in_error",
        Released = "released",
        Transferred = "transferred",
        Died = "died",
        PackageCancelled = "package_cancelled",
        /// The package closed before the participant started.
        PackageClosed = "package_closed",
        Other = "other",
    }
}

impl WithdrawalReason {
    pub fn system_only(self) -> bool {
        matches!(
            self,
            WithdrawalReason::Released
                | WithdrawalReason::Transferred
                | WithdrawalReason::Died
                | WithdrawalReason::PackageCancelled
                | WithdrawalReason::PackageClosed
        )
    }
}

code_enum! {
    /// Why the review board turned a nomination down.
    pub enum NominationRejectionReason ("nomination rejection reason") {
        NotSuitable = "not_suitable",
        Security = "security",
        Behaviour = "behaviour",
        Other = "other",
    }
}

code_enum! {
    /// A competency assessment's result (PBK): never a score.
    pub enum CompetencyResult ("competency result") {
        Kompeten = "kompeten",
        BelumKompeten = "belum_kompeten",
    }
}

code_enum! {
    pub enum CertificateType ("certificate type") {
        /// The course certificate from the training provider.
        Pelatihan = "pelatihan",
        /// The national competency certificate (BNSP), only after *kompeten*.
        KompetensiBnsp = "kompetensi_bnsp",
    }
}

code_enum! {
    /// How a person left custody. A transfer is not a release.
    pub enum ReleaseType ("release type") {
        BebasMurni = "bebas_murni",
        PembebasanBersyarat = "pembebasan_bersyarat",
        CutiBersyarat = "cuti_bersyarat",
        CutiMenjelangBebas = "cuti_menjelang_bebas",
        BebasDemiHukum = "bebas_demi_hukum",
        PutusanBebas = "putusan_bebas",
        Lainnya = "lainnya",
    }
}

code_enum! {
    /// Why parole or conditional leave was revoked.
    pub enum RevocationReason ("revocation reason") {
        /// A breach of the conditions (technical).
        PelanggaranSyarat = "pelanggaran_syarat",
        /// A new offence.
        TindakPidanaBaru = "tindak_pidana_baru",
        Lainnya = "lainnya",
    }
}

code_enum! {
    /// Where a new case was learned from.
    pub enum CaseSource ("case source") {
        Sdp = "sdp",
        Bapas = "bapas",
        Polri = "polri",
    }
}

code_enum! {
    pub enum EmploymentStatus ("employment status") {
        Bekerja = "bekerja",
        Wirausaha = "wirausaha",
        TidakBekerja = "tidak_bekerja",
    }
}

code_enum! {
    /// What a monitoring visit found of the business a grant equipped.
    pub enum BusinessStatus ("business status") {
        Berjalan = "berjalan",
        TidakBerjalan = "tidak_berjalan",
        Dijual = "dijual",
        TidakDitemukan = "tidak_ditemukan",
    }
}

code_enum! {
    /// Who received a grant at handover.
    pub enum RecipientKind ("recipient") {
        /// The graduate in person.
        Sendiri = "sendiri",
        /// A documented family representative.
        Perwakilan = "perwakilan",
    }
}

code_enum! {
    /// Why a grant's handover waits.
    pub enum DeferralReason ("deferral reason") {
        /// The graduate is still in custody; goods are kept as *barang titipan*.
        MasihDitahan = "masih_ditahan",
        Lainnya = "lainnya",
    }
}
