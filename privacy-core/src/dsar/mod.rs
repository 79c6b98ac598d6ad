//! Data-subject requests: the right to know (export) and the right to delete (erase).

mod erasure;
mod export;

pub use erasure::{ErasureOutcome, ErasureReport, FieldErasure};
pub use export::{ExportedValue, FieldExport, RecordExport};
