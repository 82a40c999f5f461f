//! `jejak export`: the whole log as NDJSON, one event per line, every envelope field.
//!
//! The payload is written as the string it is stored as, so the hash can be recomputed from
//! the export alone (`tools/verify_export.py`; the format is in docs/export-format.md).

use std::io::Write;

use events::limits::PAGE_EVENTS_MAX;

use crate::store::{Head, Store, StoreError};

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Writes every event up to the head at the start, and returns that head.
pub async fn export_log(
    store: &Store,
    out: &mut impl Write,
    mut progress: impl FnMut(i64),
) -> Result<Head, ExportError> {
    let head = store.head().await?;
    let mut pages = store.pages(1, head.position, PAGE_EVENTS_MAX);
    while let Some(page) = pages.next().await {
        let page = page?;
        let Some(last) = page.last() else { break };
        for event in &page {
            serde_json::to_writer(&mut *out, event).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
        progress(last.position);
    }
    out.flush()?;
    Ok(head)
}
