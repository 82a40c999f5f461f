//! Codes shown as words: every value of the closed word lists (`events::vocabulary`) and the
//! states of the read models, in Bahasa Indonesia and English. A code without its word is a
//! test failure (`every_code_has_a_word_in_both_languages`), never a bare code on a page.

/// (code, Bahasa Indonesia, English). A code means the same in every list it appears in.
pub const WORDS: &[(&str, &str, &str)] = &[
    // Roles
    ("petugas_pembinaan", "Petugas pembinaan", "Training officer (facility)"),
    ("wali", "Wali pemasyarakatan", "Personal officer (wali)"),
    ("tpp_sekretaris", "Sekretaris TPP", "Review board secretary (TPP)"),
    ("karutan", "Kepala Rutan", "Head of the detention centre"),
    ("disnaker_admin", "Petugas Disnakertrans", "Training office officer"),
    ("instruktur", "Instruktur", "Instructor"),
    ("asesor", "Asesor kompetensi", "Competency assessor"),
    ("ppk", "Pejabat Pembuat Komitmen", "Grant approver (PPK)"),
    ("petugas_serah_terima", "Petugas serah terima", "Handover officer"),
    ("pk_bapas", "Pembimbing Kemasyarakatan (Bapas)", "Probation officer (Bapas)"),
    ("auditor", "Auditor", "Auditor"),
    ("analis", "Analis", "Analyst"),
    ("evaluator", "Evaluator", "Evaluator"),
    ("dpo", "Pejabat pelindungan data", "Data protection officer"),
    ("system", "Sistem", "System"),
    // Organisations
    ("rutan", "Rumah tahanan (Rutan)", "Detention centre (Rutan)"),
    ("lapas", "Lembaga pemasyarakatan (Lapas)", "Prison (Lapas)"),
    ("bapas", "Bapas", "Probation office (Bapas)"),
    ("kanwil", "Kantor wilayah", "Regional office"),
    ("disnakertrans", "Disnakertrans", "Manpower office"),
    ("training_centre", "Balai latihan kerja", "Training centre"),
    ("lsp", "Lembaga sertifikasi profesi", "Certification body (LSP)"),
    // Venues, policies
    ("in_facility", "Di dalam Rutan/Lapas", "Inside the facility"),
    ("village", "Di desa", "In a village"),
    ("graduates_only", "Hanya lulusan", "Graduates only"),
    ("completers", "Yang menyelesaikan pelatihan", "Those who completed"),
    ("no_grants", "Tanpa bantuan", "No grants"),
    // Legal status, register class
    ("tahanan", "Tahanan", "Remand prisoner"),
    ("narapidana", "Narapidana", "Sentenced prisoner"),
    ("anak_binaan", "Anak binaan", "Juvenile"),
    ("klien", "Klien pemasyarakatan", "Client under supervision"),
    ("A.I", "A.I", "A.I"),
    ("A.II", "A.II", "A.II"),
    ("A.III", "A.III", "A.III"),
    ("A.IV", "A.IV", "A.IV"),
    ("A.V", "A.V", "A.V"),
    ("B.I", "B.I", "B.I"),
    ("B.IIa", "B.IIa", "B.IIa"),
    ("B.IIb", "B.IIb", "B.IIb"),
    ("B.III", "B.III", "B.III"),
    // Sex, age, offence, sentence
    ("laki_laki", "Laki-laki", "Male"),
    ("perempuan", "Perempuan", "Female"),
    ("under_18", "Di bawah 18 tahun", "Under 18"),
    ("18_25", "18–25 tahun", "18–25"),
    ("26_35", "26–35 tahun", "26–35"),
    ("36_45", "36–45 tahun", "36–45"),
    ("46_55", "46–55 tahun", "46–55"),
    ("56_plus", "56 tahun ke atas", "56 and over"),
    ("narkotika", "Narkotika", "Drugs"),
    ("pencurian", "Pencurian", "Theft"),
    ("kekerasan", "Kekerasan", "Violence"),
    ("penipuan", "Penipuan", "Fraud"),
    ("asusila", "Asusila", "Sexual offences"),
    ("korupsi", "Korupsi", "Corruption"),
    ("terorisme", "Terorisme", "Terrorism"),
    ("keamanan_negara", "Keamanan negara", "State security"),
    ("kejahatan_transnasional", "Kejahatan transnasional", "Transnational crime"),
    ("lainnya", "Lainnya", "Other"),
    ("under_1y", "Kurang dari 1 tahun", "Under 1 year"),
    ("1_3y", "1–3 tahun", "1–3 years"),
    ("3_5y", "3–5 tahun", "3–5 years"),
    ("5_10y", "5–10 tahun", "5–10 years"),
    ("over_10y", "Lebih dari 10 tahun", "Over 10 years"),
    ("wbp", "Warga binaan", "Inmate"),
    ("masyarakat", "Masyarakat umum", "Member of the public"),
    // Attendance
    ("hadir", "Hadir", "Present"),
    ("terlambat", "Terlambat", "Late"),
    ("sakit", "Sakit", "Sick"),
    ("izin", "Izin", "Excused"),
    ("dibebaskan", "Dibebaskan dari sesi", "Exempted"),
    ("bentrok", "Bentrok jadwal (sidang, kunjungan)", "Clash (court, visit)"),
    ("alpa", "Alpa (tanpa keterangan)", "Absent without reason"),
    ("menolak", "Menolak hadir", "Refused to attend"),
    ("sesi_dibatalkan", "Sesi dibatalkan", "Session cancelled"),
    ("ditangguhkan", "Ditangguhkan", "Suspended"),
    // Suspensions, ends, withdrawals, rejections
    ("sidang", "Menghadiri sidang", "At court"),
    ("hukuman_disiplin", "Hukuman disiplin", "Disciplinary sanction"),
    ("keamanan", "Keamanan", "Security"),
    ("pindah_sementara", "Pindah sementara", "Temporary transfer"),
    ("participant", "Karena peserta", "The participant's doing"),
    ("personal", "Keadaan pribadi", "Personal circumstances"),
    ("operational", "Alasan operasional", "Operational"),
    ("mengundurkan_diri", "Mengundurkan diri", "Dropped out"),
    ("dikeluarkan", "Dikeluarkan", "Dismissed"),
    ("kehadiran_kurang", "Kehadiran kurang", "Attendance too low"),
    ("perilaku", "Perilaku", "Behaviour"),
    ("kesehatan", "Kesehatan", "Health"),
    ("meninggal", "Meninggal dunia", "Died"),
    ("bebas", "Bebas", "Released"),
    ("pindah_upt", "Pindah UPT", "Transferred to another facility"),
    ("paket_dibatalkan", "Paket dibatalkan", "Package cancelled"),
    ("own_request", "Atas permintaan sendiri", "At their own request"),
    ("duplicate", "Tercatat ganda", "Duplicate"),
    ("entered_in_error", "Salah input", "Entered in error"),
    ("released", "Bebas", "Released"),
    ("transferred", "Dipindahkan", "Transferred"),
    ("died", "Meninggal dunia", "Died"),
    ("package_cancelled", "Paket dibatalkan", "Package cancelled"),
    ("package_closed", "Paket ditutup", "Package closed"),
    ("other", "Lainnya", "Other"),
    ("not_suitable", "Tidak sesuai", "Not suitable"),
    ("security", "Pertimbangan keamanan", "Security"),
    ("behaviour", "Perilaku", "Behaviour"),
    // Outcomes, certificates
    ("kompeten", "Kompeten", "Competent"),
    ("belum_kompeten", "Belum kompeten", "Not yet competent"),
    ("pelatihan", "Sertifikat pelatihan", "Training certificate"),
    ("kompetensi_bnsp", "Sertifikat kompetensi BNSP", "BNSP competency certificate"),
    // Releases, revocations, cases, follow-up
    ("bebas_murni", "Bebas murni", "End of sentence"),
    ("pembebasan_bersyarat", "Pembebasan bersyarat", "Parole"),
    ("cuti_bersyarat", "Cuti bersyarat", "Conditional leave"),
    ("cuti_menjelang_bebas", "Cuti menjelang bebas", "Pre-release leave"),
    ("bebas_demi_hukum", "Bebas demi hukum", "Released by law"),
    ("putusan_bebas", "Putusan bebas", "Acquitted"),
    ("pelanggaran_syarat", "Melanggar syarat", "Breach of conditions"),
    ("tindak_pidana_baru", "Tindak pidana baru", "New offence"),
    ("sdp", "SDP", "SDP"),
    ("polri", "Polri", "Police"),
    ("bekerja", "Bekerja", "Employed"),
    ("wirausaha", "Wirausaha", "Self-employed"),
    ("tidak_bekerja", "Tidak bekerja", "Not working"),
    ("berjalan", "Usaha berjalan", "Business running"),
    ("tidak_berjalan", "Usaha tidak berjalan", "Business not running"),
    ("dijual", "Peralatan dijual", "Equipment sold"),
    ("tidak_ditemukan", "Penerima tidak ditemukan", "Recipient not found"),
    ("sendiri", "Diterima sendiri", "The recipient in person"),
    ("perwakilan", "Diterima perwakilan (dengan surat kuasa)", "A representative (with authority)"),
    ("masih_ditahan", "Penerima masih ditahan", "The recipient is still in custody"),
    // States of packages, participations and grants
    ("planned", "Direncanakan", "Planned"),
    ("started", "Berjalan", "Running"),
    ("closed", "Ditutup", "Closed"),
    ("cancelled", "Dibatalkan", "Cancelled"),
    ("nominated", "Diusulkan", "Nominated"),
    ("registered", "Terdaftar", "Registered"),
    ("eligible", "Memenuhi syarat", "Eligible"),
    ("not_eligible", "Tidak memenuhi syarat", "Not eligible"),
    ("approved", "Disetujui", "Approved"),
    ("rejected", "Ditolak", "Rejected"),
    ("accepted", "Diterima", "Accepted"),
    ("waitlisted", "Daftar tunggu", "Waiting list"),
    ("withdrawn", "Ditarik", "Withdrawn"),
    ("active", "Mengikuti pelatihan", "In training"),
    ("suspended", "Ditangguhkan", "Suspended"),
    ("ended", "Berhenti", "Ended"),
    ("completed", "Selesai pelatihan", "Completed training"),
    ("competent", "Kompeten", "Competent"),
    ("not_yet_competent", "Belum kompeten", "Not yet competent"),
    ("graduated", "Lulus", "Graduated"),
    ("proposed", "Diusulkan", "Proposed"),
    ("deferred", "Ditunda", "Handover deferred"),
    ("handed_over", "Sudah diserahkan", "Handed over"),
    // Records a correction may reverse
    ("AttendanceRecorded", "Presensi", "Attendance"),
    ("CompetencyAssessed", "Hasil uji kompetensi", "Competency result"),
    ("CertificateIssued", "Sertifikat", "Certificate"),
    ("GrantUseMonitored", "Kunjungan monitoring", "Monitoring visit"),
    // The recidivism comparisons' breakdown values
    ("not_handed_over", "Tidak diserahkan", "Not handed over"),
    ("unknown", "Tidak diketahui", "Unknown"),
    // Skills of the demo and the source case
    ("menjahit", "Menjahit", "Sewing"),
    ("kecantikan", "Tata kecantikan", "Beauty"),
    ("pres_batako", "Pres batako", "Brick-press making"),
    ("pangkas_rambut", "Pangkas rambut", "Barbering"),
];

/// The word for `code` in the language, if it has one.
pub fn word(code: &str, indonesian: bool) -> Option<&'static str> {
    WORDS.iter().find(|(c, _, _)| *c == code).map(|(_, id, en)| if indonesian { *id } else { *en })
}

#[cfg(test)]
mod tests {
    use events::vocabulary::*;

    use super::*;

    fn codes() -> Vec<&'static str> {
        let mut codes: Vec<&str> = Vec::new();
        macro_rules! all {
            ($($list:ty),*) => { $( codes.extend(<$list>::ALL.iter().map(|value| value.as_str())); )* };
        }
        all!(
            Role,
            OrganisationKind,
            VenueType,
            GrantPolicy,
            LegalStatus,
            RegisterClass,
            Sex,
            AgeBand,
            OffenceGroup,
            SentenceBand,
            ParticipantCategory,
            AttendanceCode,
            SuspensionReason,
            EndCategory,
            EndReason,
            WithdrawalReason,
            NominationRejectionReason,
            CompetencyResult,
            CertificateType,
            ReleaseType,
            RevocationReason,
            CaseSource,
            EmploymentStatus,
            BusinessStatus,
            RecipientKind,
            DeferralReason
        );
        codes
    }

    #[test]
    fn every_code_has_a_word_in_both_languages() {
        for code in codes() {
            let (id, en) = (word(code, true), word(code, false));
            assert!(
                id.is_some_and(|w| !w.is_empty()) && en.is_some_and(|w| !w.is_empty()),
                "{code}"
            );
        }
        let mut seen: Vec<&str> = WORDS.iter().map(|(code, _, _)| *code).collect();
        seen.sort_unstable();
        let twice: Vec<_> = seen.windows(2).filter(|pair| pair[0] == pair[1]).collect();
        assert!(twice.is_empty(), "{twice:?}");
    }
}
