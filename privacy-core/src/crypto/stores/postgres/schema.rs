//! The store's tables: creating and migrating them, and the SQL of every statement with
//! the schema spelled in.

use postgres::Client;

use super::POSTGRES_SCHEMA_VERSION;
use crate::crypto::error::Convert;
use crate::crypto::error::{Error, Result};

/// The statements, with the schema spelled in.
pub(super) struct Sql {
    pub(super) keks: String,
    pub(super) insert_kek: String,
    pub(super) update_kek: String,
    pub(super) delete_kek: String,
    pub(super) kek_in_use: String,
    pub(super) data_key: String,
    pub(super) data_keys_any: String,
    pub(super) data_keys: String,
    pub(super) active_data_keys: String,
    pub(super) insert_data_keys: String,
    pub(super) upsert_data_keys: String,
    pub(super) add_kek_wraps: String,
    pub(super) add_seals: String,
    pub(super) rewrap_data_key: String,
    pub(super) update_data_key: String,
    pub(super) shred_lock: String,
    pub(super) shred: String,
    pub(super) shred_log_insert: String,
    pub(super) shred_log_end: String,
    pub(super) shred_log_since: String,
    pub(super) admin_lock: String,
}

impl Sql {
    pub(super) fn new(s: &str) -> Sql {
        let cols = "key_id, subject, kek_version, wrapped, shredded, seals";
        Sql {
            keks: format!("SELECT version, wrapped, wraps FROM {s}.privacy_keks"),
            insert_kek: format!(
                "INSERT INTO {s}.privacy_keks (version, wrapped, wraps) VALUES ($1, $2, $3)
                 ON CONFLICT (version) DO NOTHING"
            ),
            update_kek: format!("UPDATE {s}.privacy_keks SET wrapped = $2 WHERE version = $1"),
            delete_kek: format!("DELETE FROM {s}.privacy_keks WHERE version = $1"),
            kek_in_use: format!(
                "SELECT count(*) FROM {s}.privacy_data_keys WHERE NOT shredded AND kek_version = $1"
            ),
            data_key: format!("SELECT {cols} FROM {s}.privacy_data_keys WHERE subject = $1"),
            data_keys_any: format!(
                "SELECT {cols} FROM {s}.privacy_data_keys WHERE subject = ANY($1)"
            ),
            data_keys: format!("SELECT {cols} FROM {s}.privacy_data_keys"),
            active_data_keys: format!(
                "SELECT {cols} FROM {s}.privacy_data_keys WHERE NOT shredded"
            ),
            insert_data_keys: format!(
                "INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped)
                 SELECT subject, $2, wrapped FROM unnest($1::text[], $3::bytea[]) AS n(subject, wrapped)
                 ON CONFLICT (subject) DO NOTHING"
            ),
            // One statement (one round trip, atomic on its own): the rows inserted, then the
            // rows that were there before it started; and the inserted rows added to the
            // KEK's wrap count if that stays within $4. Past the limit the statement fails
            // with a division by zero (a count computed at run time, never folded by the
            // planner), which undoes its inserts: no transaction round trips. (A KEK that is
            // gone fails the foreign key instead: stale.) A row another
            // transaction committed meanwhile is in neither; the caller reads those again.
            upsert_data_keys: format!(
                "WITH input AS (
                     SELECT * FROM unnest($1::text[], $3::bytea[]) AS n(subject, wrapped)
                 ), ins AS (
                     INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped)
                     SELECT subject, $2, wrapped FROM input ORDER BY subject
                     ON CONFLICT (subject) DO NOTHING
                     RETURNING {cols}
                 ), counted AS (
                     UPDATE {s}.privacy_keks SET wraps = wraps + (SELECT count(*) FROM ins)
                     WHERE version = $2 AND (SELECT count(*) FROM ins) > 0
                       AND wraps <= $4::int8 - (SELECT count(*) FROM ins)
                     RETURNING version
                 ), status AS (
                     SELECT (SELECT count(*) FROM ins) AS inserted,
                            (SELECT count(*) FROM counted) AS added
                 ), guard AS (
                     SELECT 1 / (CASE WHEN inserted > 0 AND added = 0 AND EXISTS (
                                    SELECT 1 FROM {s}.privacy_keks WHERE version = $2
                                ) THEN 0 ELSE 1 END) AS within_limit
                     FROM status
                 )
                 SELECT {cols}, g.within_limit FROM ins, guard g
                 UNION ALL
                 SELECT d.key_id, d.subject, d.kek_version, d.wrapped, d.shredded, d.seals,
                        g.within_limit
                 FROM {s}.privacy_data_keys d JOIN input i ON i.subject = d.subject, guard g
                 WHERE d.subject NOT IN (SELECT subject FROM ins)"
            ),
            add_kek_wraps: format!(
                "UPDATE {s}.privacy_keks SET wraps = wraps + $2::int8
                 WHERE version = $1 AND wraps <= $3::int8 - $2::int8"
            ),

            add_seals: format!(
                "UPDATE {s}.privacy_data_keys AS d SET seals = d.seals + u.n
                 FROM unnest($1::int4[], $2::int8[]) AS u(key_id, n) WHERE d.key_id = u.key_id"
            ),
            rewrap_data_key: format!(
                "UPDATE {s}.privacy_data_keys SET kek_version = $3, wrapped = $4
                 WHERE key_id = $1 AND kek_version = $2 AND NOT shredded"
            ),
            update_data_key: format!(
                "UPDATE {s}.privacy_data_keys SET kek_version = $2, wrapped = $3
                 WHERE key_id = $1 AND NOT shredded"
            ),
            shred_lock: format!("LOCK TABLE {s}.privacy_shred_log IN EXCLUSIVE MODE"),
            shred: format!(
                "INSERT INTO {s}.privacy_data_keys (subject, kek_version, wrapped, shredded)
                 VALUES ($1, NULL, NULL, TRUE)
                 ON CONFLICT (subject) DO UPDATE
                 SET kek_version = NULL, wrapped = NULL, shredded = TRUE"
            ),
            shred_log_insert: format!("INSERT INTO {s}.privacy_shred_log (subject) VALUES ($1)"),
            shred_log_end: format!("SELECT coalesce(max(seq), 0) FROM {s}.privacy_shred_log"),
            shred_log_since: format!(
                "SELECT seq, subject FROM {s}.privacy_shred_log WHERE seq > $1 ORDER BY seq"
            ),
            // Data keys first, then KEKs: the order in which a transaction storing data keys
            // takes its locks (it inserts the keys, then adds to their KEK's wrap count), so
            // the two never deadlock.
            admin_lock: format!(
                "LOCK TABLE {s}.privacy_data_keys, {s}.privacy_keks IN SHARE ROW EXCLUSIVE MODE"
            ),
        }
    }
}

/// The schema version of the store: 0 where there are no tables yet.
pub(super) fn schema_version(
    client: &mut impl postgres::GenericClient,
    schema: &str,
) -> Result<i64> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{schema}.privacy_meta")],
        )
        .conv()?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_opt(
            &format!("SELECT value FROM {schema}.privacy_meta WHERE name = 'schema_version'"),
            &[],
        )
        .conv()?
        .map_or(0, |row| row.get(0)))
}

/// Creates the schema and tables, or migrates them, under an advisory lock (racing
/// instances migrate once). A current store is only read, so a read-only connection (a
/// replica, `default_transaction_read_only`) opens one.
pub(super) fn migrate(client: &mut Client, schema: &str) -> Result<()> {
    let too_new = |found| Error::SchemaTooNew {
        store: "postgres",
        found,
        supported: POSTGRES_SCHEMA_VERSION,
    };
    let found = schema_version(client, schema)?;
    if found > POSTGRES_SCHEMA_VERSION {
        return Err(too_new(found));
    }
    if found == POSTGRES_SCHEMA_VERSION {
        return Ok(());
    }
    let mut tx = client.transaction().conv()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("privacy-core/{schema}")],
    )
    .conv()?;
    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .conv()?;
    let version = schema_version(&mut tx, schema)?;
    if version > POSTGRES_SCHEMA_VERSION {
        return Err(too_new(version));
    }
    if version < 1 {
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {schema}.privacy_meta (
                 name text PRIMARY KEY,
                 value bigint NOT NULL
             );
             CREATE TABLE {schema}.privacy_keks (
                 version integer PRIMARY KEY CHECK (version >= 0),
                 wrapped bytea NOT NULL
             );
             CREATE TABLE {schema}.privacy_data_keys (
                 key_id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                 subject text NOT NULL UNIQUE,
                 kek_version integer REFERENCES {schema}.privacy_keks (version) ON DELETE RESTRICT,
                 wrapped bytea,
                 shredded boolean NOT NULL DEFAULT FALSE,
                 CHECK (shredded = (wrapped IS NULL) AND shredded = (kek_version IS NULL))
             );
             CREATE INDEX ON {schema}.privacy_data_keys (kek_version);
             CREATE TABLE {schema}.privacy_shred_log (
                 seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 subject text NOT NULL
             );"
        ))
        .conv()?;
    }
    if version < 2 {
        tx.batch_execute(&format!(
            "ALTER TABLE {schema}.privacy_data_keys
                 ADD COLUMN IF NOT EXISTS seals bigint NOT NULL DEFAULT 0"
        ))
        .conv()?;
    }
    if version < 3 {
        // The wrap count of each KEK, started at the data keys it wraps now (a lower bound:
        // keys shredded or rewrapped away before were not counted). `IF NOT EXISTS`: a
        // schema half-way between versions migrates too.
        tx.batch_execute(&format!(
            "ALTER TABLE {schema}.privacy_keks
                 ADD COLUMN IF NOT EXISTS wraps bigint NOT NULL DEFAULT 0;
             UPDATE {schema}.privacy_keks k SET wraps = (
                 SELECT count(*) FROM {schema}.privacy_data_keys d
                 WHERE d.kek_version = k.version)"
        ))
        .conv()?;
    }
    // Later versions: `if version < 4 { ... }`, each step in this transaction.
    if version < POSTGRES_SCHEMA_VERSION {
        tx.execute(
            &format!(
                "INSERT INTO {schema}.privacy_meta (name, value) VALUES ('schema_version', $1)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            &[&POSTGRES_SCHEMA_VERSION],
        )
        .conv()?;
    }
    tx.commit().conv()?;
    Ok(())
}
