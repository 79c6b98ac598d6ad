//! Data-subject requests: the right to know (export, [`Dsar`]) and the right to delete
//! (erase, [`ErasureReport`]), and retention enforcement ([`sweep`]).

mod document;
mod erasure;
mod export;
mod sweep;

pub use document::{Dsar, DsarError, RIGHTS};
pub use erasure::{ErasureOutcome, ErasureReport, FieldErasure, SUBJECT_ID_BASIS};
pub use export::{ExportedValue, FieldExport, RecordExport};
pub use sweep::{sweep, SweepReport};
