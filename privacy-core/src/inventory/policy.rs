//! A privacy policy's declarations, read from TOML.

#[cfg(feature = "policy")]
use std::path::Path;

#[cfg(feature = "policy")]
use serde::Deserialize;

#[cfg(feature = "policy")]
use crate::Category;

/// What a privacy policy declares: the categories of personal data it says the service
/// collects, the purposes, and the categories of recipients.
///
/// ```toml
/// [policy]
/// name = "SafePath privacy policy"
/// version = "2019-12-27"
/// categories = ["contact.email", "device.ip_address"]
/// purposes = ["account", "support"]
/// recipients = ["payment-processor"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The policy's name.
    pub name: String,
    /// Its version or date.
    pub version: String,
    /// Declared category names (taxonomy names or `custom:` ones).
    pub categories: Vec<String>,
    /// Declared purposes.
    pub purposes: Vec<String>,
    /// Declared categories of recipients (empty: not checked).
    pub recipients: Vec<String>,
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("could not read the policy file: {0}")]
    Io(#[from] std::io::Error),
    /// The TOML is malformed or has unknown keys.
    #[cfg(feature = "policy")]
    #[error("malformed policy file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A declared category is not in the taxonomy (and not `custom:`).
    #[error("the policy declares the unknown category `{0}`")]
    UnknownCategory(String),
}

#[cfg(feature = "policy")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    policy: Body,
}

#[cfg(feature = "policy")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    name: String,
    version: String,
    categories: Vec<String>,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    recipients: Vec<String>,
}

/// Reading policy files needs feature `policy` (on by default).
#[cfg(feature = "policy")]
impl Policy {
    /// Parses a policy file's text.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        let File { policy: b } = toml::from_str(text)?;
        for c in &b.categories {
            if !crate::category::is_custom(c) && Category::from_name(c).is_none() {
                return Err(PolicyError::UnknownCategory(c.clone()));
            }
        }
        Ok(Policy {
            name: b.name,
            version: b.version,
            categories: b.categories,
            purposes: b.purposes,
            recipients: b.recipients,
        })
    }

    /// Reads and parses a policy file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        Policy::from_toml_str(&std::fs::read_to_string(path)?)
    }
}
