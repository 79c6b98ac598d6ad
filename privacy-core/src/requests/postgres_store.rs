//! [`PostgresRecordStore`]: sealed records in PostgreSQL (feature `postgres`).

use postgres::Row;

use super::postgres_conn::{pg_message, PgConn};
use super::store::{valid_table, RecordStore, StoreError, StoredRecord};

/// Sealed records in a PostgreSQL schema, one table per record type, through the same
/// blocking `postgres` client as [`PostgresKeyStore`](crate::crypto::PostgresKeyStore):
///
/// ```sql
/// CREATE TABLE "privacy_account" (        -- text columns COLLATE "C" (byte order)
///     record_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, link_id TEXT,
///     collected_at BIGINT, sealed JSONB NOT NULL
/// );
/// -- indexes on (subject_id, record_id), (link_id, subject_id), collected_at, and a GIN index on
/// -- sealed->'blind_index' for lookups by blind index (jsonb containment)
/// ```
///
/// Batches are one statement each: `DELETE ... WHERE record_id = ANY($1)`, and an
/// `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE` for saves. Deleted rows stay
/// in the table's pages until `VACUUM` (autovacuum) reclaims them; run `VACUUM` after large
/// deletions if the files must not hold them.
pub struct PostgresRecordStore {
    conn: PgConn,
}

impl PostgresRecordStore {
    /// Connects to `url` and keeps the tables in schema `public`.
    pub fn connect(url: &str) -> Result<PostgresRecordStore, StoreError> {
        PostgresRecordStore::connect_in_schema(url, "public")
    }

    /// Connects to `url` and keeps the tables in `schema` (created if absent): ASCII
    /// letters, digits and `_`, not starting with a digit, at most 63 bytes.
    pub fn connect_in_schema(url: &str, schema: &str) -> Result<PostgresRecordStore, StoreError> {
        let conn = PgConn::connect(url, schema, "privacy-core records")
            .map_err(|m| StoreError::new("connect", m))?;
        Ok(PostgresRecordStore { conn })
    }

    fn run<R: Send>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut postgres::Client, &str) -> Result<R, postgres::Error> + Send,
    ) -> Result<R, StoreError> {
        let schema = self.conn.schema.clone();
        self.conn
            .with(|c| f(c, &schema).map_err(|e| pg_message(&e)))
            .map_err(|m| StoreError::new(operation, m))
    }
}

impl core::fmt::Debug for PostgresRecordStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PostgresRecordStore")
            .field("schema", &self.conn.schema)
            .finish_non_exhaustive()
    }
}

fn read(row: &Row) -> StoredRecord {
    StoredRecord {
        record_id: row.get(0),
        subject_id: row.get(1),
        link_id: row.get(2),
        collected_at: row.get(3),
        sealed: row.get(4),
        blind_indexes: Vec::new(),
    }
}

const SELECT: &str = "SELECT record_id, subject_id, link_id, collected_at, sealed::text";

impl RecordStore for PostgresRecordStore {
    fn ensure_table(&self, table: &str) -> Result<(), StoreError> {
        valid_table(table)?;
        self.run("create table", |c, s| {
            c.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.\"{table}\" (
                     record_id TEXT COLLATE \"C\" PRIMARY KEY,
                     subject_id TEXT COLLATE \"C\" NOT NULL,
                     link_id TEXT COLLATE \"C\",
                     collected_at BIGINT,
                     sealed JSONB NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS \"{table}_subject\" ON {s}.\"{table}\" (subject_id, record_id);
                 CREATE INDEX IF NOT EXISTS \"{table}_link\" ON {s}.\"{table}\" (link_id, subject_id)
                     WHERE link_id IS NOT NULL;
                 CREATE INDEX IF NOT EXISTS \"{table}_collected\" ON {s}.\"{table}\" (collected_at)
                     WHERE collected_at IS NOT NULL;
                 CREATE INDEX IF NOT EXISTS \"{table}_blind\" ON {s}.\"{table}\"
                     USING GIN ((sealed -> 'blind_index') jsonb_path_ops);"
            ))
        })
    }

    fn save(&self, table: &str, rows: &[StoredRecord]) -> Result<(), StoreError> {
        valid_table(table)?;
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.record_id.as_str()).collect();
        let subjects: Vec<&str> = rows.iter().map(|r| r.subject_id.as_str()).collect();
        let links: Vec<Option<&str>> = rows.iter().map(|r| r.link_id.as_deref()).collect();
        let times: Vec<Option<i64>> = rows.iter().map(|r| r.collected_at).collect();
        let sealed: Vec<&str> = rows.iter().map(|r| r.sealed.as_str()).collect();
        self.run("save", |c, s| {
            c.execute(
                &format!(
                    "INSERT INTO {s}.\"{table}\" (record_id, subject_id, link_id, collected_at, sealed)
                     SELECT i, su, l, t, se::jsonb
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
                         AS u(i, su, l, t, se)
                     ON CONFLICT (record_id) DO UPDATE SET subject_id = EXCLUDED.subject_id,
                     link_id = EXCLUDED.link_id, collected_at = EXCLUDED.collected_at,
                     sealed = EXCLUDED.sealed"
                ),
                &[&ids, &subjects, &links, &times, &sealed],
            )
            .map(|_| ())
        })
    }

    fn page(
        &self,
        table: &str,
        subject_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.unwrap_or("");
        self.run("read", |c, s| {
            let rows = c.query(
                &format!(
                    "{SELECT} FROM {s}.\"{table}\" WHERE subject_id = $1 AND record_id > $2
                     ORDER BY record_id LIMIT $3"
                ),
                &[&subject_id, &after, &limit],
            )?;
            Ok(rows.iter().map(read).collect())
        })
    }

    fn collected_before(
        &self,
        table: &str,
        before: i64,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.unwrap_or("");
        self.run("read", |c, s| {
            let rows = c.query(
                &format!(
                    "{SELECT} FROM {s}.\"{table}\" WHERE collected_at < $1 AND record_id > $2
                     ORDER BY record_id LIMIT $3"
                ),
                &[&before, &after, &limit],
            )?;
            Ok(rows.iter().map(read).collect())
        })
    }

    fn delete(&self, table: &str, record_ids: &[String]) -> Result<u64, StoreError> {
        valid_table(table)?;
        if record_ids.is_empty() {
            return Ok(0);
        }
        self.run("delete", |c, s| {
            c.execute(
                &format!("DELETE FROM {s}.\"{table}\" WHERE record_id = ANY($1)"),
                &[&record_ids],
            )
        })
    }

    fn count(&self, table: &str, subject_id: &str) -> Result<u64, StoreError> {
        valid_table(table)?;
        let n: i64 = self.run("count", |c, s| {
            c.query_one(
                &format!("SELECT count(*) FROM {s}.\"{table}\" WHERE subject_id = $1"),
                &[&subject_id],
            )
            .map(|row| row.get(0))
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn find_by_index(
        &self,
        table: &str,
        field: &str,
        index: &str,
        limit: usize,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        valid_table(table)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let wanted = serde_json::json!({ field: [index] }).to_string();
        self.run("find", |c, s| {
            let rows = c.query(
                &format!(
                    "{SELECT} FROM {s}.\"{table}\" WHERE (sealed -> 'blind_index') @> $1::text::jsonb
                     ORDER BY record_id LIMIT $2"
                ),
                &[&wanted, &limit],
            )?;
            Ok(rows.iter().map(read).collect())
        })
    }

    fn linked_subjects(
        &self,
        table: &str,
        link_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        valid_table(table)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.unwrap_or("");
        self.run("read links", |c, s| {
            let rows = c.query(
                &format!(
                    "SELECT DISTINCT subject_id FROM {s}.\"{table}\"
                     WHERE link_id = $1 AND subject_id > $2
                     ORDER BY subject_id LIMIT $3"
                ),
                &[&link_id, &after, &limit],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }
}
