//! The stored format of every event type, pinned by a golden file per type in
//! `events/testdata/golden/`; upcasting of the old versions kept in `events/testdata/upcast/`;
//! and decoding that never panics. Run with `UPDATE_GOLDEN=1` to rewrite the golden files after
//! a deliberate change (which also needs a new schema version and an upcaster).
//!
//! An integration test of the `events` crate, so that reading fixtures stays out of the crate,
//! which does no I/O.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{NaiveDate, NaiveTime};
use events::Timestamp;
use events::catalogue::*;
use events::vocabulary::*;
use proptest::prelude::*;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0xa11c_e000 + n)
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

const PERSON: &str = "p0123456789abcdef0123456789abcdef";

fn sdp() -> Option<SdpSource> {
    Some(SdpSource {
        extract_at: Timestamp::parse("2026-02-10T03:00:00Z").unwrap(),
        row_ref: "extract-2026-02-10:17".to_owned(),
    })
}

fn attributes() -> PersonAttributes {
    PersonAttributes {
        sex: Some(Sex::Perempuan),
        age_band: Some(AgeBand::From26To35),
        offence_group: Some(OffenceGroup::Narkotika),
        sentence_band: Some(SentenceBand::From3To5Years),
    }
}

/// One example of every event type.
fn samples() -> Vec<Event> {
    vec![
        OrganisationRegistered {
            code: "RUTAN-SOE".into(),
            name: "Rutan Kelas IIB SoE".into(),
            kind: OrganisationKind::Rutan,
            time_zone: TimeZone::Makassar,
            parent: Some("KANWIL-NTT".into()),
        }
        .into(),
        PackageDefined {
            package_id: id(1),
            title: "Menjahit dasar".into(),
            provider: "DISNAKERTRANS-TTS".into(),
            skill: "menjahit".into(),
            skkni_units: vec!["C.14.01".into()],
            venue_type: VenueType::InFacility,
            location: "SoE".into(),
            facilities: vec!["RUTAN-SOE".into()],
            planned_hours: 140,
            start_date: date("2026-03-02"),
            end_date: date("2026-03-27"),
            quota_total: 16,
            quota_inmates: Some(8),
            attendance_threshold_percent: 80,
            funding_source: "APBD TTS 2026".into(),
            grant_policy: GrantPolicy::GraduatesOnly,
        }
        .into(),
        PackageAmended {
            package_id: id(1),
            changes: PackageChanges {
                quota_total: Some(20),
                end_date: Some(date("2026-04-03")),
                ..PackageChanges::default()
            },
        }
        .into(),
        SessionScheduled {
            package_id: id(1),
            session_id: id(2),
            date: date("2026-03-02"),
            start_time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
            hours: 4,
        }
        .into(),
        SessionCancelled { package_id: id(1), session_id: id(2) }.into(),
        PackageStarted { package_id: id(1), started_on: date("2026-03-02") }.into(),
        PackageClosed { package_id: id(1), closed_on: date("2026-03-27") }.into(),
        PackageCancelled { package_id: id(1), cancelled_on: date("2026-03-10") }.into(),
        PlaceAllocated { package_id: id(1), participation_id: id(3), inmate: true }.into(),
        PlaceReleased { package_id: id(1), participation_id: id(3) }.into(),
        WaitlistJoined { package_id: id(1), participation_id: id(3), inmate: false }.into(),
        WaitlistLeft { package_id: id(1), participation_id: id(3) }.into(),
        RosterEntryOpened { package_id: id(1), participation_id: id(3), inmate: true }.into(),
        ParticipantNominated {
            participation_id: id(3),
            package_id: id(1),
            person_ref: PERSON.into(),
            custody_episode_ref: "reg-B.I-17/2025".into(),
            category: ParticipantCategory::Wbp,
            legal_status: LegalStatus::Narapidana,
            register_class: Some(RegisterClass::BI),
            attributes: attributes(),
        }
        .into(),
        PublicApplicantRegistered {
            participation_id: id(4),
            package_id: id(1),
            person_ref: PERSON.into(),
            category: ParticipantCategory::Masyarakat,
            desa_code: "53.02.01.2001".into(),
            kecamatan_code: "53.02.01".into(),
            sex: Some(Sex::LakiLaki),
            age_band: Some(AgeBand::From18To25),
        }
        .into(),
        EligibilityAssessed {
            participation_id: id(3),
            assessment_id: id(5),
            rule_set: "asimilasi-umum".into(),
            rule_set_version: 1,
            assessed_on: date("2026-02-15"),
            inputs: EligibilityInputs {
                legal_status: Some(LegalStatus::Narapidana),
                offence_group: Some(OffenceGroup::Pencurian),
                sentence_months: Some(36),
                sentence_start: Some(date("2024-01-01")),
                expiry_date: Some(date("2027-01-01")),
                served_days: Some(776),
                sentence_days: Some(1096),
                last_sanction_end: None,
                sppn_score: Some(72),
                litmas_ref: Some("LITMAS/2026/9".into()),
            },
            criteria: vec![CriterionResult {
                criterion: "served_1_2".into(),
                met: true,
                detail: "served 776 of 1096 days; 1/2 required".into(),
            }],
            eligible: true,
        }
        .into(),
        EligibilityOverrideRequested { participation_id: id(3), request_id: id(6) }.into(),
        EligibilityOverrideApproved {
            participation_id: id(3),
            request_id: id(6),
            requested_by: "wali.dewi".into(),
        }
        .into(),
        NominationApproved {
            participation_id: id(3),
            tpp_session_date: date("2026-02-18"),
            nominated_by: "petugas.andi".into(),
        }
        .into(),
        NominationRejected {
            participation_id: id(3),
            reason: NominationRejectionReason::Behaviour,
        }
        .into(),
        ParticipantAccepted { participation_id: id(3), accepted_on: date("2026-02-20") }.into(),
        ParticipantWaitlisted { participation_id: id(3), position: 2 }.into(),
        ParticipantWithdrawn {
            participation_id: id(3),
            reason: WithdrawalReason::OwnRequest,
            system_only: false,
        }
        .into(),
        ParticipationStarted { participation_id: id(3), started_on: date("2026-03-02") }.into(),
        AttendanceRecorded {
            participation_id: id(3),
            session_id: id(2),
            session_date: date("2026-03-02"),
            code: AttendanceCode::Terlambat,
            minutes_late: Some(15),
        }
        .into(),
        ParticipationSuspended {
            participation_id: id(3),
            reason: SuspensionReason::Sidang,
            system_only: false,
            suspended_on: date("2026-03-05"),
        }
        .into(),
        ParticipationResumed { participation_id: id(3), resumed_on: date("2026-03-06") }.into(),
        ParticipationEnded {
            participation_id: id(3),
            reason: EndReason::Bebas,
            category: EndCategory::Operational,
            system_only: true,
            ended_on: date("2026-03-12"),
        }
        .into(),
        TrainingCompleted {
            participation_id: id(3),
            completed_on: date("2026-03-27"),
            sessions_attended: 18,
            sessions_expected: 20,
            hours_attended: 126,
        }
        .into(),
        CompetencyAssessed {
            participation_id: id(3),
            assessment_id: id(7),
            lsp: "LSP-TTS".into(),
            units: vec!["C.14.01".into()],
            result: CompetencyResult::Kompeten,
            assessed_on: date("2026-03-30"),
        }
        .into(),
        ParticipantGraduated {
            participation_id: id(3),
            assessment_id: id(7),
            graduated_on: date("2026-04-01"),
        }
        .into(),
        CertificateIssued {
            participation_id: id(3),
            certificate_type: CertificateType::KompetensiBnsp,
            number: "BNSP-2026-0001".into(),
            issuer: "BNSP".into(),
            issued_on: date("2026-06-30"),
            valid_until: Some(date("2029-06-30")),
        }
        .into(),
        GrantProposed {
            grant_id: id(8),
            participation_id: id(3),
            package_id: id(1),
            person_ref: PERSON.into(),
            items: vec![GrantItem {
                name: "mesin jahit".into(),
                quantity: 1,
                unit_value_rupiah: 2_500_000,
            }],
            capital_rupiah: 1_000_000,
            total_rupiah: 3_500_000,
            funding_source: "APBD TTS 2026".into(),
            budget_line: "5.1.02.99".into(),
        }
        .into(),
        GrantApproved { grant_id: id(8), proposed_by: "disnaker.gita".into() }.into(),
        GrantRejected { grant_id: id(8) }.into(),
        GrantHandoverDeferred {
            grant_id: id(8),
            reason: DeferralReason::MasihDitahan,
            storage_ref: Some("REG-D/2026/4".into()),
        }
        .into(),
        GrantHandedOver {
            grant_id: id(8),
            bast_number: "BAST/2026/17".into(),
            handed_over_on: date("2026-05-02"),
            place: "SoE".into(),
            recipient: RecipientKind::Perwakilan,
            authority_ref: Some("SK/keluarga/1".into()),
            approved_by: "ppk.joko".into(),
        }
        .into(),
        GrantCancelled { grant_id: id(8) }.into(),
        GrantUseMonitored {
            grant_id: id(8),
            visit_id: id(9),
            visited_on: date("2026-08-01"),
            business_status: BusinessStatus::Berjalan,
        }
        .into(),
        GrantRecovered {
            grant_id: id(8),
            recovered_on: date("2026-09-01"),
            amount_rupiah: 500_000,
        }
        .into(),
        CustodyEpisodeRecorded {
            person_ref: PERSON.into(),
            episode_ref: "reg-B.I-17/2025".into(),
            facility: "RUTAN-SOE".into(),
            admitted_on: date("2025-01-10"),
            legal_status: LegalStatus::Tahanan,
            register_class: Some(RegisterClass::AII),
            attributes: attributes(),
            sdp: sdp(),
        }
        .into(),
        LegalStatusChanged {
            person_ref: PERSON.into(),
            legal_status: LegalStatus::Narapidana,
            changed_on: date("2025-06-01"),
            sentence_months: Some(48),
            offence_group: Some(OffenceGroup::Narkotika),
            sdp: sdp(),
        }
        .into(),
        SentenceDatesUpdated {
            person_ref: PERSON.into(),
            sentence_start: date("2025-01-10"),
            expiry_date: date("2029-01-10"),
            sdp: sdp(),
        }
        .into(),
        DisciplinarySanctionRecorded {
            person_ref: PERSON.into(),
            sanction_id: id(10),
            imposed_on: date("2025-09-01"),
            ends_on: date("2025-09-30"),
            sdp: None,
        }
        .into(),
        PersonTransferred {
            person_ref: PERSON.into(),
            from_facility: "RUTAN-SOE".into(),
            to_facility: "LAPAS-KUPANG".into(),
            transferred_on: date("2026-04-01"),
            sdp: sdp(),
        }
        .into(),
        PersonReleased {
            person_ref: PERSON.into(),
            facility: "RUTAN-SOE".into(),
            release_type: ReleaseType::PembebasanBersyarat,
            released_on: date("2027-02-01"),
            legal_status: LegalStatus::Narapidana,
            sdp: sdp(),
        }
        .into(),
        PersonDied { person_ref: PERSON.into(), died_on: date("2028-01-01"), sdp: None }.into(),
        IntegrationRevoked {
            person_ref: PERSON.into(),
            revoked_on: date("2027-05-01"),
            reason: RevocationReason::PelanggaranSyarat,
            sdp: sdp(),
        }
        .into(),
        NewCaseRecorded {
            person_ref: PERSON.into(),
            case_id: id(11),
            offence_date: date("2027-08-01"),
            arrest_date: Some(date("2027-08-03")),
            conviction_date: Some(date("2028-01-15")),
            readmission_date: Some(date("2027-08-04")),
            offence_group: Some(OffenceGroup::Pencurian),
            source: CaseSource::Sdp,
            sdp: sdp(),
        }
        .into(),
        FollowUpContactRecorded {
            person_ref: PERSON.into(),
            contact_id: id(12),
            contacted_on: date("2027-05-02"),
            employment_status: EmploymentStatus::Wirausaha,
            uses_trained_skill: true,
            uses_grant: Some(true),
        }
        .into(),
        PersonRecordsMerged {
            person_ref: PERSON.into(),
            merged_ref: "pfedcba9876543210fedcba9876543210".into(),
        }
        .into(),
        PersonMergedInto {
            person_ref: "pfedcba9876543210fedcba9876543210".into(),
            surviving_ref: PERSON.into(),
        }
        .into(),
        ParticipationOpened {
            person_ref: PERSON.into(),
            participation_id: id(3),
            package_id: id(1),
        }
        .into(),
        ChangeOfCircumstanceRaised {
            person_ref: PERSON.into(),
            task_id: id(13),
            facility: "RUTAN-SOE".into(),
            trigger: "released".into(),
            trigger_event_id: id(14),
            affected_participations: vec![id(3)],
            actions_taken: vec!["participation_ended:bebas".into()],
        }
        .into(),
        ChangeOfCircumstanceAcknowledged { person_ref: PERSON.into(), task_id: id(13) }.into(),
        PersonalDataErased { person_ref: PERSON.into(), legal_basis: "UU 27/2022 Pasal 43".into() }
            .into(),
        CorrectionRequested {
            request_id: id(15),
            target_event_id: id(16),
            target_event_type: "AttendanceRecorded".into(),
            target: id(2).to_string(),
        }
        .into(),
        CorrectionRejected { request_id: id(15) }.into(),
        EventReversed {
            reversed_event_id: id(16),
            reversed_event_type: "AttendanceRecorded".into(),
            target: id(2).to_string(),
            request_id: Some(id(15)),
            requested_by: Some("instruktur.hadi".into()),
        }
        .into(),
    ]
}

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata").join(path)
}

#[test]
fn every_event_type_has_one_sample() {
    let sampled: BTreeSet<&str> = samples().iter().map(Event::event_type).collect();
    let catalogue: BTreeSet<&str> = Event::TYPES.iter().map(|(name, _)| *name).collect();
    assert_eq!(sampled, catalogue);
    assert_eq!(samples().len(), Event::TYPES.len());
}

#[test]
fn every_event_type_matches_its_golden_file() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = testdata("golden");
    for event in samples() {
        let path = dir.join(format!("{}.v{}.json", event.event_type(), event.schema_version()));
        let payload = event.to_payload();
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, format!("{payload}\n")).unwrap();
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing: run with UPDATE_GOLDEN=1", path.display()));
        assert_eq!(payload, golden.trim_end(), "{} changed its stored format", event.event_type());
        let decoded =
            Event::decode(event.event_type(), event.schema_version(), golden.trim_end()).unwrap();
        assert_eq!(decoded, event);
        events::envelope::validate_payload(&payload).unwrap();
    }
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        files,
        Event::TYPES.len(),
        "a golden file without an event type in {}",
        dir.display()
    );
}

#[test]
fn a_version_one_package_is_upcast_with_the_defaults_of_its_time() {
    let v1 = std::fs::read_to_string(testdata("upcast/PackageDefined.v1.json")).unwrap();
    let Event::PackageDefined(package) = Event::decode("PackageDefined", 1, v1.trim_end()).unwrap()
    else {
        panic!("not a package")
    };
    assert_eq!(package.title, "Menjahit");
    assert_eq!(package.quota_inmates, Some(8));
    assert!(package.skkni_units.is_empty() && package.facilities.is_empty());
    assert_eq!(package.grant_policy, GrantPolicy::GraduatesOnly);
}

#[test]
fn a_version_one_nomination_is_upcast_as_a_sentenced_inmate() {
    let v1 = std::fs::read_to_string(testdata("upcast/ParticipantNominated.v1.json")).unwrap();
    let Event::ParticipantNominated(nominated) =
        Event::decode("ParticipantNominated", 1, v1.trim_end()).unwrap()
    else {
        panic!("not a nomination")
    };
    assert_eq!(nominated.category, ParticipantCategory::Wbp);
    assert_eq!(nominated.legal_status, LegalStatus::Narapidana);
    assert_eq!(nominated.attributes, PersonAttributes::default());
    assert_eq!(nominated.custody_episode_ref, "ep-demo-00");
}

#[test]
fn unknown_types_future_versions_and_malformed_payloads_are_errors() {
    assert!(matches!(
        Event::decode("PackageExploded", 1, "{}"),
        Err(DecodeError::UnknownType { .. })
    ));
    assert!(matches!(
        Event::decode("PackageDefined", 3, "{}"),
        Err(DecodeError::UnsupportedVersion { version: 3, .. })
    ));
    assert!(matches!(
        Event::decode("PackageDefined", 0, "{}"),
        Err(DecodeError::UnsupportedVersion { version: 0, .. })
    ));
    assert!(matches!(
        Event::decode("PackageStarted", 1, r#"{"package_id":"x"}"#),
        Err(DecodeError::Malformed { .. })
    ));
    assert!(matches!(
        Event::decode("PackageDefined", 1, "[1]"),
        Err(DecodeError::Malformed { .. })
    ));
    assert!(matches!(
        Event::decode(
            "GrantRecovered",
            1,
            r#"{"grant_id":"00000000-0000-0000-0000-000000000001","recovered_on":"2026-01-01","amount_rupiah":-1}"#
        ),
        Err(DecodeError::Malformed { .. })
    ));
}

proptest! {
    #[test]
    fn decoding_never_panics(type_index in 0..Event::TYPES.len() + 1, version in -2_i32..5, payload in ".{0,200}") {
        let event_type = Event::TYPES.get(type_index).map_or("Unknown", |(name, _)| *name);
        let _ = Event::decode(event_type, version, &payload);
    }

    #[test]
    fn decoding_json_shaped_payloads_never_panics(type_index in 0..Event::TYPES.len(), fields in prop::collection::btree_map("[a-z_]{1,12}", prop_oneof![Just(serde_json::Value::Null), any::<i64>().prop_map(serde_json::Value::from), ".{0,20}".prop_map(serde_json::Value::from)], 0..8)) {
        let (event_type, version) = Event::TYPES[type_index];
        let payload = serde_json::to_string(&fields).unwrap();
        let _ = Event::decode(event_type, version, &payload);
        let _ = Event::decode(event_type, 1, &payload);
    }
}
