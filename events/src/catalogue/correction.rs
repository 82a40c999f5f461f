//! Corrections: a wrong event is never edited; a reversal pointing at it is appended to the
//! same stream, with a reason. A late correction needs a request and a second person.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Someone asked for a late correction; it waits for a second person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRequested {
    pub request_id: Uuid,
    pub target_event_id: Uuid,
    pub target_event_type: String,
    /// What the event recorded: a session id, an assessment id, a sanction id, ….
    pub target: String,
}

/// A second person turned a correction request down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRejected {
    pub request_id: Uuid,
}

/// An event was reversed: it no longer counts. The envelope carries the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventReversed {
    pub reversed_event_id: Uuid,
    pub reversed_event_type: String,
    /// What the reversed event recorded: a session id, an assessment id, a sanction id, ….
    pub target: String,
    /// For a late correction: the request, and who made it (the actor approved it).
    pub request_id: Option<Uuid>,
    pub requested_by: Option<String>,
}
