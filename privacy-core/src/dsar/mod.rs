//! Data-subject requests: the right to know (export, [`Dsar`], and [`DsarWriter`] for
//! subjects with many records) and the right to delete (erase, [`ErasureReport`]), and
//! retention enforcement ([`sweep`]).

mod document;
mod erasure;
pub(crate) mod export;
mod markdown;
mod request;
mod summary;
mod sweep;
mod timestamp;
mod writer;

pub use document::Dsar;
pub use erasure::{ErasureOutcome, ErasureReport, FieldErasure, SUBJECT_ID_BASIS};
pub use export::{ExportedValue, FieldExport, RecordExport};
pub use request::{DsarError, RIGHTS};
pub use sweep::{sweep, SweepReport};
pub use writer::{DsarWriteError, DsarWriter};

pub(crate) use markdown::text as markdown_text;
pub(crate) use summary::nested_kind;
