//! Events of a grant stream (`grant-{id}`): equipment and business capital for a graduate,
//! from proposal to handover (*BAST*) and monitoring, with three different people signing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vocabulary::{BusinessStatus, DeferralReason, RecipientKind};

/// One line of equipment in a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantItem {
    pub name: String,
    pub quantity: u32,
    pub unit_value_rupiah: u64,
}

/// A grant was proposed (*usulan bantuan*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantProposed {
    pub grant_id: Uuid,
    pub participation_id: Uuid,
    pub package_id: Uuid,
    pub person_ref: String,
    pub items: Vec<GrantItem>,
    pub capital_rupiah: u64,
    /// Equipment plus capital, in rupiah.
    pub total_rupiah: u64,
    pub funding_source: String,
    pub budget_line: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantApproved {
    pub grant_id: Uuid,
    pub proposed_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRejected {
    pub grant_id: Uuid,
}

/// The handover waits, e.g. while the graduate is in custody (goods kept as *barang titipan*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantHandoverDeferred {
    pub grant_id: Uuid,
    pub reason: DeferralReason,
    pub storage_ref: Option<String>,
}

/// Equipment and capital were handed over, evidenced by a BAST number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantHandedOver {
    pub grant_id: Uuid,
    pub bast_number: String,
    pub handed_over_on: NaiveDate,
    pub place: String,
    pub recipient: RecipientKind,
    /// For a representative: the document that authorises them.
    pub authority_ref: Option<String>,
    pub approved_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantCancelled {
    pub grant_id: Uuid,
}

/// A monitoring visit (*monev*) saw how the grant is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantUseMonitored {
    pub grant_id: Uuid,
    pub visit_id: Uuid,
    pub visited_on: NaiveDate,
    pub business_status: BusinessStatus,
}

/// Part or all of a grant was taken back (*ditarik kembali*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRecovered {
    pub grant_id: Uuid,
    pub recovered_on: NaiveDate,
    pub amount_rupiah: u64,
}
