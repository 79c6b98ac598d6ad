//! [`MemoryKeyStore`]: a [`KeyStore`] in process memory, for tests and ephemeral data.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use zeroize::Zeroize;

use crate::crypto::error::{Error, Result};
use crate::crypto::stores::key_store::{
    DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek,
};

/// A [`KeyStore`] in memory: every key is lost when it is dropped.
///
/// Owned by one keyring it is private to it; share it between keyrings through an
/// `Arc<MemoryKeyStore>` (which is a [`KeyStore`] too), e.g. to test several instances.
/// It is one process's memory: a child `fork`ed from that process gets a copy, and keys
/// created or shredded on either side afterwards stay on that side. Forked workers share
/// keys through the SQLite or PostgreSQL store.
#[derive(Default)]
pub struct MemoryKeyStore {
    inner: Mutex<Inner>,
}

#[derive(Default, Clone)]
struct Inner {
    keks: BTreeMap<u32, WrappedKek>,
    data_keys: HashMap<String, DataKeyRecord>,
    next_key_id: u32,
    shred_log: Vec<String>,
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
        Ok(self.inner.lock()?.insert_kek(kek))
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        self.inner.lock()?.delete_kek(version)
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        Ok(self.inner.lock()?.data_keys.get(subject).cloned())
    }

    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>> {
        let mut inner = self.inner.lock()?;
        if let Some(stale) = keys
            .iter()
            .find(|k| !inner.keks.contains_key(&k.kek_version))
        {
            return Err(Error::StaleKek {
                version: stale.kek_version,
            });
        }
        // What the batch adds to each KEK's count (first occurrence of a subject wins, as
        // below), checked against the limit before anything changes.
        let mut adds: BTreeMap<u32, u64> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        for key in keys {
            if !inner.data_keys.contains_key(key.subject_id) && seen.insert(key.subject_id) {
                *adds.entry(key.kek_version).or_default() += 1;
            }
        }
        for (&version, &n) in &adds {
            let wraps = inner.keks.get(&version).map_or(0, |k| k.wraps);
            if wraps.saturating_add(n) > wrap_limit {
                return Err(Error::KekWrapLimit {
                    version,
                    limit: wrap_limit,
                });
            }
        }
        for (version, n) in adds {
            if let Some(kek) = inner.keks.get_mut(&version) {
                kek.wraps = kek.wraps.saturating_add(n);
            }
        }
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(existing) = inner.data_keys.get(key.subject_id) {
                out.push(existing.clone());
                continue;
            }
            let record = DataKeyRecord {
                key_id: next_id(&mut inner)?,
                subject_id: key.subject_id.to_owned(),
                state: DataKeyState::Active {
                    kek_version: key.kek_version,
                    wrapped: key.wrapped.to_vec(),
                },
                seals: 0,
            };
            inner
                .data_keys
                .insert(key.subject_id.to_owned(), record.clone());
            out.push(record);
        }
        Ok(out)
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
        if !inner.keks.contains_key(&to_version) {
            return Err(Error::StaleKek {
                version: to_version,
            });
        }
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
            }
            _ => return Ok(false),
        }
        if let Some(kek) = inner.keks.get_mut(&to_version) {
            kek.wraps = kek.wraps.saturating_add(1);
        }
        Ok(true)
    }

    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()> {
        let mut inner = self.inner.lock()?;
        for record in inner.data_keys.values_mut() {
            for &(key_id, n) in counts {
                if record.key_id == key_id {
                    record.seals = record.seals.saturating_add(n);
                }
            }
        }
        Ok(())
    }

    fn shred(&self, subject: &str) -> Result<()> {
        let mut inner = self.inner.lock()?;
        inner.shred_log.push(subject.to_owned());
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
                subject_id: subject.to_owned(),
                state: DataKeyState::Shredded,
                seals: 0,
            },
        );
        Ok(())
    }

    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)> {
        let inner = self.inner.lock()?;
        let end = inner.shred_log.len();
        let from = match cursor {
            None => end,
            Some(c) => usize::try_from(c).unwrap_or(end).min(end),
        };
        Ok((end as u64, inner.shred_log[from..].to_vec()))
    }

    /// A store owned by one keyring changes only through it.
    fn is_shared(&self) -> bool {
        false
    }

    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()> {
        let mut inner = self.inner.lock()?;
        // Work on a copy and swap it in on success: all or nothing.
        let mut copy = inner.clone();
        f(&mut copy)?;
        *inner = copy;
        Ok(())
    }
}

impl Inner {
    fn insert_kek(&mut self, kek: &WrappedKek) -> bool {
        if self.keks.contains_key(&kek.version) {
            return false;
        }
        self.keks.insert(kek.version, kek.clone());
        true
    }

    fn delete_kek(&mut self, version: u32) -> Result<()> {
        let in_use = self.data_keys.values().any(|k| {
            matches!(k.state, DataKeyState::Active { kek_version, .. } if kek_version == version)
        });
        if in_use {
            return Err(Error::KekInUse { version });
        }
        if let Some(mut kek) = self.keks.remove(&version) {
            kek.wrapped.zeroize();
        }
        Ok(())
    }
}

impl KeyStoreTx for Inner {
    fn keks(&mut self) -> Result<Vec<WrappedKek>> {
        Ok(self.keks.values().cloned().collect())
    }

    fn insert_kek(&mut self, kek: &WrappedKek) -> Result<bool> {
        Ok(Inner::insert_kek(self, kek))
    }

    fn update_kek(&mut self, kek: &WrappedKek) -> Result<()> {
        match self.keks.get_mut(&kek.version) {
            Some(old) => {
                old.wrapped.zeroize();
                old.wrapped.clone_from(&kek.wrapped);
                Ok(())
            }
            None => Err(Error::StaleKek {
                version: kek.version,
            }),
        }
    }

    fn delete_kek(&mut self, version: u32) -> Result<()> {
        Inner::delete_kek(self, version)
    }

    fn active_data_keys(&mut self) -> Result<Vec<DataKeyRecord>> {
        Ok(self
            .data_keys
            .values()
            .filter(|k| matches!(k.state, DataKeyState::Active { .. }))
            .cloned()
            .collect())
    }

    fn update_data_key(&mut self, key_id: u32, kek_version: u32, wrapped: &[u8]) -> Result<()> {
        if !self.keks.contains_key(&kek_version) {
            return Err(Error::StaleKek {
                version: kek_version,
            });
        }
        let record = self
            .data_keys
            .values_mut()
            .find(|k| k.key_id == key_id)
            .ok_or(Error::UnknownKey)?;
        if let DataKeyState::Active {
            kek_version: v,
            wrapped: w,
        } = &mut record.state
        {
            w.zeroize();
            *w = wrapped.to_vec();
            *v = kek_version;
        }
        Ok(())
    }

    fn add_kek_wraps(&mut self, version: u32, wraps: u64) -> Result<()> {
        let kek = self
            .keks
            .get_mut(&version)
            .ok_or(Error::StaleKek { version })?;
        kek.wraps = kek.wraps.saturating_add(wraps);
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
