//! [`MemoryKeyStore`]: a [`KeyStore`] in process memory, for tests and ephemeral data.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use zeroize::Zeroize;

use super::error::{Error, Result};
use super::store::{DataKeyRecord, DataKeyState, KeyStore, WrappedKek};

/// A [`KeyStore`] in memory: every key is lost when it is dropped.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    keks: BTreeMap<u32, WrappedKek>,
    data_keys: HashMap<String, DataKeyRecord>,
    next_key_id: u32,
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> MemoryKeyStore {
        MemoryKeyStore::default()
    }
}

impl core::fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.inner.lock() {
            Ok(inner) => f
                .debug_struct("MemoryKeyStore")
                .field("kek_versions", &inner.keks.keys().collect::<Vec<_>>())
                .field("data_keys", &inner.data_keys.len())
                .finish(),
            Err(_) => f.write_str("MemoryKeyStore(<poisoned>)"),
        }
    }
}

impl KeyStore for MemoryKeyStore {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        Ok(self.inner.lock()?.keks.values().cloned().collect())
    }

    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        let mut inner = self.inner.lock()?;
        if inner.keks.contains_key(&kek.version) {
            return Ok(false);
        }
        inner.keks.insert(kek.version, kek.clone());
        Ok(true)
    }

    fn replace_keks(&self, keks: &[WrappedKek]) -> Result<()> {
        let mut inner = self.inner.lock()?;
        if keks.iter().any(|k| !inner.keks.contains_key(&k.version)) {
            return Err(Error::CorruptStore {
                reason: "master-key rotation names a key-encryption key that is not stored",
            });
        }
        for kek in keks {
            if let Some(old) = inner.keks.insert(kek.version, kek.clone()) {
                let mut old = old;
                old.wrapped.zeroize();
            }
        }
        Ok(())
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        let mut inner = self.inner.lock()?;
        let in_use = inner.data_keys.values().any(|k| {
            matches!(k.state, DataKeyState::Active { kek_version, .. } if kek_version == version)
        });
        if in_use {
            return Err(Error::KekInUse { version });
        }
        if let Some(mut kek) = inner.keks.remove(&version) {
            kek.wrapped.zeroize();
        }
        Ok(())
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        Ok(self.inner.lock()?.data_keys.get(subject).cloned())
    }

    fn insert_data_key_if_absent(
        &self,
        subject: &str,
        kek_version: u32,
        wrapped: &[u8],
    ) -> Result<DataKeyRecord> {
        let mut inner = self.inner.lock()?;
        if let Some(existing) = inner.data_keys.get(subject) {
            return Ok(existing.clone());
        }
        let record = DataKeyRecord {
            key_id: next_id(&mut inner)?,
            subject: subject.to_owned(),
            state: DataKeyState::Active {
                kek_version,
                wrapped: wrapped.to_vec(),
            },
        };
        inner.data_keys.insert(subject.to_owned(), record.clone());
        Ok(record)
    }

    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        Ok(self.inner.lock()?.data_keys.values().cloned().collect())
    }

    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool> {
        let mut inner = self.inner.lock()?;
        let Some(record) = inner.data_keys.values_mut().find(|k| k.key_id == key_id) else {
            return Ok(false);
        };
        match &mut record.state {
            DataKeyState::Active {
                kek_version,
                wrapped: old,
            } if *kek_version == from_version => {
                old.zeroize();
                *old = wrapped.to_vec();
                *kek_version = to_version;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn shred(&self, subject: &str) -> Result<()> {
        let mut inner = self.inner.lock()?;
        if let Some(record) = inner.data_keys.get_mut(subject) {
            if let DataKeyState::Active { wrapped, .. } = &mut record.state {
                wrapped.zeroize();
            }
            record.state = DataKeyState::Shredded;
            return Ok(());
        }
        let key_id = next_id(&mut inner)?;
        inner.data_keys.insert(
            subject.to_owned(),
            DataKeyRecord {
                key_id,
                subject: subject.to_owned(),
                state: DataKeyState::Shredded,
            },
        );
        Ok(())
    }
}

fn next_id(inner: &mut Inner) -> Result<u32> {
    inner.next_key_id = inner
        .next_key_id
        .checked_add(1)
        .ok_or(Error::CorruptStore {
            reason: "key ids exhausted",
        })?;
    Ok(inner.next_key_id)
}
