//! `jejak copy --from URL --to URL`: a whole log moved between databases (SQLite to PostgreSQL,
//! or back), every event with its position, times and hash, and every command record, so the
//! copy verifies as the original does and answers retries the same way. A facility can start on
//! SQLite and move to a shared PostgreSQL later.
//!
//! The source's chain is checked as it is read, and the target checks each page continues its
//! own chain before writing it, so a broken log is never copied and nothing is copied twice.
//! The target must be empty. The read models are not copied: they are rebuilt from the log on
//! first use. Personal data in the vault and users are not copied either (see
//! docs/operations.md).

use events::chain::ChainVerifier;
use events::limits::PAGE_EVENTS_MAX;

use crate::store::{AppendError, Head, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target already holds {0} events; copy only into an empty log")]
    TargetNotEmpty(i64),
    #[error("the source log is broken, so it is not copied: {0}")]
    SourceBroken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// Copies the whole log of `from` into the empty log of `to`, a page per transaction;
/// `progress` hears the last position copied. Returns the head copied.
pub async fn copy_log(
    from: &Store,
    to: &Store,
    mut progress: impl FnMut(i64),
) -> Result<Head, CopyError> {
    let target = to.head().await?.position;
    if target > 0 {
        return Err(CopyError::TargetNotEmpty(target));
    }
    let head = from.head().await?;
    let mut verifier = ChainVerifier::default();
    let mut position = 0;
    while position < head.position {
        let page = from.read_all(position + 1, PAGE_EVENTS_MAX).await?;
        let Some(last) = page.last() else { break };
        let last = last.position.min(head.position);
        let page: Vec<_> = page.into_iter().filter(|event| event.position <= last).collect();
        for event in &page {
            verifier.check(event).map_err(|found| CopyError::SourceBroken(found.to_string()))?;
        }
        let commands = from.command_records(position, last).await?;
        to.append_verbatim(&page, &commands).await?;
        position = last;
        progress(position);
    }
    let copied = to.head().await?;
    if copied.position != head.position || copied.hash != head.hash {
        let found =
            format!("copied up to {} ({}), not {}", copied.position, copied.hash, head.hash);
        return Err(CopyError::SourceBroken(found));
    }
    Ok(copied)
}
