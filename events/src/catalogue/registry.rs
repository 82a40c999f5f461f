//! Events of an organisation stream (`organisation-{code}`): the registry of facilities,
//! training offices, training centres and other organisations.

use serde::{Deserialize, Serialize};

use crate::vocabulary::{OrganisationKind, TimeZone};

/// An organisation joined the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRegistered {
    /// Upper-case code, e.g. `RUTAN-SOE`, `DISNAKERTRANS-TTS`.
    pub code: String,
    pub name: String,
    pub kind: OrganisationKind,
    pub time_zone: TimeZone,
    /// The organisation above it (a facility's regional office), if recorded.
    pub parent: Option<String>,
}
