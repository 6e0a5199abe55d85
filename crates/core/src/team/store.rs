//! The team's tokens on the server: share one, read them all (only those changed since
//! the versions this member has), point the consumers' path at a current secret.

use super::kv::{key, Kv};
use super::TeamError;
use crate::model::team::{TeamCopy, TeamIntegrationCopy, TeamIntegrationRecord, TeamRecord};
use crate::model::TokenState;
use crate::secret::TokenSecret;
use crate::validate::is_id;
use serde_json::json;
use std::collections::HashMap;

/// How many keys are read at once during a sync: enough to hide loopback and LAN
/// latency, few enough not to look like a flood to the server's rate limits.
const PARALLEL_READS: usize = 8;

enum Read<T> {
    Changed(T),
    Refused(crate::model::team::NotTaken),
    Same,
    Gone,
}

/// A team's tokens on its server, for one member.
#[derive(Debug, Clone)]
pub struct TeamStore {
    kv: Kv,
}

/// What a sync read: the tokens changed since the versions given, the ids the server
/// no longer has, and what could not be read (with why), which is skipped.
#[derive(Debug, Default)]
pub struct Pulled {
    pub changed: Vec<TeamCopy>,
    /// Shared integrations changed (or new) since the versions given.
    pub integrations: Vec<TeamIntegrationCopy>,
    pub gone: Vec<String>,
    pub unchanged: usize,
    pub skipped: Vec<String>,
}

impl TeamStore {
    pub fn new(kv: Kv) -> Self {
        Self { kv }
    }

    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    fn prefix(&self) -> &str {
        &self.kv.address().prefix
    }

    pub(crate) fn token_key(&self, id: &str) -> String {
        key(self.prefix(), &["tokens", id])
    }

    pub(crate) fn integration_key(&self, id: &str) -> String {
        key(self.prefix(), &["integrations", id])
    }

    /// The consumers' path for a token name (relative to the mount).
    pub fn current_key(&self, name: &str) -> String {
        key(self.prefix(), &["current", name])
    }

    /// The paths whose capabilities describe a member's role, for the status screen.
    pub fn role_paths(&self) -> Vec<String> {
        let m = &self.kv.address().mount;
        let p = self.prefix();
        vec![
            format!("{m}/data/{p}/tokens/*"),
            format!("{m}/metadata/{p}/tokens/*"),
            format!("{m}/data/{p}/current/*"),
        ]
    }

    /// Puts a token the team does not have yet on the server. Create-only: a token with
    /// this id already there is refused. Returns the version written (1).
    pub async fn create(&self, r: &TeamRecord, secret: &TokenSecret) -> Result<u64, TeamError> {
        let k = self.token_key(&r.id);
        // The settings first: `cas_required` must hold before the first version.
        self.kv.set_metadata(&k, &r.custom_metadata()).await?;
        let version = self.kv.write(&k, r.to_data(secret), 0).await?;
        Ok(version)
    }

    /// Writes a new version of a team token, only if it is still at `read_version`.
    pub async fn update(
        &self,
        r: &TeamRecord,
        secret: &TokenSecret,
        read_version: u64,
    ) -> Result<u64, TeamError> {
        let k = self.token_key(&r.id);
        let version = self.kv.write(&k, r.to_data(secret), read_version).await?;
        // The viewers' fields follow; were this lost, the next write or sync repairs it.
        self.kv.set_metadata(&k, &r.custom_metadata()).await?;
        Ok(version)
    }

    /// Changes a team token as the server has it now: read, `change` applied to what
    /// was read (or refused by it), written check-and-set on the version read (again on
    /// a race, a few times). Fields `change` does not touch keep the server's values, so
    /// two members changing different fields both land. Returns the record written, its
    /// secret and the version.
    pub async fn update_record<F>(
        &self,
        id: &str,
        change: F,
    ) -> Result<(TeamRecord, TokenSecret, u64), TeamError>
    where
        F: Fn(TeamRecord) -> Result<TeamRecord, TeamError>,
    {
        let k = self.token_key(id);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(v) = self.kv.read(&k).await? else {
                return Err(TeamError::BadAnswer {
                    addr: self.kv.address().addr.clone(),
                    what: k,
                    detail: "the team token is not on the server".into(),
                });
            };
            let Some((record, secret)) = TeamRecord::from_data(&v.data) else {
                return Err(TeamError::BadAnswer {
                    addr: self.kv.address().addr.clone(),
                    what: k,
                    detail: "the team token cannot be read in this layout".into(),
                });
            };
            let record = change(record)?;
            match self.update(&record, &secret, v.version).await {
                Ok(version) => return Ok((record, secret, version)),
                Err(TeamError::Changed { .. }) if attempt < 4 => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The current version of a team token on the server, if it has one.
    pub async fn version_of(&self, id: &str) -> Result<Option<u64>, TeamError> {
        Ok(self
            .kv
            .metadata(&self.token_key(id))
            .await?
            .map(|m| m.current_version))
    }

    /// Sets a team token's state on the server, its other fields as they are there.
    pub async fn set_state(
        &self,
        id: &str,
        state: TokenState,
    ) -> Result<(TeamRecord, TokenSecret, u64), TeamError> {
        self.update_record(id, |mut r| {
            r.state = state.key().to_string();
            Ok(r)
        })
        .await
    }

    /// Writes a member's edit of a team token made on `base` (its copy as last synced),
    /// merged field by field with what the server holds now (`model::team::merge`), or
    /// refused with both versions of each field both sides changed; a current token's
    /// consumers' path follows. Returns the record written and its version.
    pub async fn edit(
        &self,
        base: &TeamRecord,
        mine: &TeamRecord,
    ) -> Result<(TeamRecord, u64), TeamError> {
        let (merged, secret, version) = self
            .update_record(&base.id, |theirs| {
                crate::model::team::merge(base, mine, &theirs).map_err(|conflicts| {
                    TeamError::Conflict {
                        name: theirs.name.clone(),
                        conflicts,
                    }
                })
            })
            .await?;
        if merged.state == TokenState::Current.key() {
            self.set_current(&merged, &secret).await?;
        }
        Ok((merged, version))
    }

    /// Puts an integration on the server for the team (create-only; already there: it
    /// is the team's already). Returns the version.
    pub async fn share_integration(&self, r: &TeamIntegrationRecord) -> Result<u64, TeamError> {
        let k = self.integration_key(&r.id);
        self.kv.set_metadata(&k, &r.custom_metadata()).await?;
        match self.kv.write(&k, r.to_data(), 0).await {
            Ok(v) => Ok(v),
            Err(TeamError::Exists { .. }) => {
                Ok(self.kv.metadata(&k).await?.map_or(1, |m| m.current_version))
            }
            Err(e) => Err(e),
        }
    }

    /// Points `current/<name>` at this secret, whatever it held (the one writer of a
    /// name's current secret is whoever promotes its token).
    pub async fn set_current(&self, r: &TeamRecord, secret: &TokenSecret) -> Result<(), TeamError> {
        let k = self.current_key(&r.name);
        let data = json!({
            "token": secret.expose(),
            "token_id": r.id,
            "expires_at": r.expires_at,
        });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let at = self.kv.metadata(&k).await?.map_or(0, |m| m.current_version);
            if at == 0 {
                self.kv
                    .set_metadata(&k, &[("token_id".to_string(), r.id.clone())].into())
                    .await?;
            }
            match self.kv.write(&k, data.clone(), at).await {
                Ok(_) => return Ok(()),
                // Someone else wrote it between our read and our write: read again, a
                // few times, then report what the server said last.
                Err(TeamError::Changed { .. } | TeamError::Exists { .. }) if attempt < 3 => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Removes a team token and all its versions.
    pub async fn remove(&self, id: &str) -> Result<(), TeamError> {
        self.kv.destroy(&self.token_key(id)).await
    }

    /// Reads the team's tokens, fetching the secret only of those whose version differs
    /// from `have` (id to the version this member holds).
    pub async fn pull(
        &self,
        have: &HashMap<String, u64>,
        have_integrations: &HashMap<String, u64>,
    ) -> Result<Pulled, TeamError> {
        let mut out = Pulled::default();
        // Integrations first: the tokens name them.
        let dir = key(self.prefix(), &["integrations"]) + "/";
        for k in self.kv.list(&dir).await? {
            if !is_id(&k) {
                out.skipped.push(format!(
                    "'{}' under integrations/ is not an integration id",
                    crate::validate::clean_remote(&k, 80)
                ));
                continue;
            }
            let ik = self.integration_key(&k);
            match self
                .read_if_changed(
                    &ik,
                    &k,
                    have_integrations.get(&k),
                    TeamIntegrationCopy::check,
                )
                .await?
            {
                Read::Changed(c) => out.integrations.push(c),
                Read::Refused(why) => out.skipped.push(why.0),
                Read::Same | Read::Gone => {}
            }
        }
        let dir = key(self.prefix(), &["tokens"]) + "/";
        let keys = self.kv.list(&dir).await?;
        let mut ids = Vec::with_capacity(keys.len());
        for k in keys {
            // The list is the server's word on key names: only token ids are taken.
            if is_id(&k) {
                ids.push(k);
            } else {
                out.skipped.push(format!(
                    "'{}' under tokens/ is not a token id",
                    crate::validate::clean_remote(&k, 80)
                ));
            }
        }
        let listed: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        out.gone = have
            .keys()
            .filter(|id| !listed.contains(id.as_str()))
            .cloned()
            .collect();
        out.gone.sort();
        for chunk in ids.chunks(PARALLEL_READS) {
            let reads = chunk.iter().map(|id| {
                let k = self.token_key(id);
                async move {
                    self.read_if_changed(&k, id, have.get(id), TeamCopy::check)
                        .await
                }
            });
            for (id, r) in chunk.iter().zip(futures::future::join_all(reads).await) {
                match r {
                    Ok(Read::Changed(copy)) => out.changed.push(copy),
                    Ok(Read::Same) => out.unchanged += 1,
                    Ok(Read::Gone) => out.gone.push(id.clone()),
                    Ok(Read::Refused(why)) => out.skipped.push(why.0),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }

    async fn read_if_changed<T>(
        &self,
        k: &str,
        id: &str,
        have: Option<&u64>,
        check: fn(&str, &serde_json::Value, u64) -> Result<T, crate::model::team::NotTaken>,
    ) -> Result<Read<T>, TeamError> {
        let Some(meta) = self.kv.metadata(k).await? else {
            return Ok(Read::Gone);
        };
        if meta.deleted || meta.current_version == 0 {
            return Ok(Read::Gone);
        }
        if have == Some(&meta.current_version) {
            return Ok(Read::Same);
        }
        let Some(v) = self.kv.read(k).await? else {
            return Ok(Read::Gone);
        };
        Ok(match check(id, &v.data, v.version) {
            Ok(c) => Read::Changed(c),
            Err(e) => Read::Refused(e),
        })
    }
}
