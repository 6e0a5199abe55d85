//! The meta table: the vault's own facts (its id, when it was made, where the keyed
//! audit chain starts) and the settings that travel with it. Only this module writes
//! it (the migrations aside).

use super::VaultError;
use rusqlite::{Connection, OptionalExtension, Transaction};

pub(crate) const VAULT_ID: &str = "vault_id";
pub(crate) const CREATED_AT: &str = "created_at";

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>, VaultError> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")
        .and_then(|mut q| q.query_row([key], |r| r.get(0)).optional())
        .map_err(VaultError::sql("reading the vault's metadata"))
}

/// Sets `key` to `value`, whether or not it was set.
pub(crate) fn put(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), VaultError> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut q| q.execute([key, value]))
    .map_err(VaultError::sql("writing the vault's metadata"))?;
    Ok(())
}
