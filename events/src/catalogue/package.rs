//! Events of a package stream (`package-{id}`): the package's definition, its sessions, its
//! life, and its capacity ledger (places and waiting list).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::{GrantPolicy, VenueType};

/// A training package (*paket pelatihan*) was defined by the training office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDefined {
    pub package_id: Uuid,
    pub title: String,
    /// The organisation code of the training provider.
    pub provider: String,
    /// The trade (*kejuruan*): `menjahit`, `kecantikan`, `pres_batako`, `pangkas_rambut`, …
    pub skill: String,
    /// SKKNI competency units the package covers.
    pub skkni_units: Vec<String>,
    pub venue_type: VenueType,
    pub location: String,
    /// Facilities whose inmates may be nominated; empty for a package open to the public only.
    pub facilities: Vec<String>,
    /// Planned training hours (*jam pelatihan*, JP).
    pub planned_hours: u32,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub quota_total: u32,
    /// Places reserved at most for inmates, if the package limits them.
    pub quota_inmates: Option<u32>,
    pub attendance_threshold_percent: u8,
    pub funding_source: String,
    pub grant_policy: GrantPolicy,
}

/// What an amendment changes; absent fields stay as they were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChanges {
    pub title: Option<String>,
    pub location: Option<String>,
    pub planned_hours: Option<u32>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub quota_total: Option<u32>,
    pub quota_inmates: Option<u32>,
    pub attendance_threshold_percent: Option<u8>,
    pub funding_source: Option<String>,
}

/// A package was amended; the envelope carries the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageAmended {
    pub package_id: Uuid,
    pub changes: PackageChanges,
}

/// A session (*sesi*) was scheduled within the package period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionScheduled {
    pub package_id: Uuid,
    pub session_id: Uuid,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    /// Training hours (JP) the session counts for.
    pub hours: u32,
}

/// A session was cancelled; marks for it count as `sesi_dibatalkan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCancelled {
    pub package_id: Uuid,
    pub session_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageStarted {
    pub package_id: Uuid,
    pub started_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageClosed {
    pub package_id: Uuid,
    pub closed_on: NaiveDate,
}

/// A package was cancelled; every open participation ends with `paket_dibatalkan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageCancelled {
    pub package_id: Uuid,
    pub cancelled_on: NaiveDate,
}

/// A place was given to an accepted participant (the capacity ledger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceAllocated {
    pub package_id: Uuid,
    pub participation_id: Uuid,
    pub inmate: bool,
}

/// A place was given back: the participant withdrew or ended early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceReleased {
    pub package_id: Uuid,
    pub participation_id: Uuid,
}

/// A participant joined the waiting list (*daftar tunggu*) because the quota was full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistJoined {
    pub package_id: Uuid,
    pub participation_id: Uuid,
    pub inmate: bool,
}

/// A participant left the waiting list: accepted, withdrawn or ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistLeft {
    pub package_id: Uuid,
    pub participation_id: Uuid,
}

/// A participation for this package was opened (the package's side of a nomination or a
/// registration): the package's roster, which closing and cancelling walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntryOpened {
    pub package_id: Uuid,
    pub participation_id: Uuid,
    pub inmate: bool,
}
