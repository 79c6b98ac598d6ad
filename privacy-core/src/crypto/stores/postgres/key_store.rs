//! [`KeyStore`] for [`PostgresKeyStore`]: each call one statement or one transaction, row
//! decoding and checked integer conversions.

use std::collections::HashMap;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Row, Transaction};

use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};
use crate::crypto::os::fork;
use crate::crypto::stores::key_store::{
    DataKeyRecord, DataKeyState, KeyStore, KeyStoreTx, NewDataKey, WrappedKek,
};

use super::schema::Sql;
use super::{off_runtime, PostgresKeyStore};

fn u32_of(v: i32, what: &'static str) -> Result<u32> {
    u32::try_from(v).map_err(|_| Error::CorruptStore { reason: what })
}

fn i32_of(v: u32) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::CorruptStore {
        reason: "version or key id out of PostgreSQL integer range",
    })
}

fn record(row: &Row) -> Result<DataKeyRecord> {
    let key_id: i32 = row.try_get(0).conv()?;
    let subject: String = row.try_get(1).conv()?;
    let kek_version: Option<i32> = row.try_get(2).conv()?;
    let wrapped: Option<Vec<u8>> = row.try_get(3).conv()?;
    let shredded: bool = row.try_get(4).conv()?;
    let seals: i64 = row.try_get(5).conv()?;
    let state = match (shredded, kek_version, wrapped) {
        (false, Some(v), Some(wrapped)) => DataKeyState::Active {
            kek_version: u32_of(v, "kek version out of range")?,
            wrapped,
        },
        (false, _, _) => {
            return Err(Error::CorruptStore {
                reason: "active data key without wrapped bytes",
            })
        }
        (true, _, _) => DataKeyState::Shredded,
    };
    Ok(DataKeyRecord {
        key_id: u32_of(key_id, "key id out of range")?,
        subject_id: subject,
        state,
        seals: u64::try_from(seals).unwrap_or(0),
    })
}

fn keks_of(rows: &[Row]) -> Result<Vec<WrappedKek>> {
    rows.iter()
        .map(|row| {
            Ok(WrappedKek {
                version: u32_of(row.try_get(0).conv()?, "kek version out of range")?,
                wrapped: row.try_get(1).conv()?,
                wraps: u64::try_from(row.try_get::<_, i64>(2).conv()?).unwrap_or(0),
            })
        })
        .collect()
}

/// A count or limit as PostgreSQL's `bigint` (saturating).
fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A foreign-key violation becomes `fk`; anything else the store error.
fn or_fk(e: &postgres::Error, fk: Error) -> Error {
    if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
        fk
    } else {
        Error::postgres(e)
    }
}

impl KeyStore for PostgresKeyStore {
    fn keks(&self) -> Result<Vec<WrappedKek>> {
        self.with_client(|c| keks_of(&c.query(&self.sql.keks, &[]).conv()?))
    }

    fn insert_kek(&self, kek: &WrappedKek) -> Result<bool> {
        let version = i32_of(kek.version)?;
        let wraps = i64_of(kek.wraps);
        self.with_client(|c| {
            Ok(
                c.execute(&self.sql.insert_kek, &[&version, &kek.wrapped, &wraps])
                    .conv()?
                    == 1,
            )
        })
    }

    fn delete_kek(&self, version: u32) -> Result<()> {
        let v = i32_of(version)?;
        self.tx(|tx| {
            let in_use: i64 = tx.query_one(&self.sql.kek_in_use, &[&v]).conv()?.get(0);
            if in_use > 0 {
                return Err(Error::KekInUse { version });
            }
            tx.execute(&self.sql.delete_kek, &[&v])
                .map_err(|e| or_fk(&e, Error::KekInUse { version }))?;
            Ok(())
        })
    }

    fn data_key(&self, subject: &str) -> Result<Option<DataKeyRecord>> {
        self.with_conn(|c| {
            let statement = c.prepared("data_key", &self.sql.data_key)?;
            c.client
                .query_opt(&statement, &[&subject])
                .conv()?
                .as_ref()
                .map(record)
                .transpose()
        })
    }

    fn insert_data_keys(
        &self,
        keys: &[NewDataKey<'_>],
        wrap_limit: u64,
    ) -> Result<Vec<DataKeyRecord>> {
        let mut versions: Vec<u32> = keys.iter().map(|k| k.kek_version).collect();
        versions.sort_unstable();
        versions.dedup();
        let subjects: Vec<&str> = keys.iter().map(|k| k.subject_id).collect();
        let limit = i64_of(wrap_limit);
        let refused = |version| Error::KekWrapLimit {
            version,
            limit: wrap_limit,
        };
        let rows = match versions[..] {
            [] => return Ok(Vec::new()),
            // The usual case, one KEK version: one statement (inserts and count), which fails
            // as a whole if the count would pass the limit.
            [version] => self.with_conn(|c| {
                let upsert = c.prepared("upsert_data_keys", &self.sql.upsert_data_keys)?;
                let wrapped: Vec<&[u8]> = keys.iter().map(|k| k.wrapped).collect();
                let mut rows = HashMap::with_capacity(keys.len());
                for row in c
                    .client
                    .query(&upsert, &[&subjects, &i32_of(version)?, &wrapped, &limit])
                    .map_err(|e| match e.code() {
                        Some(&SqlState::DIVISION_BY_ZERO) => refused(version),
                        _ => or_fk(&e, Error::StaleKek { version }),
                    })?
                {
                    let r = record(&row)?;
                    rows.insert(r.subject_id.clone(), r);
                }
                let missing: Vec<&str> = subjects
                    .iter()
                    .copied()
                    .filter(|s| !rows.contains_key(*s))
                    .collect();
                if !missing.is_empty() {
                    // Committed by another instance while the statement ran.
                    for row in c
                        .client
                        .query(&self.sql.data_keys_any, &[&missing])
                        .conv()?
                    {
                        let r = record(&row)?;
                        rows.insert(r.subject_id.clone(), r);
                    }
                }
                Ok(rows)
            })?,
            // Several versions: one statement each, in one transaction.
            _ => self.tx(|tx| {
                for &version in &versions {
                    let (names, wrapped): (Vec<&str>, Vec<&[u8]>) = keys
                        .iter()
                        .filter(|k| k.kek_version == version)
                        .map(|k| (k.subject_id, k.wrapped))
                        .unzip();
                    let v = i32_of(version)?;
                    let n = tx
                        .execute(&self.sql.insert_data_keys, &[&names, &v, &wrapped])
                        .map_err(|e| or_fk(&e, Error::StaleKek { version }))?;
                    if n > 0
                        && tx
                            .execute(&self.sql.add_kek_wraps, &[&v, &i64_of(n), &limit])
                            .conv()?
                            == 0
                    {
                        return Err(refused(version));
                    }
                }
                let mut rows = HashMap::with_capacity(keys.len());
                for row in tx.query(&self.sql.data_keys_any, &[&subjects]).conv()? {
                    let r = record(&row)?;
                    rows.insert(r.subject_id.clone(), r);
                }
                Ok(rows)
            })?,
        };
        subjects
            .iter()
            .map(|s| {
                rows.get(*s).cloned().ok_or(Error::CorruptStore {
                    reason: "the store returned fewer rows than keys",
                })
            })
            .collect()
    }

    fn data_keys(&self) -> Result<Vec<DataKeyRecord>> {
        self.with_client(|c| {
            c.query(&self.sql.data_keys, &[])
                .conv()?
                .iter()
                .map(record)
                .collect()
        })
    }

    fn rewrap_data_key(
        &self,
        key_id: u32,
        from_version: u32,
        to_version: u32,
        wrapped: &[u8],
    ) -> Result<bool> {
        let (id, from, to) = (i32_of(key_id)?, i32_of(from_version)?, i32_of(to_version)?);
        self.tx(|tx| {
            let n = tx
                .execute(&self.sql.rewrap_data_key, &[&id, &from, &to, &wrapped])
                .map_err(|e| {
                    or_fk(
                        &e,
                        Error::StaleKek {
                            version: to_version,
                        },
                    )
                })?;
            if n == 1 {
                tx.execute(&self.sql.add_kek_wraps, &[&to, &1_i64, &i64::MAX])
                    .conv()?;
            }
            Ok(n == 1)
        })
    }

    fn add_seals(&self, counts: &[(u32, u64)]) -> Result<()> {
        let ids = counts
            .iter()
            .map(|&(id, _)| i32_of(id))
            .collect::<Result<Vec<i32>>>()?;
        let ns: Vec<i64> = counts
            .iter()
            .map(|&(_, n)| i64::try_from(n).unwrap_or(i64::MAX))
            .collect();
        self.with_client(|c| {
            c.execute(&self.sql.add_seals, &[&ids, &ns]).conv()?;
            Ok(())
        })
    }

    fn shred(&self, subject: &str) -> Result<()> {
        self.tx(|tx| {
            // Serializes shreds, so log positions grow in commit order.
            tx.batch_execute(&self.sql.shred_lock).conv()?;
            tx.execute(&self.sql.shred, &[&subject]).conv()?;
            tx.execute(&self.sql.shred_log_insert, &[&subject]).conv()?;
            tx.execute("SELECT pg_notify($1, '')", &[&self.channel])
                .conv()?;
            Ok(())
        })
    }

    fn shreds_since(&self, cursor: Option<u64>) -> Result<(u64, Vec<String>)> {
        self.with_conn(|c| {
            let Some(cursor) = cursor else {
                let end: i64 = c
                    .client
                    .query_one(&self.sql.shred_log_end, &[])
                    .conv()?
                    .get(0);
                return Ok((u64::try_from(end).unwrap_or(0), Vec::new()));
            };
            let from = i64::try_from(cursor).unwrap_or(i64::MAX);
            let mut end = from;
            let mut subjects = Vec::new();
            let since = c.prepared("shred_log_since", &self.sql.shred_log_since)?;
            for row in c.client.query(&since, &[&from]).conv()? {
                let seq: i64 = row.try_get(0).conv()?;
                end = end.max(seq);
                subjects.push(row.try_get(1).conv()?);
            }
            Ok((u64::try_from(end).unwrap_or(0), subjects))
        })
    }

    /// Waits for a shred's `NOTIFY` (on a second connection that `LISTEN`s) or `timeout`.
    fn wait_for_change(&self, timeout: Duration) -> Result<()> {
        let waited = off_runtime(|| {
            let generation = fork::generation();
            // Taking, opening and putting back the listener is background work that a fork
            // waits for (see `fork::between_forks`); the wait itself holds no lock.
            let mut client = fork::between_forks(|| -> Result<Client> {
                let taken = self.listener.lock()?.take();
                // An inherited one is left to the parent; a closed one of ours is dropped.
                if let Some(client) = taken
                    .and_then(|(client, opened_in)| fork::ours(client, opened_in))
                    .filter(|client| !client.is_closed())
                {
                    return Ok(client);
                }
                let mut client = self.config.connect(NoTls).conv()?;
                client
                    .batch_execute(&format!("LISTEN \"{}\"", self.channel))
                    .conv()?;
                Ok(client)
            })?;
            let woken = {
                let mut notifications = client.notifications();
                let woken = notifications.timeout_iter(timeout).next().map(|_| ());
                // Drain what else arrived: one read of the log covers them all.
                while let Ok(Some(_)) = notifications.iter().next() {}
                woken
            };
            fork::between_forks(move || -> Result<()> {
                // A broken listener is closed here; a working one is put back.
                woken.conv()?;
                *self.listener.lock()? = Some((client, generation));
                Ok(())
            })
        });
        if waited.is_err() {
            std::thread::sleep(timeout);
        }
        waited
    }

    fn transaction(
        &self,
        f: &mut (dyn FnMut(&mut dyn KeyStoreTx) -> Result<()> + Send),
    ) -> Result<()> {
        self.tx(|tx| {
            tx.batch_execute(&self.sql.admin_lock).conv()?;
            f(&mut PostgresTx { tx, sql: &self.sql })
        })
    }
}

/// The operations of a [`KeyStore::transaction`] on PostgreSQL.
struct PostgresTx<'a, 't> {
    tx: &'a mut Transaction<'t>,
    sql: &'a Sql,
}

impl KeyStoreTx for PostgresTx<'_, '_> {
    fn keks(&mut self) -> Result<Vec<WrappedKek>> {
        keks_of(&self.tx.query(&self.sql.keks, &[]).conv()?)
    }

    fn insert_kek(&mut self, kek: &WrappedKek) -> Result<bool> {
        let version = i32_of(kek.version)?;
        Ok(self
            .tx
            .execute(
                &self.sql.insert_kek,
                &[&version, &kek.wrapped, &i64_of(kek.wraps)],
            )
            .conv()?
            == 1)
    }

    fn update_kek(&mut self, kek: &WrappedKek) -> Result<()> {
        let version = i32_of(kek.version)?;
        if self
            .tx
            .execute(&self.sql.update_kek, &[&version, &kek.wrapped])
            .conv()?
            == 1
        {
            Ok(())
        } else {
            Err(Error::StaleKek {
                version: kek.version,
            })
        }
    }

    fn delete_kek(&mut self, version: u32) -> Result<()> {
        let v = i32_of(version)?;
        let in_use: i64 = self
            .tx
            .query_one(&self.sql.kek_in_use, &[&v])
            .conv()?
            .get(0);
        if in_use > 0 {
            return Err(Error::KekInUse { version });
        }
        self.tx
            .execute(&self.sql.delete_kek, &[&v])
            .map_err(|e| or_fk(&e, Error::KekInUse { version }))?;
        Ok(())
    }

    fn active_data_keys(&mut self) -> Result<Vec<DataKeyRecord>> {
        self.tx
            .query(&self.sql.active_data_keys, &[])
            .conv()?
            .iter()
            .map(record)
            .collect()
    }

    fn update_data_key(&mut self, key_id: u32, kek_version: u32, wrapped: &[u8]) -> Result<()> {
        let (id, v) = (i32_of(key_id)?, i32_of(kek_version)?);
        self.tx
            .execute(&self.sql.update_data_key, &[&id, &v, &wrapped])
            .map_err(|e| {
                or_fk(
                    &e,
                    Error::StaleKek {
                        version: kek_version,
                    },
                )
            })?;
        Ok(())
    }

    fn add_kek_wraps(&mut self, version: u32, wraps: u64) -> Result<()> {
        let v = i32_of(version)?;
        if self
            .tx
            .execute(&self.sql.add_kek_wraps, &[&v, &i64_of(wraps), &i64::MAX])
            .conv()?
            == 1
        {
            Ok(())
        } else {
            Err(Error::StaleKek { version })
        }
    }
}
