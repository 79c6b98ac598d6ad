//! [`FieldSet`]: the fields of a record a promise must find in serde's output, collected
//! through the typed model and ticked off as serde hands each value over.
//!
//! Sealing (encrypted and transient fields), the open-side check (encrypted fields) and the
//! redacted view (every classified field) all work this way; this is the one place that
//! collects the fields, matches a value serde hands over to one, and names what was missed.

use crate::schema::FieldMeta;
use crate::visit::{FieldValue, Identity, Visitor};
use crate::PersonalData;

/// One field to find: where its value lives, its metadata, its Rust path (only when asked).
pub(crate) struct Wanted {
    pub id: Identity,
    pub meta: &'static FieldMeta,
    /// The path of Rust field names from the record (`devices.serial`); empty unless the
    /// collector was asked for it.
    pub path: String,
    pub seen: bool,
}

/// The wanted fields of one record.
pub(crate) struct FieldSet {
    fields: Vec<Wanted>,
    /// How many of `fields` are not seen yet.
    left: usize,
}

impl FieldSet {
    /// The fields of `record` (nested records and the active enum variant included) for which
    /// `wanted` holds; `needs_path` says which of them need their Rust path.
    pub(crate) fn collect(
        record: &dyn PersonalData,
        wanted: fn(&FieldMeta) -> bool,
        needs_path: fn(&FieldMeta) -> bool,
    ) -> FieldSet {
        let mut collector = Collector {
            wanted,
            needs_path,
            path: Vec::new(),
            out: Vec::new(),
        };
        record.visit(&mut collector);
        FieldSet {
            left: collector.out.len(),
            fields: collector.out,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Whether every field was seen: no value serde hands over from now on is one of them.
    pub(crate) fn all_seen(&self) -> bool {
        self.left == 0
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Wanted> {
        self.fields.iter()
    }

    /// The first field not yet seen that `value` is (same address and type), or that `also`
    /// accepts; it is marked seen.
    pub(crate) fn take<T: ?Sized>(
        &mut self,
        value: &T,
        also: impl Fn(&Wanted) -> bool,
    ) -> Option<&Wanted> {
        let id = Identity::of(value);
        let found = self
            .fields
            .iter_mut()
            .find(|w| !w.seen && (w.id.matches(&id) || also(w)))?;
        found.seen = true;
        self.left -= 1;
        Some(found)
    }

    /// The first field that serde never handed over although it always writes it (no
    /// `skip`, `skip_serializing` or `skip_serializing_if`) and for which `counts` holds.
    pub(crate) fn missed(&self, counts: impl Fn(&FieldMeta) -> bool) -> Option<&Wanted> {
        self.fields
            .iter()
            .find(|w| !w.seen && counts(w.meta) && !w.meta.serde.may_skip())
    }
}

struct Collector {
    wanted: fn(&FieldMeta) -> bool,
    needs_path: fn(&FieldMeta) -> bool,
    path: Vec<&'static str>,
    out: Vec<Wanted>,
}

impl Visitor for Collector {
    fn field(&mut self, meta: &'static FieldMeta, value: &dyn FieldValue) {
        if !(self.wanted)(meta) {
            return;
        }
        let path = if (self.needs_path)(meta) {
            let mut segments = self.path.clone();
            segments.push(meta.name);
            segments.join(".")
        } else {
            String::new()
        };
        self.out.push(Wanted {
            id: Identity::of_dyn(value),
            meta,
            path,
            seen: false,
        });
    }

    fn enter(&mut self, meta: &'static FieldMeta) {
        self.path.push(meta.name);
    }

    fn leave(&mut self, _meta: &'static FieldMeta) {
        self.path.pop();
    }
}
