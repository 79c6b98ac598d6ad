//! The derive's lookups in the shared vocabulary (`vocabulary.rs`, the very file privacy-core
//! compiles): categories, anonymizers and retention units by their attribute spelling, and the
//! closest-name suggestion for typos.

use crate::vocabulary::{
    AnonymizerEntry, CategoryEntry, RetentionUnitEntry, ANONYMIZERS, CATEGORIES, RETENTION_UNITS,
};

/// The taxonomy category spelled `name` (custom categories are not in it).
pub fn category(name: &str) -> Option<&'static CategoryEntry> {
    CATEGORIES.iter().find(|c| c.name == name)
}

/// Every category name, for help lines.
pub fn category_names() -> impl Iterator<Item = &'static str> + Clone {
    CATEGORIES.iter().map(|c| c.name)
}

/// The built-in anonymizer spelled `name`.
pub fn anonymizer(name: &str) -> Option<&'static AnonymizerEntry> {
    ANONYMIZERS.iter().find(|a| a.name == name)
}

/// Every built-in anonymizer name, for help lines.
pub fn anonymizer_names() -> impl Iterator<Item = &'static str> + Clone {
    ANONYMIZERS.iter().map(|a| a.name)
}

/// The retention unit written `suffix` (`"mo"`).
pub fn retention_unit(suffix: &str) -> Option<&'static RetentionUnitEntry> {
    RETENTION_UNITS.iter().find(|u| u.suffix == suffix)
}

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(input, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a, b, c` for a help line.
pub fn list(names: impl IntoIterator<Item = &'static str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}
