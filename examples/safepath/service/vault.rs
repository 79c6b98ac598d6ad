//! Records in and out of the store: sealed with the keyring on the way in, opened on the way
//! out. Fields marked `encrypt` are AES-256-GCM envelopes in the database.

use std::path::Path;

use privacy_core::crypto::{Keyring, Sealed};
use privacy_core::PersonalData;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::{
    ChildProfile, Device, ErrorReport, Invoice, LocationPing, MarketingPreference, ParentAccount,
};
use super::store::{Store, StoreError};

/// A record type kept in the store.
pub trait Stored: PersonalData + Serialize + DeserializeOwned {
    /// The `kind` column.
    const KIND: &'static str;
    /// The record's key, unique within its kind.
    fn key(&self) -> String;
}

/// What can go wrong moving records in and out; never carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sealing or opening failed.
    #[error("{kind} record {key}: {source}")]
    Crypto {
        /// The record kind.
        kind: &'static str,
        /// The record key.
        key: String,
        /// The keyring's error.
        source: privacy_core::crypto::Error,
    },
    /// The keyring could not be opened.
    #[error("{0}")]
    Keys(privacy_core::crypto::Error),
    /// A record has no subject id.
    #[error("{kind} record {key} has no subject id")]
    NoSubject {
        /// The record kind.
        kind: &'static str,
        /// The record key.
        key: String,
    },
    /// A stored document is not valid JSON for its kind.
    #[error("stored {kind} record {key} is not a valid sealed document")]
    Decode {
        /// The record kind.
        kind: &'static str,
        /// The record key.
        key: String,
    },
}

/// The store and the keyring together.
pub struct Vault {
    pub store: Store,
    pub keyring: Keyring,
}

impl Vault {
    /// Opens the database and, beside it, the key store.
    pub fn open(
        db: &Path,
        master_key: privacy_core::crypto::MasterKey,
    ) -> Result<Vault, VaultError> {
        let store = Store::open(db)?;
        let keys = db.with_extension("keys");
        let keyring =
            Keyring::sqlite_with_master_key(&keys, master_key).map_err(VaultError::Keys)?;
        Ok(Vault { store, keyring })
    }

    /// Seals and stores a record.
    pub fn save<T: Stored>(&self, record: &T) -> Result<(), VaultError> {
        let key = record.key();
        let subject = record.subject_id().ok_or_else(|| VaultError::NoSubject {
            kind: T::KIND,
            key: key.clone(),
        })?;
        let sealed = self
            .keyring
            .seal(record)
            .map_err(|source| VaultError::Crypto {
                kind: T::KIND,
                key: key.clone(),
                source,
            })?;
        let body = serde_json::to_string(&sealed).map_err(|_| VaultError::Decode {
            kind: T::KIND,
            key: key.clone(),
        })?;
        self.store.put(T::KIND, &key, &subject, &body)?;
        Ok(())
    }

    /// Every record of a type.
    pub fn all<T: Stored>(&self) -> Result<Vec<T>, VaultError> {
        self.store
            .all(T::KIND)?
            .into_iter()
            .map(|row| self.open_row(&row.key, &row.body))
            .collect()
    }

    /// The records of a type that belong to a subject.
    pub fn of_subject<T: Stored>(&self, subject: &str) -> Result<Vec<T>, VaultError> {
        self.store
            .of_subject(T::KIND, subject)?
            .into_iter()
            .map(|row| self.open_row(&row.key, &row.body))
            .collect()
    }

    /// Deletes a record.
    pub fn delete<T: Stored>(&self, record: &T) -> Result<(), VaultError> {
        Ok(self.store.delete(T::KIND, &record.key())?)
    }

    fn open_row<T: Stored>(&self, key: &str, body: &str) -> Result<T, VaultError> {
        let sealed: Sealed<T> = serde_json::from_str(body).map_err(|_| VaultError::Decode {
            kind: T::KIND,
            key: key.to_owned(),
        })?;
        sealed
            .open(&self.keyring)
            .map_err(|source| VaultError::Crypto {
                kind: T::KIND,
                key: key.to_owned(),
                source,
            })
    }
}

macro_rules! stored {
    ($($ty:ty => $kind:literal, |$r:ident| $key:expr;)*) => {$(
        impl Stored for $ty {
            const KIND: &'static str = $kind;
            fn key(&self) -> String {
                let $r = self;
                $key
            }
        }
    )*};
}

stored! {
    ParentAccount => "parent", |r| r.id.clone();
    MarketingPreference => "marketing_preference", |r| r.parent_id.clone();
    Invoice => "invoice", |r| r.number.clone();
    ChildProfile => "child", |r| r.id.clone();
    Device => "device", |r| format!("{}/{}", r.owner_id, r.model);
    LocationPing => "location_ping", |r| format!("{}/{:04}", r.child_id, r.seq);
    ErrorReport => "error_report", |r| format!("{}/{}", r.child_id, r.reported_at.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()));
}
