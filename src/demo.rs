//! A small fictional sample: the four packages of the SoE case and a few nominations, written
//! straight to the store so that a newcomer sees the log, its chain and `verify` at work.

use chrono::NaiveDate;
use events::catalogue::{Event, PackageDefined, ParticipantNominated, VenueType};
use events::{
    AppendRequest, ExpectedVersion, Metadata, NewEvent, Source, StreamAppend, Timestamp, ids,
};
use uuid::Uuid;

use crate::store::{AppendError, Store};

/// The command ids of the sample derive from this, so the sample is the same on every run.
const SAMPLE_NAMESPACE: Uuid = Uuid::from_u128(0x6a65_6a61_6b2d_6465_6d6f_2d73_616d_706c);

/// Why the sample was not written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the log already holds {events} events; the sample is written only to an empty log")]
    NotEmpty { events: i64 },
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// Writes the sample in one atomic append and returns the number of events written.
pub async fn write_sample(store: &Store) -> Result<usize, DemoError> {
    let head = store.head().await.map_err(AppendError::from)?;
    if head.position > 0 {
        return Err(DemoError::NotEmpty { events: head.position });
    }
    let packages = [
        ("Menjahit", "menjahit", VenueType::InFacility, 16),
        ("Kecantikan", "kecantikan", VenueType::InFacility, 12),
        ("Pembuatan pres batako", "pres_batako", VenueType::TrainingCentre, 20),
        ("Pangkas rambut", "pangkas_rambut", VenueType::InFacility, 10),
    ];
    let mut requests = Vec::new();
    for (index, (title, skill, venue_type, quota_total)) in packages.into_iter().enumerate() {
        let package_id = ids::derived_id(SAMPLE_NAMESPACE, &format!("package-{index}"));
        let defined = Event::PackageDefined(PackageDefined {
            package_id,
            title: title.to_owned(),
            provider: "disnakertrans-tts".to_owned(),
            skill: skill.to_owned(),
            venue_type,
            location: "SoE".to_owned(),
            planned_hours: 140,
            start_date: date(2026, 3, 2),
            end_date: date(2026, 3, 27),
            quota_total,
            quota_inmates: Some(quota_total / 2),
            attendance_threshold_percent: 80,
            funding_source: "APBD Kab. TTS 2026".to_owned(),
        });
        let stream_id = format!("package-{package_id}");
        requests.push(request(index * 10, "disnaker.admin", "disnaker_admin", &stream_id, defined));
        for person in 0..3 {
            let participation_id =
                ids::derived_id(SAMPLE_NAMESPACE, &format!("participation-{index}-{person}"));
            let nominated = Event::ParticipantNominated(ParticipantNominated {
                participation_id,
                package_id,
                person_ref: format!("p-demo-{index}{person}"),
                custody_episode_ref: format!("ep-demo-{index}{person}"),
            });
            let stream_id = format!("participation-{participation_id}");
            let sequence = index * 10 + person + 1;
            requests.push(request(
                sequence,
                "petugas.demo",
                "petugas_pembinaan",
                &stream_id,
                nominated,
            ));
        }
    }
    let outcomes = store.append_atomic(requests).await?;
    Ok(outcomes
        .iter()
        .map(|outcome| (outcome.last_position - outcome.first_position + 1) as usize)
        .sum())
}

fn request(
    sequence: usize,
    actor: &str,
    role: &str,
    stream_id: &str,
    event: Event,
) -> AppendRequest {
    let command_id = ids::derived_id(SAMPLE_NAMESPACE, &format!("command-{sequence}"));
    let metadata = Metadata {
        actor: actor.to_owned(),
        role: role.to_owned(),
        organisation: "demo".to_owned(),
        source: Source::Cli,
        correlation_id: command_id,
        causation_id: None,
    };
    let new_event = NewEvent {
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        occurred_at: Timestamp::start_of_day(date(2026, 2, 10)).expect("a date in range"),
        facility: Some("RUTAN-SOE".to_owned()),
        reason: None,
        document_ref: None,
        payload: event.to_payload(),
    };
    let stream = StreamAppend {
        stream_id: stream_id.to_owned(),
        expected: ExpectedVersion::NO_STREAM,
        events: vec![new_event],
    };
    AppendRequest::new(command_id, metadata, vec![stream])
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}
