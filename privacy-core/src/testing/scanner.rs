//! [`LeakScanner`]: finds the raw personal values of records, and their encodings, in text.

use core::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, Match, MatchKind, StartKind};

use super::allow::Allow;
use super::encoding::{encoded_patterns, Encoding};
use super::prefilter::Prefilter;
use crate::{Category, PersonalData, PersonalValue};

/// Values shorter than this many bytes are not searched at all: they are listed by
/// [`LeakScanner::skipped`] with [`SkipReason::TooShort`].
pub const MIN_VALUE_LEN: usize = 4;

/// Values shorter than this many bytes, and values made only of ASCII digits, are matched
/// raw only, and only at a word boundary; see [`LeakScanner`].
pub const MIN_ENCODED_LEN: usize = 8;

/// Searches text for the personal values of records, raw and encoded.
///
/// Built once from records (it calls [`PersonalData::personal_values`]) or from hand-made
/// [`PersonalValue`]s; every search pattern of every value goes into one Aho-Corasick
/// automaton, and [`scan`](LeakScanner::scan) makes one pass over the text.
///
/// # How it searches
/// Stepping an automaton through every byte of a long log costs the same whatever the text,
/// and a few thousand patterns make a DFA too large for the CPU cache. So the scan first
/// reads one 4-byte window every few bytes (the shortest pattern's length minus three, at most
/// eight) and looks it up in a bit set of the patterns' own windows; only where a window could
/// belong to a pattern does the automaton run, anchored at the few positions where that
/// pattern would start. No occurrence can fall between two sampled windows, so nothing is
/// missed; on typical logs most of the text is skipped 4 to 8 bytes at a time.
///
/// # What is searched
/// For each value: the raw text, and (see [`Encoding`]) base64 standard and URL-safe, hex in
/// both cases, percent-encoding and JSON string escaping. Base64 is searched as the
/// characters that depend only on the value, at each of the three byte alignments a value
/// can have inside a larger encoded blob, so a value is found in `base64(value)`, padded or
/// not, and in `base64("user=" + value + "&...")` alike. Matching is case-sensitive (hex is
/// searched in both cases).
///
/// # Short values
/// A short value matches ordinary text by accident (an age of `42`, a country `FR`), so:
/// - values shorter than [`MIN_VALUE_LEN`] (4) bytes are **not searched**, and each is listed
///   in [`skipped`](LeakScanner::skipped) with [`SkipReason::TooShort`], so a test can assert
///   on what it does not cover;
/// - values shorter than [`MIN_ENCODED_LEN`] (8) bytes, and values made only of digits (ids,
///   phone and card numbers), are matched **raw only and only at a word boundary**: the bytes
///   around a match must not be ASCII letters or digits, so the account id `4242` is found in
///   `user=4242 ok` but not in `took 14242ms`. Their encoded forms are listed in `skipped`
///   with [`SkipReason::EncodedFormsTooShort`] (the base64 of four bytes is five characters:
///   noise).
///
/// # Allowed values
/// A test that logs a user id on purpose states so with [`allow`](LeakScanner::allow): values
/// of the allowed fields or categories are still searched but not reported.
pub struct LeakScanner {
    values: Vec<ScannedValue>,
    /// For each automaton pattern, the values and encodings it stands for.
    origins: Vec<Vec<Origin>>,
    search: Option<Search>,
    skipped: Vec<Skipped>,
    allowed: Vec<Allow>,
}

/// How the patterns are searched: a sampling prefilter in front of an anchored automaton, or
/// (when a pattern is shorter than the prefilter's window) the automaton over every byte.
enum Search {
    Filtered {
        prefilter: Prefilter,
        anchored: AhoCorasick,
    },
    Automaton(AhoCorasick),
}

impl Search {
    fn automaton(&self) -> &AhoCorasick {
        match self {
            Search::Filtered { anchored, .. } => anchored,
            Search::Automaton(automaton) => automaton,
        }
    }
}

/// A personal value found in text, by [`LeakScanner::scan`]. Holds no part of the value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Leak {
    /// The record type the value belongs to.
    pub record: &'static str,
    /// The field the value belongs to.
    pub field: &'static str,
    /// The field's category.
    pub category: Category,
    /// How the value was written.
    pub encoding: Encoding,
    /// The byte offset of the match in the text.
    pub offset: usize,
    /// The length of the match in bytes.
    pub len: usize,
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} <{}> found {} at byte {}..{}",
            self.record,
            self.field,
            self.category.name(),
            self.encoding,
            self.offset,
            self.offset + self.len
        )
    }
}

/// A value (or some of its forms) that the scanner does not search, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The record type the value belongs to.
    pub record: &'static str,
    /// The field the value belongs to.
    pub field: &'static str,
    /// The field's category.
    pub category: Category,
    /// Why.
    pub reason: SkipReason,
}

/// Why a value, or its encoded forms, is not searched; see [`LeakScanner`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The value is shorter than [`MIN_VALUE_LEN`]: not searched at all.
    TooShort {
        /// The value's length in bytes.
        len: usize,
    },
    /// The value is shorter than [`MIN_ENCODED_LEN`] or only digits: searched raw at word
    /// boundaries, its encodings not searched.
    EncodedFormsTooShort,
}

/// Why a [`LeakScanner`] could not be built. Holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The search automaton for this many patterns exceeds the automaton's limits.
    #[error("cannot build a leak scanner over {patterns} search patterns")]
    TooManyPatterns {
        /// How many patterns were requested.
        patterns: usize,
    },
}

struct ScannedValue {
    record: &'static str,
    field: &'static str,
    category: Category,
    boundary: Boundary,
    /// Matched by a rule of [`LeakScanner::allow`]: not reported.
    allowed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// Match anywhere.
    None,
    /// The bytes around the match are not ASCII alphanumeric.
    Word,
}

#[derive(Clone, Copy)]
struct Origin {
    value: usize,
    encoding: Encoding,
}

impl LeakScanner {
    /// A scanner for every personal value of these records (nested records included).
    pub fn new(records: &[&dyn PersonalData]) -> Result<LeakScanner, ScanError> {
        LeakScanner::from_values(records.iter().flat_map(|r| r.personal_values()))
    }

    /// A scanner for these values; for values that do not come from a derived record.
    pub fn from_values(
        values: impl IntoIterator<Item = PersonalValue>,
    ) -> Result<LeakScanner, ScanError> {
        let mut scanner = LeakScanner {
            values: Vec::new(),
            origins: Vec::new(),
            search: None,
            skipped: Vec::new(),
            allowed: Vec::new(),
        };
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
        let mut add = |pattern: Vec<u8>, origin: Origin, origins: &mut Vec<Vec<Origin>>| {
            if let Some(&id) = index.get(&pattern) {
                let list: &mut Vec<Origin> = &mut origins[id];
                // The first encoding that produced the pattern names it for that value.
                if !list.iter().any(|o| o.value == origin.value) {
                    list.push(origin);
                }
                return;
            }
            index.insert(pattern.clone(), patterns.len());
            patterns.push(pattern);
            origins.push(vec![origin]);
        };
        for v in values {
            let len = v.value.len();
            let skip = |reason| Skipped {
                record: v.record,
                field: v.field,
                category: v.category,
                reason,
            };
            if len < MIN_VALUE_LEN {
                scanner.skipped.push(skip(SkipReason::TooShort { len }));
                continue;
            }
            let short = len < MIN_ENCODED_LEN || v.value.bytes().all(|b| b.is_ascii_digit());
            let value = scanner.values.len();
            scanner.values.push(ScannedValue {
                record: v.record,
                field: v.field,
                category: v.category,
                boundary: if short {
                    Boundary::Word
                } else {
                    Boundary::None
                },
                allowed: false,
            });
            let raw = Origin {
                value,
                encoding: Encoding::Raw,
            };
            add(v.value.as_bytes().to_vec(), raw, &mut scanner.origins);
            if short {
                scanner.skipped.push(skip(SkipReason::EncodedFormsTooShort));
                continue;
            }
            for (encoding, pattern) in encoded_patterns(&v.value) {
                add(pattern, Origin { value, encoding }, &mut scanner.origins);
            }
        }
        if !patterns.is_empty() {
            scanner.search = Some(Search::new(&patterns)?);
        }
        Ok(scanner)
    }

    /// Every leak in `text`, ordered by offset. Empty when the text is clean.
    ///
    /// A match that stands for several values (two fields holding the same email) is reported
    /// once per value. Matches starting at different offsets are all reported, overlapping or
    /// not; of several patterns matching at one offset, the longest is reported.
    pub fn scan(&self, text: impl AsRef<[u8]>) -> Vec<Leak> {
        let text = text.as_ref();
        let mut leaks = Vec::new();
        match &self.search {
            None => {}
            Some(Search::Filtered {
                prefilter,
                anchored,
            }) => prefilter.candidates(text, |start| {
                let input = Input::new(text)
                    .span(start..text.len())
                    .anchored(Anchored::Yes);
                if let Ok(Some(m)) = anchored.try_find(input) {
                    self.report(text, m, &mut leaks);
                }
            }),
            // Leftmost-longest, restarting one byte after each match's start: every start
            // position with a match is reported (with its longest pattern), and a short value
            // rejected at a word boundary cannot hide a match that overlaps it.
            Some(Search::Automaton(automaton)) => {
                let mut at = 0;
                while let Ok(Some(m)) = automaton.try_find(Input::new(text).span(at..text.len())) {
                    at = m.start() + 1;
                    self.report(text, m, &mut leaks);
                }
            }
        }
        leaks.sort_by(|a, b| {
            (a.offset, a.record, a.field, a.encoding)
                .cmp(&(b.offset, b.record, b.field, b.encoding))
        });
        leaks
    }

    /// Adds the leaks a match stands for: one per value not allowed whose boundary rule it
    /// meets.
    fn report(&self, text: &[u8], m: Match, leaks: &mut Vec<Leak>) {
        for origin in &self.origins[m.pattern().as_usize()] {
            let value = &self.values[origin.value];
            if value.allowed {
                continue;
            }
            if value.boundary == Boundary::Word && !at_word_boundary(text, m.start(), m.end()) {
                continue;
            }
            leaks.push(Leak {
                record: value.record,
                field: value.field,
                category: value.category,
                encoding: origin.encoding,
                offset: m.start(),
                len: m.len(),
            });
        }
    }

    /// Adds rules to the allow-list: values of a field or category they name are no longer
    /// reported by [`scan`](LeakScanner::scan). See [`Allow`].
    #[must_use]
    pub fn allow(mut self, rules: impl IntoIterator<Item = Allow>) -> LeakScanner {
        self.allowed.extend(rules);
        for value in &mut self.values {
            value.allowed = self
                .allowed
                .iter()
                .any(|rule| rule.allows(value.record, value.field, value.category));
        }
        self
    }

    /// The allow-list: the rules given to [`allow`](LeakScanner::allow).
    pub fn allowed(&self) -> &[Allow] {
        &self.allowed
    }

    /// Whether `text` holds no leak: [`scan`](LeakScanner::scan) finds nothing.
    pub fn is_clean(&self, text: impl AsRef<[u8]>) -> bool {
        self.scan(text).is_empty()
    }

    /// The values, or encoded forms, this scanner does not search, and why.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// How many distinct search patterns the automaton holds.
    pub fn pattern_count(&self) -> usize {
        self.origins.len()
    }
}

impl fmt::Debug for LeakScanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeakScanner")
            .field("values", &self.values.len())
            .field("patterns", &self.origins.len())
            .field("skipped", &self.skipped.len())
            .field("allowed", &self.allowed.len())
            .field(
                "stride",
                &match &self.search {
                    Some(Search::Filtered { prefilter, .. }) => prefilter.stride(),
                    _ => 1,
                },
            )
            .field(
                "automaton",
                &self.search.as_ref().map(|s| s.automaton().kind()),
            )
            .field(
                "memory",
                &self.search.as_ref().map(|s| s.automaton().memory_usage()),
            )
            .finish()
    }
}

impl Search {
    fn new(patterns: &[Vec<u8>]) -> Result<Search, ScanError> {
        match Prefilter::new(patterns.iter().map(Vec::as_slice)) {
            Some(prefilter) => Ok(Search::Filtered {
                prefilter,
                anchored: build(patterns, StartKind::Anchored)?,
            }),
            None => Ok(Search::Automaton(build(patterns, StartKind::Unanchored)?)),
        }
    }
}

fn build(patterns: &[Vec<u8>], start: StartKind) -> Result<AhoCorasick, ScanError> {
    let builder = |kind| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(start)
            .kind(kind)
            .build(patterns)
    };
    let kind = match start {
        // Behind the prefilter the automaton only confirms the rare candidates: a compact
        // NFA (a few hundred KiB for thousands of patterns) does that as fast as a DFA.
        StartKind::Anchored => AhoCorasickKind::ContiguousNFA,
        // Stepping through every byte, a DFA is the fastest.
        _ => AhoCorasickKind::DFA,
    };
    // Past the chosen kind's limits, let the crate choose.
    builder(Some(kind))
        .or_else(|_| builder(None))
        .map_err(|_| ScanError::TooManyPatterns {
            patterns: patterns.len(),
        })
}

fn at_word_boundary(text: &[u8], start: usize, end: usize) -> bool {
    let before = start
        .checked_sub(1)
        .and_then(|i| text.get(i))
        .is_some_and(u8::is_ascii_alphanumeric);
    let after = text.get(end).is_some_and(u8::is_ascii_alphanumeric);
    !before && !after
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values that short never reach the search (see [`MIN_VALUE_LEN`]); if that bound is
    /// ever lowered below the prefilter's window, the automaton searches every byte instead.
    #[test]
    fn patterns_shorter_than_a_window_are_searched_byte_by_byte() {
        let patterns = [b"abc".to_vec(), b"abcdef".to_vec()];
        let search = Search::new(&patterns).expect("builds");
        assert!(matches!(search, Search::Automaton(_)));
        let origin = |value| {
            vec![Origin {
                value,
                encoding: Encoding::Raw,
            }]
        };
        let scanned = |field| ScannedValue {
            record: "R",
            field,
            category: Category::ContactEmail,
            boundary: Boundary::None,
            allowed: false,
        };
        let scanner = LeakScanner {
            values: vec![scanned("short"), scanned("long")],
            origins: vec![origin(0), origin(1)],
            search: Some(search),
            skipped: Vec::new(),
            allowed: Vec::new(),
        };
        let found: Vec<_> = scanner
            .scan("x abc y abcdef")
            .into_iter()
            .map(|l| (l.field, l.offset))
            .collect();
        assert_eq!(found, [("short", 2), ("long", 8)]);
    }

    #[test]
    fn values_long_enough_are_searched_through_the_prefilter() {
        let patterns = [b"abcd".to_vec(), b"jane@example.com".to_vec()];
        assert!(matches!(
            Search::new(&patterns).expect("builds"),
            Search::Filtered { .. }
        ));
        const { assert!(MIN_VALUE_LEN >= super::super::prefilter::Q) };
    }
}
