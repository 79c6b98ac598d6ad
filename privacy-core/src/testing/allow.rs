//! [`Allow`]: a personal value a test deliberately lets appear (a user id logged for
//! correlation), by field or by category.

use core::fmt;

use crate::Category;

/// One rule of an allow-list: values matching it are not reported by
/// [`LeakScanner::scan`](crate::testing::LeakScanner::scan) or
/// [`assert_no_pii!`](crate::assert_no_pii).
///
/// - [`Allow::field`]`("id")`: the field `id` of any record; `"Account.id"` names the record
///   type too.
/// - [`Allow::category`]`(Category::IdentityAccountId)`: every field of that category.
///
/// A value allowed for one field is still reported when it is also the value of a field that
/// is not allowed.
///
/// ```
/// use privacy_core::{Category, PersonalValue};
/// use privacy_core::testing::{Allow, LeakScanner};
///
/// let values = [
///     PersonalValue { record: "Account", field: "id", category: Category::IdentityAccountId, value: "u-4242".into() },
///     PersonalValue { record: "Account", field: "email", category: Category::ContactEmail, value: "jane@example.com".into() },
/// ];
/// let scanner = LeakScanner::from_values(values)?.allow([Allow::field("Account.id")]);
/// assert!(scanner.is_clean("request user=u-4242 done"));
/// assert_eq!(scanner.scan("to jane@example.com")[0].field, "email");
/// # Ok::<(), privacy_core::testing::ScanError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow(Rule);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Field {
        record: Option<String>,
        field: String,
    },
    Category(Category),
}

impl Allow {
    /// Allows a field: `"id"` (of any record type) or `"Record.field"` (of one type; the
    /// record name is the one in [`Leak::record`](crate::testing::Leak::record)).
    pub fn field(name: &str) -> Allow {
        let rule = match name.rsplit_once('.') {
            Some((record, field)) => Rule::Field {
                record: Some(record.to_owned()),
                field: field.to_owned(),
            },
            None => Rule::Field {
                record: None,
                field: name.to_owned(),
            },
        };
        Allow(rule)
    }

    /// Allows every field of a category.
    pub fn category(category: Category) -> Allow {
        Allow(Rule::Category(category))
    }

    /// Whether this rule allows the field `field` of record type `record`, of `category`.
    pub fn allows(&self, record: &str, field: &str, category: Category) -> bool {
        match &self.0 {
            Rule::Field {
                record: rule_record,
                field: rule_field,
            } => rule_field == field && rule_record.as_deref().is_none_or(|r| r == record),
            Rule::Category(c) => *c == category,
        }
    }
}

impl fmt::Display for Allow {
    /// `field Account.id`, `field id`, `category identity.account_id`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Rule::Field {
                record: Some(record),
                field,
            } => write!(f, "field {record}.{field}"),
            Rule::Field {
                record: None,
                field,
            } => write!(f, "field {field}"),
            Rule::Category(c) => write!(f, "category {}", c.name()),
        }
    }
}
