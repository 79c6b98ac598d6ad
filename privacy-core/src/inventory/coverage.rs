//! [`CoverageReport`]: where the code and the privacy policy disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::{InventoryRow, Policy};

/// The result of [`Inventory::check`](super::Inventory::check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CoverageReport {
    /// The policy checked.
    pub policy: String,
    /// Categories the code collects that the policy does not declare, with the fields
    /// (`Record.field`) that hold them.
    pub undeclared_categories: BTreeMap<String, Vec<String>>,
    /// Categories the policy declares that no field holds.
    pub unused_categories: Vec<String>,
    /// Purposes the code names that the policy does not declare.
    pub undeclared_purposes: BTreeMap<String, Vec<String>>,
    /// Recipients the code names that the policy does not declare (only when it declares any).
    pub undeclared_recipients: BTreeMap<String, Vec<String>>,
}

impl CoverageReport {
    /// Whether everything the code collects, and why, and for whom, is declared.
    pub fn is_covered(&self) -> bool {
        self.undeclared_categories.is_empty()
            && self.undeclared_purposes.is_empty()
            && self.undeclared_recipients.is_empty()
    }

    /// The report as JSON: its `Serialize` form plus `covered` ([`CoverageReport::is_covered`]).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "policy": self.policy,
            "covered": self.is_covered(),
            "undeclared_categories": self.undeclared_categories,
            "unused_categories": self.unused_categories,
            "undeclared_purposes": self.undeclared_purposes,
            "undeclared_recipients": self.undeclared_recipients,
        })
    }
}

pub(super) fn check(rows: &[InventoryRow], policy: &Policy) -> CoverageReport {
    let declared = |list: &[String], item: &str| list.iter().any(|d| d == item);
    let mut report = CoverageReport {
        policy: format!("{} ({})", policy.name, policy.version),
        undeclared_categories: BTreeMap::new(),
        unused_categories: Vec::new(),
        undeclared_purposes: BTreeMap::new(),
        undeclared_recipients: BTreeMap::new(),
    };
    let mut used = BTreeSet::new();
    for r in rows {
        let at = format!("{}.{}", r.record, r.field);
        used.insert(r.category);
        if !declared(&policy.categories, r.category) {
            report
                .undeclared_categories
                .entry(r.category.to_owned())
                .or_default()
                .push(at.clone());
        }
        for p in &r.purposes {
            if !declared(&policy.purposes, p) {
                report
                    .undeclared_purposes
                    .entry((*p).to_owned())
                    .or_default()
                    .push(at.clone());
            }
        }
        if !policy.recipients.is_empty() {
            for p in &r.recipients {
                if !declared(&policy.recipients, p) {
                    report
                        .undeclared_recipients
                        .entry((*p).to_owned())
                        .or_default()
                        .push(at.clone());
                }
            }
        }
    }
    report.unused_categories = policy
        .categories
        .iter()
        .filter(|c| !used.contains(c.as_str()))
        .cloned()
        .collect();
    report
}

impl fmt::Display for CoverageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "policy: {}", self.policy)?;
        let section =
            |f: &mut fmt::Formatter<'_>, title: &str, map: &BTreeMap<String, Vec<String>>| {
                if map.is_empty() {
                    return writeln!(f, "  {title}: none");
                }
                writeln!(f, "  {title}:")?;
                for (item, at) in map {
                    writeln!(f, "    - {item} ({})", at.join(", "))?;
                }
                Ok(())
            };
        section(f, "collected but not declared", &self.undeclared_categories)?;
        section(f, "purposes not declared", &self.undeclared_purposes)?;
        section(f, "recipients not declared", &self.undeclared_recipients)?;
        if self.unused_categories.is_empty() {
            writeln!(f, "  declared but never collected: none")
        } else {
            writeln!(
                f,
                "  declared but never collected: {}",
                self.unused_categories.join(", ")
            )
        }
    }
}
