//! The words of the forms: each command's title and what it does, each field's label and, where
//! it helps, a hint; in Bahasa Indonesia and English. A form's command or field without its
//! words is a test failure.

/// (command, title, title in English, what it does, in English).
pub const COMMANDS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "define_package",
        "Buat paket pelatihan",
        "Define a training package",
        "Paket baru dengan kuota, periode dan UPT yang ikut.",
        "A new package with its quota, period and the facilities that take part.",
    ),
    (
        "amend_package",
        "Ubah paket",
        "Amend a package",
        "Ubah judul, tempat, periode, jam atau kuota; alasannya dicatat.",
        "Change the title, place, period, hours or quota; the reason is recorded.",
    ),
    (
        "schedule_session",
        "Jadwalkan sesi",
        "Schedule a session",
        "Satu sesi dalam periode paket, dengan jam pelajaran (JP) yang dihitung.",
        "A session within the package period, with the training hours (JP) it counts for.",
    ),
    (
        "cancel_session",
        "Batalkan sesi",
        "Cancel a session",
        "Sesi yang batal tidak dihitung dalam presensi.",
        "A cancelled session is not counted in attendance.",
    ),
    (
        "start_package",
        "Mulai paket",
        "Start a package",
        "Pelatihan dimulai pada tanggal dalam periode paket.",
        "Training starts on a day within the package period.",
    ),
    (
        "close_package",
        "Tutup paket",
        "Close a package",
        "Peserta yang cukup hadir selesai; yang kurang berhenti karena kehadiran kurang.",
        "Participants with enough attendance complete; the others end for low attendance.",
    ),
    (
        "cancel_package",
        "Batalkan paket",
        "Cancel a package",
        "Semua keikutsertaan yang masih terbuka diakhiri atau ditarik.",
        "Every open participation ends or is withdrawn.",
    ),
    (
        "nominate_inmate",
        "Usulkan warga binaan",
        "Nominate an inmate",
        "Usulan untuk paket; status hukum dan data dasar diambil dari SDP.",
        "A nomination for a package; legal status and coarse facts come from SDP.",
    ),
    (
        "register_public_applicant",
        "Daftarkan peserta umum",
        "Register a member of the public",
        "Pendaftar dari desa untuk paket yang terbuka bagi masyarakat.",
        "An applicant from a village for a package open to the public.",
    ),
    (
        "assess_eligibility",
        "Nilai syarat peserta",
        "Assess eligibility",
        "Syarat dinilai dengan aturan yang berlaku untuk status hukum orang itu.",
        "Eligibility is assessed with the rule set for the person's legal status.",
    ),
    (
        "request_eligibility_override",
        "Ajukan pengecualian syarat",
        "Request an eligibility override",
        "Permohonan agar hasil tidak memenuhi syarat dikecualikan; diputus orang lain.",
        "Asks that a negative result be overridden; someone else decides.",
    ),
    (
        "approve_eligibility_override",
        "Setujui pengecualian syarat",
        "Approve an eligibility override",
        "Kepala Rutan menyetujui permohonan pengecualian.",
        "The head of the facility approves the override.",
    ),
    (
        "approve_nomination",
        "Setujui usulan (TPP)",
        "Approve a nomination (TPP)",
        "Keputusan sidang TPP; tidak boleh oleh pengusulnya sendiri.",
        "The review board's decision; never by the person who nominated.",
    ),
    (
        "reject_nomination",
        "Tolak usulan",
        "Reject a nomination",
        "Keputusan sidang TPP untuk menolak, dengan alasannya.",
        "The review board's decision to reject, with its reason.",
    ),
    (
        "accept_participant",
        "Terima peserta",
        "Accept a participant",
        "Peserta diterima dalam kuota; bila penuh, masuk daftar tunggu.",
        "The participant takes a place; when the quota is full, the waiting list.",
    ),
    (
        "withdraw_participant",
        "Tarik peserta",
        "Withdraw a participant",
        "Peserta ditarik sebelum atau selama seleksi.",
        "The participant is withdrawn before training starts.",
    ),
    (
        "start_participation",
        "Mulai pelatihan peserta",
        "Start a participant's training",
        "Peserta yang diterima mulai mengikuti pelatihan.",
        "An accepted participant starts training.",
    ),
    (
        "record_attendance",
        "Catat presensi satu peserta",
        "Record one participant's attendance",
        "Untuk seluruh kelas, gunakan daftar hadir sesi.",
        "For a whole class, use the session's register.",
    ),
    (
        "suspend_participation",
        "Tangguhkan peserta",
        "Suspend a participant",
        "Peserta berhenti sementara (sidang, sakit, disiplin…).",
        "The participant stops for a while (court, sickness, discipline…).",
    ),
    (
        "resume_participation",
        "Lanjutkan peserta",
        "Resume a participant",
        "Peserta yang ditangguhkan kembali berlatih.",
        "A suspended participant comes back to training.",
    ),
    (
        "end_participation",
        "Akhiri keikutsertaan",
        "End a participation",
        "Peserta berhenti sebelum selesai, dengan alasannya.",
        "The participant stops before completing, with the reason.",
    ),
    (
        "complete_training",
        "Nyatakan selesai pelatihan",
        "Mark training completed",
        "Kehadiran harus mencapai ambang paket.",
        "Attendance must meet the package's threshold.",
    ),
    (
        "assess_competency",
        "Catat hasil uji kompetensi",
        "Record a competency assessment",
        "Hasil asesmen LSP untuk unit kompetensi.",
        "The certification body's result for the competency units.",
    ),
    (
        "graduate_participant",
        "Luluskan peserta",
        "Graduate a participant",
        "Peserta yang kompeten dinyatakan lulus.",
        "A competent participant graduates.",
    ),
    (
        "issue_certificate",
        "Terbitkan sertifikat",
        "Issue a certificate",
        "Sertifikat pelatihan atau kompetensi BNSP.",
        "A training or BNSP competency certificate.",
    ),
    (
        "propose_grant",
        "Usulkan bantuan alat dan modal",
        "Propose equipment and capital",
        "Bantuan untuk lulusan; disetujui orang lain.",
        "A grant for a graduate; someone else approves it.",
    ),
    (
        "approve_grant",
        "Setujui bantuan",
        "Approve a grant",
        "Tidak boleh oleh pengusulnya.",
        "Never by the person who proposed it.",
    ),
    (
        "reject_grant",
        "Tolak bantuan",
        "Reject a grant",
        "Usulan bantuan ditolak dengan alasan.",
        "The proposal is rejected, with the reason.",
    ),
    (
        "defer_grant_handover",
        "Tunda serah terima",
        "Defer a handover",
        "Serah terima ditunda (misalnya penerima masih ditahan).",
        "The handover waits (for instance, the recipient is still in custody).",
    ),
    (
        "hand_over_grant",
        "Serahkan bantuan (BAST)",
        "Hand over a grant (BAST)",
        "Penyerahan alat dan modal dengan berita acara serah terima.",
        "The equipment and capital are handed over with a handover record (BAST).",
    ),
    (
        "cancel_grant",
        "Batalkan bantuan",
        "Cancel a grant",
        "Bantuan yang belum diserahkan dibatalkan.",
        "A grant not yet handed over is cancelled.",
    ),
    (
        "record_grant_monitoring",
        "Catat kunjungan monitoring",
        "Record a monitoring visit",
        "Keadaan usaha penerima bantuan.",
        "How the recipient's business is doing.",
    ),
    (
        "recover_grant",
        "Catat pengembalian bantuan",
        "Record a grant recovery",
        "Nilai bantuan yang ditarik kembali.",
        "The value taken back.",
    ),
    (
        "record_custody_episode",
        "Catat masa penahanan",
        "Record a custody episode",
        "Penerimaan di UPT menurut SDP.",
        "An admission to a facility, as SDP records it.",
    ),
    (
        "change_legal_status",
        "Ubah status hukum",
        "Change the legal status",
        "Misalnya tahanan menjadi narapidana.",
        "For instance from remand to sentenced.",
    ),
    (
        "update_sentence_dates",
        "Ubah tanggal pidana",
        "Update the sentence dates",
        "Awal pidana dan tanggal ekspirasi.",
        "The sentence's start and expiry dates.",
    ),
    (
        "record_disciplinary_sanction",
        "Catat hukuman disiplin",
        "Record a disciplinary sanction",
        "Masa hukuman disiplin (register F).",
        "The period of a disciplinary sanction.",
    ),
    (
        "record_transfer",
        "Catat pemindahan",
        "Record a transfer",
        "Pindah ke UPT lain; keikutsertaan yang terbuka diakhiri.",
        "A move to another facility; open participations end.",
    ),
    (
        "record_release",
        "Catat pembebasan",
        "Record a release",
        "Bebas ke masyarakat; keikutsertaan yang terbuka diakhiri.",
        "Released to the community; open participations end.",
    ),
    (
        "record_death",
        "Catat kematian",
        "Record a death",
        "Keikutsertaan yang terbuka diakhiri.",
        "Open participations end.",
    ),
    (
        "record_revocation",
        "Catat pencabutan",
        "Record a revocation",
        "Pembebasan bersyarat dicabut; orang itu kembali ditahan.",
        "Conditional release revoked; the person is back in custody.",
    ),
    (
        "record_new_case",
        "Catat perkara baru",
        "Record a new case",
        "Tindak pidana baru setelah bebas (untuk residivisme).",
        "A new offence after release (for recidivism).",
    ),
    (
        "record_follow_up",
        "Catat pendampingan",
        "Record a follow-up contact",
        "Pekerjaan dan pemakaian keterampilan serta bantuan setelah bebas.",
        "Work, and the use of the skill and the grant after release.",
    ),
    (
        "acknowledge_change",
        "Tandai tugas diterima",
        "Acknowledge a task",
        "Perubahan keadaan sudah diketahui dan ditindaklanjuti.",
        "The change of circumstances is known and acted on.",
    ),
    (
        "forget",
        "Hapus data pribadi",
        "Forget a person",
        "Kunci dan data pribadi dihapus (UU 27/2022); jejak tetap utuh.",
        "The key and personal data are destroyed (UU 27/2022); the log stays whole.",
    ),
    (
        "correct_event",
        "Koreksi catatan",
        "Correct a record",
        "Catatan dibalik dengan alasan; lewat 7 hari perlu persetujuan orang lain.",
        "The record is reversed, with a reason; after 7 days someone else must approve.",
    ),
    (
        "approve_correction",
        "Setujui koreksi",
        "Approve a correction",
        "Koreksi yang menunggu; tidak boleh oleh pemohonnya.",
        "A waiting correction; never by its requester.",
    ),
    (
        "reject_correction",
        "Tolak koreksi",
        "Reject a correction",
        "Koreksi yang menunggu ditolak.",
        "A waiting correction is rejected.",
    ),
];

/// (field, label, label in English, hint, hint in English); a hint may be empty.
pub const FIELDS: &[(&str, &str, &str, &str, &str)] = &[
    ("package_id", "Paket", "Package", "", ""),
    ("title", "Judul", "Title", "", ""),
    (
        "skill",
        "Kejuruan",
        "Skill",
        "Misalnya menjahit, kecantikan, pres_batako.",
        "For instance menjahit, kecantikan, pres_batako.",
    ),
    ("skkni_units", "Unit SKKNI", "SKKNI units", "Dipisah koma.", "Separated by commas."),
    ("venue_type", "Tempat pelatihan", "Venue", "", ""),
    ("location", "Lokasi", "Location", "", ""),
    (
        "facilities",
        "UPT yang ikut",
        "Facilities taking part",
        "Kode UPT, dipisah koma (misalnya RUTAN-SOE).",
        "Facility codes, separated by commas (e.g. RUTAN-SOE).",
    ),
    ("start_date", "Tanggal mulai", "Start date", "", ""),
    ("end_date", "Tanggal selesai", "End date", "", ""),
    ("planned_hours", "Jumlah jam pelajaran (JP)", "Planned hours", "", ""),
    ("quota_total", "Kuota", "Quota", "", ""),
    ("quota_inmates", "Kuota warga binaan", "Places for inmates", "", ""),
    (
        "attendance_threshold_percent",
        "Ambang kehadiran (%)",
        "Attendance threshold (%)",
        "Kosongkan untuk 80%.",
        "Leave empty for 80%.",
    ),
    ("funding_source", "Sumber dana", "Funding source", "", ""),
    ("grant_policy", "Penerima bantuan", "Who receives grants", "", ""),
    (
        "provider",
        "Penyelenggara",
        "Provider",
        "Kode kantor penyelenggara.",
        "The providing office's code.",
    ),
    (
        "reason",
        "Alasan",
        "Reason",
        "Alasan ini dicatat dan dapat dibaca auditor.",
        "The reason is recorded and auditors can read it.",
    ),
    ("session_id", "Sesi", "Session", "", ""),
    ("date", "Tanggal", "Date", "", ""),
    ("start_time", "Jam mulai", "Start time", "", ""),
    ("end_time", "Jam selesai", "End time", "", ""),
    ("hours", "Jam pelajaran (JP)", "Training hours", "", ""),
    (
        "started_on",
        "Tanggal mulai",
        "Started on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    (
        "closed_on",
        "Tanggal ditutup",
        "Closed on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    (
        "cancelled_on",
        "Tanggal dibatalkan",
        "Cancelled on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("person_ref", "Orang", "Person", "", ""),
    (
        "sdp_number",
        "Nomor SDP",
        "SDP number",
        "Nomor warga binaan di SDP.",
        "The inmate's number in SDP.",
    ),
    (
        "applicant_number",
        "Nomor pendaftaran",
        "Applicant number",
        "Nomor pendaftaran peserta umum.",
        "The applicant's registration number.",
    ),
    (
        "nik",
        "NIK",
        "NIK",
        "16 angka; dicari di brankas data pribadi dan dicatat.",
        "16 digits; looked up in the vault, and the lookup is recorded.",
    ),
    (
        "desa_code",
        "Kode desa",
        "Village code",
        "Kode wilayah Kemendagri, misalnya 53.02.01.2001.",
        "The Kemendagri area code, e.g. 53.02.01.2001.",
    ),
    (
        "kecamatan_code",
        "Kode kecamatan",
        "Sub-district code",
        "Misalnya 53.02.01.",
        "For instance 53.02.01.",
    ),
    ("sex", "Jenis kelamin", "Sex", "", ""),
    ("age_band", "Kelompok umur", "Age band", "", ""),
    ("participation_id", "Peserta", "Participant", "", ""),
    (
        "assessed_on",
        "Tanggal penilaian",
        "Assessed on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("sppn_score", "Skor SPPN", "SPPN score", "", ""),
    ("litmas_ref", "Nomor Litmas", "Litmas reference", "", ""),
    ("request_id", "Nomor permohonan", "Request", "", ""),
    ("tpp_session_date", "Tanggal sidang TPP", "Review board date", "", ""),
    (
        "document_ref",
        "Nomor dokumen",
        "Document reference",
        "Berita acara, surat keputusan atau BAST.",
        "Minutes, decision letter or handover record.",
    ),
    ("reason_code", "Alasan", "Reason", "", ""),
    (
        "accepted_on",
        "Tanggal diterima",
        "Accepted on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("code", "Kehadiran", "Attendance", "", ""),
    ("minutes_late", "Menit terlambat", "Minutes late", "", ""),
    (
        "suspended_on",
        "Tanggal ditangguhkan",
        "Suspended on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    (
        "resumed_on",
        "Tanggal dilanjutkan",
        "Resumed on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    (
        "ended_on",
        "Tanggal berhenti",
        "Ended on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    (
        "completed_on",
        "Tanggal selesai",
        "Completed on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("assessment_id", "Asesmen", "Assessment", "", ""),
    ("lsp", "LSP", "Certification body", "Kode LSP.", "The certification body's code."),
    ("units", "Unit kompetensi", "Competency units", "Dipisah koma.", "Separated by commas."),
    ("result", "Hasil", "Result", "", ""),
    (
        "graduated_on",
        "Tanggal lulus",
        "Graduated on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("certificate_type", "Jenis sertifikat", "Certificate type", "", ""),
    ("number", "Nomor sertifikat", "Certificate number", "", ""),
    ("issuer", "Penerbit", "Issuer", "", ""),
    (
        "issued_on",
        "Tanggal terbit",
        "Issued on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("valid_until", "Berlaku sampai", "Valid until", "", ""),
    (
        "items",
        "Peralatan",
        "Equipment",
        "Nama, jumlah dan harga satuan (Rp) tiap barang.",
        "Name, quantity and unit value (Rp) of each item.",
    ),
    ("item_name", "Nama barang", "Item", "", ""),
    ("item_quantity", "Jumlah", "Quantity", "", ""),
    ("item_value", "Harga satuan (Rp)", "Unit value (Rp)", "", ""),
    (
        "capital_rupiah",
        "Modal usaha (Rp)",
        "Business capital (Rp)",
        "Boleh ditulis 1.500.000.",
        "You may write 1.500.000.",
    ),
    ("budget_line", "Mata anggaran", "Budget line", "", ""),
    ("grant_id", "Bantuan", "Grant", "", ""),
    ("storage_ref", "Tempat penyimpanan", "Storage reference", "", ""),
    (
        "handed_over_on",
        "Tanggal serah terima",
        "Handed over on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("place", "Tempat serah terima", "Place of handover", "", ""),
    ("recipient", "Diterima oleh", "Received by", "", ""),
    (
        "authority_ref",
        "Nomor surat kuasa",
        "Letter of authority",
        "Bila diterima perwakilan.",
        "When a representative receives it.",
    ),
    ("visit_id", "Kunjungan", "Visit", "", ""),
    ("business_status", "Keadaan usaha", "Business status", "", ""),
    (
        "visited_on",
        "Tanggal kunjungan",
        "Visited on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("amount_rupiah", "Nilai (Rp)", "Amount (Rp)", "", ""),
    (
        "recovered_on",
        "Tanggal dikembalikan",
        "Recovered on",
        "Kosongkan untuk hari ini.",
        "Leave empty for today.",
    ),
    ("episode_ref", "Nomor registrasi penahanan", "Custody register number", "", ""),
    (
        "facility",
        "UPT",
        "Facility",
        "Kode UPT, misalnya RUTAN-SOE.",
        "The facility's code, e.g. RUTAN-SOE.",
    ),
    ("admitted_on", "Tanggal masuk", "Admitted on", "", ""),
    ("legal_status", "Status hukum", "Legal status", "", ""),
    ("register_class", "Golongan register", "Register class", "", ""),
    ("offence_group", "Kelompok tindak pidana", "Offence group", "", ""),
    ("sentence_band", "Lama pidana", "Sentence length", "", ""),
    ("changed_on", "Tanggal perubahan", "Changed on", "", ""),
    ("sentence_months", "Lama pidana (bulan)", "Sentence (months)", "", ""),
    ("sentence_start", "Awal pidana", "Sentence start", "", ""),
    ("expiry_date", "Tanggal ekspirasi", "Expiry date", "", ""),
    ("sanction_id", "Hukuman", "Sanction", "", ""),
    ("imposed_on", "Tanggal dijatuhkan", "Imposed on", "", ""),
    ("ends_on", "Tanggal berakhir", "Ends on", "", ""),
    (
        "to_facility",
        "Pindah ke UPT",
        "To facility",
        "Kode UPT tujuan.",
        "The code of the facility moved to.",
    ),
    ("transferred_on", "Tanggal pindah", "Transferred on", "", ""),
    ("release_type", "Jenis pembebasan", "Release type", "", ""),
    ("released_on", "Tanggal bebas", "Released on", "", ""),
    ("died_on", "Tanggal meninggal", "Died on", "", ""),
    ("revoked_on", "Tanggal dicabut", "Revoked on", "", ""),
    ("case_id", "Perkara", "Case", "", ""),
    ("offence_date", "Tanggal tindak pidana", "Offence date", "", ""),
    ("arrest_date", "Tanggal penangkapan", "Arrest date", "", ""),
    ("conviction_date", "Tanggal putusan", "Conviction date", "", ""),
    ("readmission_date", "Tanggal masuk kembali", "Readmission date", "", ""),
    ("source", "Sumber data", "Source", "", ""),
    ("contact_id", "Kontak", "Contact", "", ""),
    ("contacted_on", "Tanggal kontak", "Contacted on", "", ""),
    ("employment_status", "Pekerjaan", "Work", "", ""),
    (
        "uses_trained_skill",
        "Memakai keterampilan dari pelatihan?",
        "Uses the trained skill?",
        "",
        "",
    ),
    ("uses_grant", "Memakai bantuan?", "Uses the grant?", "", ""),
    ("task_id", "Tugas", "Task", "", ""),
    ("stream_id", "Catatan milik", "Record of", "", ""),
    ("event_id", "Catatan yang dikoreksi", "Record corrected", "", ""),
];

/// A command's title and what it does.
pub fn command(name: &str, indonesian: bool) -> Option<(&'static str, &'static str)> {
    COMMANDS.iter().find(|(c, ..)| *c == name).map(|(_, title, title_en, help, help_en)| {
        if indonesian { (*title, *help) } else { (*title_en, *help_en) }
    })
}

/// A field's label and hint (empty when there is none).
pub fn field(name: &str, indonesian: bool) -> Option<(&'static str, &'static str)> {
    FIELDS.iter().find(|(f, ..)| *f == name).map(|(_, label, label_en, hint, hint_en)| {
        if indonesian { (*label, *hint) } else { (*label_en, *hint_en) }
    })
}

#[cfg(test)]
mod tests {
    use super::super::catalogue::{FORMS, Kind, SYSTEM_ONLY};
    use super::*;

    /// Every command a person may send has a form, and every form and field its words in both
    /// languages.
    #[test]
    fn every_command_a_person_sends_has_a_form_with_words_in_both_languages() {
        for name in events::command::Command::NAMES {
            assert!(
                SYSTEM_ONLY.contains(name) || super::super::catalogue::named(name).is_some(),
                "{name} has no form"
            );
        }
        for form in FORMS {
            for indonesian in [true, false] {
                let (title, help) = command(form.command, indonesian).expect(form.command);
                assert!(!title.is_empty() && !help.is_empty(), "{}", form.command);
            }
            for spec in form.fields {
                let names: &[&str] = match spec.kind {
                    Kind::Person(_) => &["person_ref", "sdp_number", "applicant_number", "nik"],
                    Kind::Items => &["items", "item_name", "item_quantity", "item_value"],
                    _ => &[spec.name],
                };
                for name in names {
                    for indonesian in [true, false] {
                        let (label, _) =
                            field(name, indonesian).unwrap_or_else(|| panic!("{name}"));
                        assert!(!label.is_empty(), "{name}");
                    }
                }
            }
        }
    }
}
