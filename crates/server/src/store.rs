//! The `SQLite` store: models, their versions (the input as given, and the model as read), and the
//! tracking decisions reviewers take in the app. Migrations are numbered SQL scripts, applied in
//! order inside one transaction each; `PRAGMA user_version` says how far a database has come.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use threatscribe_model::{Status, TrackingEntry};

/// Each entry brings the schema from version `n` to `n + 1`. Never edit a released entry: add
/// one.
const MIGRATIONS: &[&str] = &[
    // 1: models and their versions.
    "CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL
    );
    CREATE TABLE versions (
        model_id INTEGER NOT NULL REFERENCES models(id),
        version INTEGER NOT NULL,
        kind TEXT NOT NULL,
        input TEXT NOT NULL,
        model_json TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (model_id, version)
    );",
    // 2: tracking decisions per model (they carry over to every version), and what an LLM
    // added to a version.
    "CREATE TABLE tracking (
        model_id INTEGER NOT NULL REFERENCES models(id),
        threat_id TEXT NOT NULL,
        status TEXT NOT NULL,
        justification TEXT,
        updated TEXT NOT NULL,
        PRIMARY KEY (model_id, threat_id)
    );
    ALTER TABLE versions ADD COLUMN llm_json TEXT;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

pub struct Store {
    conn: Connection,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelSummary {
    pub id: i64,
    pub name: String,
    pub created: String,
    /// The latest version number.
    pub versions: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VersionInfo {
    pub version: i64,
    /// "plain-English description", "YAML model file", ...
    pub kind: String,
    pub created: String,
}

/// One stored version.
pub struct StoredVersion {
    pub kind: String,
    pub input: String,
    pub model_json: String,
    pub llm_json: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "the database is at schema version {found}, newer than this threatscribe ({supported}); upgrade threatscribe"
    )]
    TooNew { found: usize, supported: usize },
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut store = Store { conn };
        store.migrate(SCHEMA_VERSION)?;
        Ok(store)
    }

    /// Applies the migrations up to `target`, each in its own transaction.
    pub fn migrate(&mut self, target: usize) -> Result<(), StoreError> {
        let current = self.schema_version()?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(n + 1).unwrap_or(i64::MAX),
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?;
        Ok(usize::try_from(version).unwrap_or(0))
    }

    /// Adds a version of the model called `name` (creating the model the first time); returns
    /// the model's id and the new version number.
    pub fn add_version(
        &mut self,
        name: &str,
        kind: &str,
        input: &str,
        model_json: &str,
        llm_json: Option<&str>,
        now: &str,
    ) -> Result<(i64, i64), StoreError> {
        let tx = self.conn.transaction()?;
        let existing: Option<i64> = tx
            .query_row("SELECT id FROM models WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        let id = if let Some(id) = existing {
            id
        } else {
            tx.execute(
                "INSERT INTO models (name, created) VALUES (?1, ?2)",
                params![name, now],
            )?;
            tx.last_insert_rowid()
        };
        let version: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE model_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO versions (model_id, version, kind, input, model_json, created, llm_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, version, kind, input, model_json, now, llm_json],
        )?;
        tx.commit()?;
        Ok((id, version))
    }

    pub fn models(&self) -> Result<Vec<ModelSummary>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT m.id, m.name, m.created, COALESCE(MAX(v.version), 0)
             FROM models m LEFT JOIN versions v ON v.model_id = m.id
             GROUP BY m.id ORDER BY m.name",
        )?;
        let rows = statement.query_map([], |r| {
            Ok(ModelSummary {
                id: r.get(0)?,
                name: r.get(1)?,
                created: r.get(2)?,
                versions: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn model(&self, id: i64) -> Result<Option<ModelSummary>, StoreError> {
        Ok(self.models()?.into_iter().find(|m| m.id == id))
    }

    pub fn versions(&self, id: i64) -> Result<Vec<VersionInfo>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT version, kind, created FROM versions WHERE model_id = ?1 ORDER BY version",
        )?;
        let rows = statement.query_map([id], |r| {
            Ok(VersionInfo {
                version: r.get(0)?,
                kind: r.get(1)?,
                created: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn version(&self, id: i64, version: i64) -> Result<Option<StoredVersion>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT kind, input, model_json, llm_json FROM versions
                 WHERE model_id = ?1 AND version = ?2",
                params![id, version],
                |r| {
                    Ok(StoredVersion {
                        kind: r.get(0)?,
                        input: r.get(1)?,
                        model_json: r.get(2)?,
                        llm_json: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a reviewer's decision about one finding of a model (replacing an earlier one).
    pub fn set_tracking(
        &self,
        id: i64,
        threat: &str,
        status: Status,
        justification: Option<&str>,
        now: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO tracking (model_id, threat_id, status, justification, updated)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (model_id, threat_id)
             DO UPDATE SET status = ?3, justification = ?4, updated = ?5",
            params![id, threat, status.as_str(), justification, now],
        )?;
        Ok(())
    }

    /// The model's tracking decisions, as the engine takes them.
    pub fn tracking(&self, id: i64) -> Result<Vec<TrackingEntry>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT threat_id, status, justification, updated FROM tracking
             WHERE model_id = ?1 ORDER BY threat_id",
        )?;
        let rows = statement.query_map([id], |r| {
            let status: String = r.get(1)?;
            let updated: String = r.get(3)?;
            Ok(TrackingEntry {
                threat: r.get(0)?,
                status: serde_json::from_value(serde_json::Value::String(status))
                    .unwrap_or(Status::Open),
                justification: r.get(2)?,
                owner: None,
                ticket: None,
                date: Some(updated.chars().take(10).collect()),
                expires: None,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_of_schema_1_is_upgraded_with_its_data_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            let mut old = Store { conn };
            old.migrate(1).unwrap();
            assert_eq!(old.schema_version().unwrap(), 1);
            old.conn
                .execute_batch(
                    "INSERT INTO models (id, name, created) VALUES (7, 'blog', '2026-01-01');
                     INSERT INTO versions VALUES (7, 1, 'YAML model file', 'name: blog', '{}', '2026-01-01');",
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let models = store.models().unwrap();
        assert_eq!(
            (models[0].id, models[0].name.as_str(), models[0].versions),
            (7, "blog", 1)
        );
        let v = store.version(7, 1).unwrap().unwrap();
        assert_eq!((v.input.as_str(), v.llm_json), ("name: blog", None));
        store
            .set_tracking(
                7,
                "WEB001@web",
                Status::Accepted,
                Some("WAF in front"),
                "2026-02-01T10:00:00Z",
            )
            .unwrap();
        let tracking = store.tracking(7).unwrap();
        assert_eq!(tracking[0].status, Status::Accepted);
        assert_eq!(tracking[0].date.as_deref(), Some("2026-02-01"));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(
                None,
                "user_version",
                i64::try_from(SCHEMA_VERSION).unwrap() + 1,
            )
            .unwrap();
        assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
    }

    #[test]
    fn the_same_name_adds_a_version_and_decisions_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        assert_eq!(
            store.add_version("a", "k", "i", "{}", None, "t").unwrap(),
            (1, 1)
        );
        assert_eq!(
            store.add_version("a", "k", "i2", "{}", None, "t").unwrap(),
            (1, 2)
        );
        assert_eq!(
            store.add_version("b", "k", "i", "{}", None, "t").unwrap(),
            (2, 1)
        );
        store
            .set_tracking(1, "X@y", Status::Accepted, Some("ok"), "t")
            .unwrap();
        store
            .set_tracking(1, "X@y", Status::Open, None, "t")
            .unwrap();
        assert_eq!(store.tracking(1).unwrap().len(), 1);
        assert_eq!(store.tracking(1).unwrap()[0].status, Status::Open);
        assert_eq!(store.versions(1).unwrap().len(), 2);
    }
}
