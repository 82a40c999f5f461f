//! `jejak verify`: walks the whole log in position order and re-checks the hash chain.
//!
//! It reads the log in pages, the next one read while the current one is checked, and feeds
//! each event to the pure [`ChainVerifier`], which keeps only the last hash and each stream's
//! last version, so memory stays bounded on any log. The pages hold each event's canonical
//! encoding made from its row ([`EncodedPage`]), not the event decoded into owned values. The walk stops at the head read when it
//! started; events appended meanwhile are left for the next run.

use events::chain::{BreakKind, ChainBreak, ChainVerifier, EncodedPage};
use events::limits::PAGE_EVENTS_MAX;

use crate::store::{Head, Store, StoreError};

/// What a verification found.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// The last event the walk checked: its position, and the hash the chain gives it.
    pub head: Head,
    /// Events checked and found intact.
    pub intact: i64,
    /// The first break, if any.
    pub first_break: Option<ChainBreak>,
    /// The stored Merkle tree against the events walked (when the chain is intact).
    pub tree: crate::tree::TreeReport,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none() && self.tree.first_mismatch.is_none()
    }
}

/// Verifies the whole log. `progress` is called with the last position checked after each page.
///
/// The walk ends at the last event row found when it started. Where the store records the
/// chain's tip apart from the events (PostgreSQL's `log_head`), that record must name the same
/// position and hash as the chain walked: an administrator who rewrote the events behind the
/// triggers, or removed or added rows at the end, is caught even when every hash was recomputed.
pub async fn verify_log(
    store: &Store,
    mut progress: impl FnMut(i64),
) -> Result<VerifyReport, VerifyError> {
    let (last, recorded) = store.heads().await?;
    let mut verifier = ChainVerifier::default();
    let mut tree = crate::tree::TreeWalk::default();
    let mut pages = store.encoded_pages(1, last.position, PAGE_EVENTS_MAX);
    let mut first_break = loop {
        if verifier.last_position() >= last.position {
            break None;
        }
        let page = match pages.next().await.map(as_page).transpose()? {
            Some(Ok(page)) => page,
            Some(Err(unreadable)) => {
                break Some(check_before(store, &mut verifier, unreadable).await?);
            }
            None => EncodedPage::default(),
        };
        if page.is_empty() {
            break verifier.finish(last.position).err();
        }
        if let Err(found) = check_page(&page, &mut verifier, &mut tree) {
            break Some(found);
        }
        pages.give_back(page);
        progress(verifier.last_position());
    };
    if first_break.is_none()
        && let Some(recorded) = &recorded
    {
        first_break = against_recorded_head(&verifier, recorded);
    }
    let head = Head {
        position: verifier.last_position(),
        hash: verifier.last_hash().to_owned(),
        recorded_at: if verifier.last_position() == last.position {
            last.recorded_at
        } else {
            None
        },
    };
    // The stored tree is compared only with an intact chain: a break already says more.
    let tree = match first_break {
        None => tree.compare(store).await?,
        Some(_) => crate::tree::TreeReport::default(),
    };
    Ok(VerifyReport { head, intact: verifier.last_position(), first_break, tree })
}

/// Why the log could not be verified (not what verification found).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
}

/// Checks a page's events in order and extends the tree with each one found intact: its leaf
/// is made from the digest the check computed, not from the stored hex decoded again.
fn check_page(
    page: &EncodedPage,
    verifier: &mut ChainVerifier,
    tree: &mut crate::tree::TreeWalk,
) -> Result<(), ChainBreak> {
    for event in page.iter() {
        verifier.check_encoded(&event)?;
        tree.push(verifier.last_digest().expect("an event was just checked"));
    }
    Ok(())
}

/// Whether the recorded head names the event the chain ended with.
fn against_recorded_head(verifier: &ChainVerifier, recorded: &Head) -> Option<ChainBreak> {
    let last = verifier.last_position();
    if recorded.position != last {
        let kind = BreakKind::Truncated { last, head: recorded.position };
        return Some(ChainBreak { position: last.min(recorded.position) + 1, kind });
    }
    if recorded.hash != verifier.last_hash() {
        let kind = BreakKind::HeadDiffers {
            head_hash: recorded.hash.clone(),
            chain_hash: verifier.last_hash().to_owned(),
        };
        return Some(ChainBreak { position: last, kind });
    }
    None
}

type Page = Result<EncodedPage, ChainBreak>;

/// Reads a page; an event that cannot be read is a break at its position, not a failure.
async fn read_page(store: &Store, from: i64, limit: usize) -> Result<Page, StoreError> {
    as_page(store.read_all_encoded(from, limit, EncodedPage::default()).await)
}

/// A page as read: an event that cannot be read is a break at its position, not a failure.
fn as_page(read: Result<EncodedPage, StoreError>) -> Result<Page, StoreError> {
    match read {
        Ok(page) => Ok(Ok(page)),
        Err(StoreError::Corrupt { position, detail }) => {
            Ok(Err(ChainBreak { position, kind: BreakKind::Unreadable { detail } }))
        }
        Err(error) => Err(error),
    }
}

/// Checks the events before an unreadable one, so that an earlier break is the one reported.
async fn check_before(
    store: &Store,
    verifier: &mut ChainVerifier,
    unreadable: ChainBreak,
) -> Result<ChainBreak, StoreError> {
    while verifier.last_position() + 1 < unreadable.position {
        let from = verifier.last_position() + 1;
        let count = usize::try_from(unreadable.position - from).unwrap_or(PAGE_EVENTS_MAX);
        let page = match read_page(store, from, count.min(PAGE_EVENTS_MAX)).await? {
            Ok(page) if !page.is_empty() => page,
            Ok(_) => break,
            Err(earlier) => return Ok(earlier),
        };
        if let Err(found) = page.iter().try_for_each(|event| verifier.check_encoded(&event)) {
            return Ok(found);
        }
    }
    Ok(unreadable)
}
