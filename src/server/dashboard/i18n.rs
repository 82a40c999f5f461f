//! Every label of the dashboard in Bahasa Indonesia (the default) and English. A label missing
//! from a language is a test failure, never a blank.

/// The dashboard's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }
}

/// (key, Bahasa Indonesia, English)
const LABELS: &[(&str, &str, &str)] = &[
    // The frame
    ("app.tagline", "Jejak audit pelatihan kemandirian", "Audit trail of vocational training"),
    ("nav.overview", "Ringkasan", "Overview"),
    ("nav.enrolment", "Daftar peserta", "Enrolment"),
    ("nav.attendance", "Presensi", "Attendance"),
    ("nav.funnel", "Alur seleksi", "Funnel"),
    ("nav.outcomes", "Hasil pelatihan", "Outcomes"),
    ("nav.grants", "Bantuan", "Grants"),
    ("nav.recidivism", "Residivisme", "Recidivism"),
    ("nav.monthly", "Laporan bulanan", "Monthly report"),
    ("nav.inbox", "Kotak masuk", "Inbox"),
    ("nav.audit", "Jejak audit", "Audit trail"),
    ("nav.compliance", "Kepatuhan", "Compliance"),
    ("ui.sign_in", "Masuk", "Sign in"),
    ("ui.sign_out", "Keluar", "Sign out"),
    ("ui.token", "Token akses", "Access token"),
    (
        "ui.token_help",
        "Token diberikan oleh administrator (jejak user add).",
        "Your administrator gives you a token (jejak user add).",
    ),
    ("ui.bad_token", "Token tidak dikenal atau sudah dicabut.", "Unknown or revoked token."),
    ("ui.language", "English", "Bahasa Indonesia"),
    ("ui.as_of", "Per tanggal", "As of"),
    ("ui.facility", "Fasilitas", "Facility"),
    ("ui.skill", "Kejuruan", "Skill"),
    ("ui.all", "Semua", "All"),
    ("ui.from", "Dari", "From"),
    ("ui.to", "Sampai", "To"),
    ("ui.apply", "Terapkan", "Apply"),
    ("ui.signed_in_as", "Masuk sebagai", "Signed in as"),
    ("ui.provenance", "Dihitung dari log sampai posisi", "Computed from the log up to position"),
    ("ui.hash", "hash", "hash"),
    ("ui.times_in", "Waktu dalam", "Times in"),
    (
        "group.all",
        "Semua yang bebas ke masyarakat (kohort)",
        "All released to the community (cohort)",
    ),
    (
        "group.itt",
        "Niat ikut (ITT): memulai paket dalam masa tahanan itu",
        "Intention to treat: started a package in the custody episode",
    ),
    ("group.graduate", "Lulus (kompeten)", "Graduates (kompeten)"),
    (
        "group.completed_not_competent",
        "Selesai, belum kompeten",
        "Completed, not yet competent (belum kompeten)",
    ),
    (
        "group.non_completer",
        "Tidak selesai (alasan peserta)",
        "Non-completers (participant reasons)",
    ),
    (
        "group.administrative_exit",
        "Keluar administratif (bebas, pindah, batal)",
        "Administrative exits (released, transferred, cancelled)",
    ),
    (
        "group.personal_exit",
        "Keluar karena alasan pribadi dan kesehatan",
        "Personal and health exits",
    ),
    (
        "group.nominated_not_enrolled",
        "Diusulkan, tidak terdaftar (kuota atau daftar tunggu)",
        "Nominated, not enrolled (quota or waiting list)",
    ),
    ("group.never_nominated", "Tidak pernah diusulkan", "Never nominated"),
    (
        "ui.open_package_hint",
        "Buka paket untuk melihat pesertanya.",
        "Open a package to see its participants.",
    ),
    ("ui.no_rows", "Tidak ada data.", "No data."),
    ("ui.suppressed", "<5 disembunyikan", "<5 withheld"),
    ("ui.participants_of", "Peserta paket", "Participants of the package"),
    ("ui.open_package", "Lihat peserta", "Participants"),
    ("ui.name", "Nama", "Name"),
    ("ui.acknowledge", "Tandai ditindaklanjuti", "Acknowledge"),
    ("ui.acknowledged", "Tugas ditandai ditindaklanjuti.", "Task acknowledged."),
    ("ui.subject", "Subjek", "Subject"),
    ("ui.id", "Pengenal", "Identifier"),
    ("ui.show", "Tampilkan", "Show"),
    ("ui.reversed_by", "dibatalkan oleh posisi", "reversed by position"),
    ("ui.forbidden", "Anda tidak berwenang membuka halaman ini.", "You may not open this page."),
    (
        "ui.forbidden_package",
        "Paket ini bukan milik fasilitas atau lembaga Anda.",
        "This package is not your facility's or your organisation's.",
    ),
    ("ui.not_found", "Tidak ditemukan.", "Not found."),
    ("ui.error", "Terjadi kesalahan", "Something went wrong"),
    ("ui.refused", "Ditolak", "Refused"),
    ("ui.window", "Jendela", "Window"),
    ("ui.months", "bulan", "months"),
    ("ui.rate", "Tingkat", "Rate"),
    ("ui.interval", "interval 95%", "95% interval"),
    ("ui.definition", "Definisi dan catatan", "Definition and notes"),
    ("ui.findings", "temuan", "findings"),
    ("ui.no_findings", "Tidak ada temuan.", "No findings."),
    ("ui.person", "orang", "person"),
    ("ui.participation", "kepesertaan", "participation"),
    ("ui.package", "paket", "package"),
    ("ui.grant", "bantuan", "grant"),
    ("ui.actor", "petugas", "actor"),
    ("ui.occurred", "Terjadi", "Occurred"),
    ("ui.recorded", "Dicatat", "Recorded"),
    ("ui.event", "Peristiwa", "Event"),
    ("ui.who", "Oleh", "By"),
    ("ui.why", "Alasan", "Why"),
    ("ui.what", "Isi", "What"),
    ("ui.rule", "Aturan", "Rule"),
    ("ui.positions", "Posisi", "Positions"),
    ("ui.detail", "Rincian", "Detail"),
    // Overview indicators
    ("kpi.active_participants", "Peserta aktif", "Active participants"),
    ("kpi.sessions_this_week", "Sesi minggu ini", "Sessions this week"),
    ("kpi.attendance_percent", "Kehadiran (%)", "Attendance (%)"),
    ("kpi.places_left", "Kursi tersisa", "Places left"),
    ("kpi.graduates_this_year", "Lulusan tahun ini", "Graduates this year"),
    ("kpi.certified_this_year", "Bersertifikat tahun ini", "Certified this year"),
    (
        "kpi.grants_handed_over_this_year",
        "Bantuan diserahkan tahun ini",
        "Grants handed over this year",
    ),
    (
        "kpi.grant_rupiah_handed_over_this_year",
        "Nilai bantuan diserahkan (Rp)",
        "Grant value handed over (Rp)",
    ),
    ("kpi.open_inbox_tasks", "Tugas terbuka", "Open inbox tasks"),
    // Sections
    ("section.indicators", "Ringkasan", "Overview"),
    ("section.packages", "Paket pelatihan", "Packages"),
    ("section.participants", "Peserta", "Participants"),
    ("section.sessions", "Presensi per sesi", "Attendance per session"),
    ("section.funnel_wbp", "Alur seleksi: warga binaan", "Funnel: inmates"),
    ("section.funnel_masyarakat", "Alur seleksi: masyarakat", "Funnel: public"),
    ("section.refusals", "Alasan tidak berlanjut", "Why nominations did not go on"),
    ("section.skills", "Per kejuruan dan fasilitas", "Per skill and facility"),
    ("section.groups", "Per jenis kelamin dan umur", "By sex and age band"),
    ("section.grants", "Register bantuan", "Grant register"),
    ("section.totals", "Jumlah per paket dan sumber dana", "Totals per package and funding source"),
    ("section.facilities", "Per fasilitas", "Per facility"),
    ("section.tasks", "Tugas perubahan keadaan", "Change-of-circumstances tasks"),
    ("section.months", "Per fasilitas dan bulan", "Per facility and month"),
    ("section.table", "Pengulangan pasca-bebas per kelompok", "Reoffending after release by group"),
    ("section.cohorts", "Kohort rilis", "Release cohorts"),
    // Columns
    ("col.acceptable_absences", "Absen sah", "Acceptable absences"),
    ("col.accepted_inmates", "Diterima (WBP)", "Accepted (inmates)"),
    ("col.accepted_public", "Diterima (masyarakat)", "Accepted (public)"),
    ("col.acknowledged_by", "Ditindaklanjuti oleh", "Acknowledged by"),
    ("col.acknowledged_on", "Ditindaklanjuti pada", "Acknowledged on"),
    ("col.acknowledged_tasks", "Tugas ditindaklanjuti", "Acknowledged tasks"),
    ("col.actions_taken", "Tindakan sistem", "Actions taken"),
    ("col.active", "Aktif", "Active"),
    ("col.administrative_exits", "Keluar administratif", "Administrative exits"),
    ("col.affected_participations", "Kepesertaan terdampak", "Affected participations"),
    ("col.age_band", "Kelompok umur", "Age band"),
    ("col.alpa", "Alpa", "Absent (alpa)"),
    ("col.approved", "Disetujui", "Approved"),
    ("col.approved_by", "Disetujui oleh", "Approved by"),
    ("col.approved_on", "Disetujui pada", "Approved on"),
    ("col.approved_rupiah", "Disetujui (Rp)", "Approved (Rp)"),
    ("col.attendance_percent", "Kehadiran (%)", "Attendance (%)"),
    ("col.attended", "Hadir", "Attended"),
    ("col.bast_number", "Nomor BAST", "BAST number"),
    ("col.bekerja", "Bekerja", "Employed"),
    ("col.below_threshold", "Di bawah ambang", "Below threshold"),
    ("col.bentrok", "Bentrok", "Clash"),
    ("col.bnsp_certificates", "Sertifikat BNSP", "BNSP certificates"),
    ("col.budget_line", "Mata anggaran", "Budget line"),
    ("col.capital_rupiah", "Modal (Rp)", "Capital (Rp)"),
    ("col.category", "Kategori", "Category"),
    ("col.censored_n", "Tersensor", "Censored"),
    ("col.ci_high_percent", "Batas atas (%)", "Upper bound (%)"),
    ("col.ci_low_percent", "Batas bawah (%)", "Lower bound (%)"),
    ("col.cohort_n", "Kohort", "Cohort"),
    ("col.competent", "Kompeten", "Competent"),
    ("col.completed", "Selesai", "Completed"),
    ("col.completers", "Menyelesaikan", "Completers"),
    ("col.contacted_by_12_months", "Dihubungi ≤12 bln", "Contacted by 12 months"),
    ("col.contacted_by_3_months", "Dihubungi ≤3 bln", "Contacted by 3 months"),
    ("col.contacted_by_6_months", "Dihubungi ≤6 bln", "Contacted by 6 months"),
    ("col.conversion_percent", "Konversi (%)", "Conversion (%)"),
    ("col.count", "Jumlah", "Count"),
    ("col.date", "Tanggal", "Date"),
    ("col.decision_ref", "Nomor keputusan", "Decision reference"),
    ("col.deferred", "Ditunda", "Deferred"),
    ("col.dibebaskan", "Dibebaskan", "Excused"),
    (
        "col.difference_vs_never_nominated",
        "Selisih vs tidak diusulkan",
        "Difference vs never nominated",
    ),
    ("col.ditangguhkan", "Ditangguhkan", "Suspended"),
    ("col.eligible", "Memenuhi syarat", "Eligible"),
    ("col.end_date", "Selesai", "End date"),
    ("col.ended", "Berhenti", "Ended"),
    ("col.excluded_after_cut_off", "Dikecualikan: setelah batas data", "Excluded: after cut-off"),
    (
        "col.excluded_later_release_same_quarter",
        "Dikecualikan: bebas lagi di triwulan sama",
        "Excluded: later release same quarter",
    ),
    ("col.excluded_pre_trial", "Dikecualikan: tahanan", "Excluded: pre-trial"),
    ("col.expected", "Seharusnya", "Expected"),
    ("col.facility", "Fasilitas", "Facility"),
    ("col.full_follow_up_n", "Diikuti penuh", "Full follow-up"),
    ("col.funding_source", "Sumber dana", "Funding source"),
    ("col.graduated", "Lulus", "Graduated"),
    ("col.grant_id", "Bantuan", "Grant"),
    ("col.grant_in_use", "Bantuan dipakai", "Grant in use"),
    ("col.group", "Kelompok", "Group"),
    ("col.grants", "Bantuan", "Grants"),
    ("col.hadir", "Hadir", "Present (hadir)"),
    ("col.handed_over_by", "Diserahkan oleh", "Handed over by"),
    ("col.handed_over_on", "Diserahkan pada", "Handed over on"),
    ("col.handed_over_rupiah", "Diserahkan (Rp)", "Handed over (Rp)"),
    ("col.held", "Terlaksana", "Held"),
    ("col.hours_attended", "Jam hadir", "Hours attended"),
    ("col.in_cohort", "Dalam kohort", "In cohort"),
    ("col.in_custody", "Dalam tahanan", "In custody"),
    ("col.indicator", "Indikator", "Indicator"),
    ("col.inmates_certified", "WBP bersertifikat", "Inmates certified"),
    ("col.inmates_completed", "WBP selesai", "Inmates completed"),
    ("col.inmates_trained", "WBP dilatih", "Inmates trained"),
    ("col.items", "Barang", "Items"),
    ("col.izin", "Izin", "Leave (izin)"),
    ("col.label", "Keterangan", "Label"),
    ("col.last_attended", "Terakhir hadir", "Last attended"),
    ("col.last_business_status", "Status usaha terakhir", "Last business status"),
    ("col.last_visited_on", "Kunjungan terakhir", "Last visited"),
    ("col.legal_status", "Status hukum", "Legal status"),
    (
        "col.median_days_from_previous_stage",
        "Median hari dari tahap sebelumnya",
        "Median days from previous stage",
    ),
    ("col.median_days_to_first", "Median hari ke kejadian pertama", "Median days to first"),
    ("col.menolak", "Menolak", "Refused (menolak)"),
    ("col.monitoring_visits", "Kunjungan monitoring", "Monitoring visits"),
    ("col.month", "Bulan", "Month"),
    ("col.nominated", "Diusulkan", "Nominated"),
    ("col.non_completers", "Tidak menyelesaikan", "Non-completers"),
    ("col.not_yet_competent", "Belum kompeten", "Not yet competent"),
    ("col.open", "Terbuka", "Open"),
    ("col.open_tasks", "Tugas terbuka", "Open tasks"),
    ("col.outcome", "Kejadian", "Outcome"),
    ("col.outcome_n", "Jumlah kejadian", "Outcome n"),
    ("col.package", "Paket", "Package"),
    ("col.package_id", "Paket", "Package"),
    ("col.packages_run", "Paket berjalan", "Packages run"),
    ("col.participation_id", "Kepesertaan", "Participation"),
    ("col.partner", "Mitra", "Partner"),
    ("col.pending_change", "Perubahan tertunda", "Pending change"),
    ("col.per_100", "Per 100", "Per 100"),
    ("col.percent", "Persen", "Percent"),
    ("col.person_ref", "Ref. orang", "Person ref"),
    ("col.personal_exits", "Keluar pribadi/kesehatan", "Personal/health exits"),
    ("col.place", "Tempat", "Place"),
    ("col.places_left", "Kursi tersisa", "Places left"),
    ("col.proposed_by", "Diusulkan oleh", "Proposed by"),
    ("col.proposed_on", "Diusulkan pada", "Proposed on"),
    ("col.proposed_rupiah", "Diusulkan (Rp)", "Proposed (Rp)"),
    ("col.provider", "Penyelenggara", "Provider"),
    ("col.public_trained", "Masyarakat dilatih", "Public trained"),
    ("col.quarter", "Triwulan", "Quarter"),
    ("col.quota", "Kuota", "Quota"),
    ("col.quota_inmates", "Kuota WBP", "Inmate quota"),
    ("col.raised_on", "Muncul pada", "Raised on"),
    ("col.rate_percent", "Tingkat (%)", "Rate (%)"),
    ("col.reached", "Mencapai", "Reached"),
    ("col.reason", "Alasan", "Reason"),
    ("col.recipient", "Penerima", "Recipient"),
    ("col.recovered_rupiah", "Dikembalikan (Rp)", "Recovered (Rp)"),
    ("col.released", "Bebas", "Released"),
    ("col.sakit", "Sakit", "Sick (sakit)"),
    ("col.sesi_dibatalkan", "Sesi batal", "Session cancelled"),
    ("col.session_id", "Sesi", "Session"),
    ("col.sessions_counted", "Sesi dihitung", "Sessions counted"),
    ("col.sessions_held", "Sesi terlaksana", "Sessions held"),
    ("col.sex", "Jenis kelamin", "Sex"),
    ("col.since", "Sejak", "Since"),
    ("col.skill", "Kejuruan", "Skill"),
    ("col.stage", "Tahap", "Stage"),
    ("col.start_date", "Mulai", "Start date"),
    ("col.starters", "Memulai", "Starters"),
    ("col.state", "Status", "State"),
    ("col.status", "Status", "Status"),
    ("col.suspended", "Ditangguhkan", "Suspended"),
    ("col.task_id", "Tugas", "Task"),
    ("col.terlambat", "Terlambat", "Late"),
    ("col.three_people", "Tiga orang berbeda", "Three different people"),
    ("col.threshold_percent", "Ambang (%)", "Threshold (%)"),
    ("col.tidak_bekerja", "Tidak bekerja", "Not working"),
    ("col.title", "Judul", "Title"),
    ("col.total_rupiah", "Total (Rp)", "Total (Rp)"),
    ("col.training_certificates", "Sertifikat pelatihan", "Training certificates"),
    ("col.trigger", "Pemicu", "Trigger"),
    ("col.unacceptable_absences", "Absen tidak sah", "Unacceptable absences"),
    ("col.unmarked", "Belum diisi", "Unmarked"),
    ("col.using_trained_skill", "Memakai keterampilan", "Using the skill"),
    ("col.value", "Nilai", "Value"),
    ("col.venue_type", "Tempat pelatihan", "Venue"),
    ("col.waiting_list", "Daftar tunggu", "Waiting list"),
    ("col.window_months", "Jendela (bulan)", "Window (months)"),
    ("col.wirausaha", "Wirausaha", "Self-employed"),
    ("col.with_earlier_episode", "Pernah ditahan sebelumnya", "With an earlier episode"),
    ("col.with_grant", "Menerima bantuan", "With a grant"),
    ("col.withdrawn", "Ditarik", "Withdrawn"),
];

/// The label `key` in `lang`; the key itself if there is none (which a test forbids).
pub fn t(lang: Lang, key: &str) -> &str {
    match LABELS.iter().find(|(k, _, _)| *k == key) {
        Some((_, id, en)) => match lang {
            Lang::Id => id,
            Lang::En => en,
        },
        None => key,
    }
}

/// Whether `key` has a label in both languages.
pub fn has(key: &str) -> bool {
    LABELS.iter().any(|(k, id, en)| *k == key && !id.is_empty() && !en.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_exists_once_in_both_languages() {
        let mut keys: Vec<&str> = LABELS.iter().map(|(key, _, _)| *key).collect();
        keys.sort_unstable();
        let twice: Vec<&[&str]> = keys.windows(2).filter(|pair| pair[0] == pair[1]).collect();
        assert!(twice.is_empty(), "label keys defined twice: {twice:?}");
        for (key, id, en) in LABELS {
            assert!(!id.trim().is_empty() && !en.trim().is_empty(), "{key}");
        }
        assert_eq!(t(Lang::Id, "nav.overview"), "Ringkasan");
        assert_eq!(t(Lang::En, "nav.overview"), "Overview");
    }
}
