//! The token list as a window shows it: filtered, ordered, and read a slice at a time.
//!
//! A window holding every row of a 10,000-token vault costs its web process about
//! 10 MiB and its start a 4 MB message; the page asks instead for the slice it draws.
//! The filter and the orders are decided here, once, for the window and `tw list`
//! alike. What they need of every token (its row id, the text a filter searches, and
//! whether it is revoked) is kept in a small index, built on the first query and
//! rebuilt after any change to the database.

use super::tokens::{row_to_record, SELECT_TOKEN};
use super::{Vault, VaultError};
use crate::model::TokenRecord;
use crate::providers::ProviderKind;
use serde::{Deserialize, Serialize};

/// How a list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// Soonest expiry first; tokens that never expire last (then by name).
    #[default]
    Expiry,
    /// By name, without case.
    Name,
    /// By provider, then name.
    Provider,
}

impl ListOrder {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "expiry" => Some(Self::Expiry),
            "name" => Some(Self::Name),
            "provider" => Some(Self::Provider),
            _ => None,
        }
    }
}

/// Which tokens a list shows, in which order, and which slice of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Kept when its name, provider, integration or a scope contains this (without
    /// case); empty keeps all.
    pub filter: String,
    pub order: ListOrder,
    /// Revoked tokens are history: listed only when asked for.
    pub include_revoked: bool,
    /// The first row of the slice, counted in the filtered, ordered list.
    pub offset: usize,
    /// How many rows from `offset`; all of them when absent.
    pub limit: Option<usize>,
    /// A token id whose place in the filtered, ordered list is wanted (a window keeps
    /// the focused row across a reload).
    pub locate: Option<String>,
}

/// A slice of a list, with the counts a window shows beside it: the vault's records,
/// then the session's listed tokens, then the window's rows, each a `map_rows` of the
/// one before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListSlice<T = TokenRecord> {
    pub rows: Vec<T>,
    /// Where `rows` starts in the filtered, ordered list.
    pub offset: usize,
    /// How many tokens the filter keeps.
    pub matching: usize,
    /// How many tokens there are to filter (revoked ones only when included).
    pub shown: usize,
    /// How many tokens the vault holds, revoked ones included.
    pub total: usize,
    /// Where the `locate` token is in the filtered, ordered list, if it is there.
    pub located: Option<usize>,
}

impl<T> ListSlice<T> {
    /// The same slice with each row made into another form.
    pub fn map_rows<U>(self, f: impl FnMut(T) -> U) -> ListSlice<U> {
        ListSlice {
            rows: self.rows.into_iter().map(f).collect(),
            offset: self.offset,
            matching: self.matching,
            shown: self.shown,
            total: self.total,
            located: self.located,
        }
    }
}

/// Every token soonest expiry first, as the list needs it to filter and slice.
pub(super) struct ListIndex {
    /// The database's change count when built: any write since makes it stale.
    changes: u64,
    /// Each token's row id, and whether it is revoked.
    by_expiry: Vec<(i64, bool)>,
    /// What a filter or another order needs: built when one is first asked for.
    search: Option<Search>,
}

struct Search {
    /// Per token (as `by_expiry`): its name, provider, integration and scopes, lower
    /// case: what a filter searches.
    hay: Vec<Box<str>>,
    by_name: Vec<usize>,
    by_provider: Vec<usize>,
}

/// Soonest expiry first, tokens that never expire last, then by name; the row id
/// breaks ties, so the order is total and the same at every read.
pub(super) const EXPIRY_ORDER: &str =
    "ORDER BY t.expires_at IS NULL, t.expires_at, t.name COLLATE NOCASE, t.rowid";

impl ListIndex {
    fn build(conn: &rusqlite::Connection) -> Result<Self, VaultError> {
        let context = "indexing the token list";
        let mut q = conn
            .prepare_cached(&format!(
                "SELECT t.rowid, t.state = 'revoked' FROM tokens t {EXPIRY_ORDER}"
            ))
            .map_err(VaultError::sql(context))?;
        let by_expiry = q
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(VaultError::sql(context))?;
        Ok(ListIndex {
            changes: conn.total_changes(),
            by_expiry,
            search: None,
        })
    }

    /// The positions (into `by_expiry`) a query keeps, in its order, and how many
    /// there were to filter.
    fn select(
        &mut self,
        conn: &rusqlite::Connection,
        query: &ListQuery,
    ) -> Result<(Vec<usize>, usize), VaultError> {
        let needle = query.filter.trim().to_lowercase();
        // The expiry order of every token needs no haystack: built only for a filter
        // or another order.
        let search = if needle.is_empty() && query.order == ListOrder::Expiry {
            None
        } else {
            if self.search.is_none() {
                self.search = Some(Search::build(conn, &self.by_expiry)?);
            }
            self.search.as_ref()
        };
        let by_expiry = &self.by_expiry;
        let order: Box<dyn Iterator<Item = usize> + '_> = match (query.order, search) {
            (ListOrder::Name, Some(s)) => Box::new(s.by_name.iter().copied()),
            (ListOrder::Provider, Some(s)) => Box::new(s.by_provider.iter().copied()),
            _ => Box::new(0..by_expiry.len()),
        };
        let mut shown = 0;
        let kept = order
            .filter(|&i| query.include_revoked || !by_expiry[i].1)
            .inspect(|_| shown += 1)
            .filter(|&i| search.is_none_or(|s| s.hay[i].contains(&needle)))
            .collect();
        Ok((kept, shown))
    }
}

impl Search {
    fn build(conn: &rusqlite::Connection, by_expiry: &[(i64, bool)]) -> Result<Self, VaultError> {
        let context = "indexing the token list for a filter";
        let at: std::collections::HashMap<i64, usize> = by_expiry
            .iter()
            .enumerate()
            .map(|(i, (rowid, _))| (*rowid, i))
            .collect();
        let mut hay: Vec<Box<str>> = vec![Box::from(""); by_expiry.len()];
        // The sort keys live only while the orders are built.
        let mut names = vec![String::new(); by_expiry.len()];
        let mut providers = vec![""; by_expiry.len()];
        let mut q = conn
            .prepare(
                "SELECT t.rowid, t.name, t.provider, i.label, t.scopes
                 FROM tokens t LEFT JOIN integrations i ON i.id = t.integration_id",
            )
            .map_err(VaultError::sql(context))?;
        let mut rows = q.query([]).map_err(VaultError::sql(context))?;
        while let Some(r) = rows.next().map_err(VaultError::sql(context))? {
            let rowid: i64 = r.get(0).map_err(VaultError::sql(context))?;
            // Both reads are of one database under one lock: a row the first did not
            // see cannot appear here; were it to, it is left out rather than guessed.
            let Some(&i) = at.get(&rowid) else { continue };
            let name: String = r.get(1).map_err(VaultError::sql(context))?;
            let provider: String = r.get(2).map_err(VaultError::sql(context))?;
            let label: Option<String> = r.get(3).map_err(VaultError::sql(context))?;
            let scopes: String = r.get(4).map_err(VaultError::sql(context))?;
            let shown_provider = ProviderKind::parse(&provider).map_or("", |p| p.display_name());
            let scopes: Vec<String> = serde_json::from_str(&scopes).unwrap_or_default();
            hay[i] = format!(
                "{name} {shown_provider} {} {}",
                label.as_deref().unwrap_or(""),
                scopes.join(" ")
            )
            .to_lowercase()
            .into_boxed_str();
            names[i] = name.to_lowercase();
            providers[i] = shown_provider;
        }
        // Stable sorts: equal keys keep the expiry order.
        let mut by_name: Vec<usize> = (0..by_expiry.len()).collect();
        by_name.sort_by(|&a, &b| names[a].cmp(&names[b]));
        let mut by_provider: Vec<usize> = (0..by_expiry.len()).collect();
        by_provider.sort_by(|&a, &b| (providers[a], &names[a]).cmp(&(providers[b], &names[b])));
        Ok(Search {
            hay,
            by_name,
            by_provider,
        })
    }
}

impl Vault {
    /// A slice of the token list as `query` filters and orders it.
    pub fn list_slice(&mut self, query: &ListQuery) -> Result<ListSlice, VaultError> {
        // Taken while in use; put back on success (a failure rebuilds it next time).
        let mut ix = self.take_list_index()?;
        let (kept, shown) = ix.select(&self.conn, query)?;
        let located = match query.locate.as_deref() {
            Some(id) => self
                .rowid_of(id)?
                .and_then(|r| kept.iter().position(|&i| ix.by_expiry[i].0 == r)),
            None => None,
        };
        let offset = query.offset.min(kept.len());
        let end = query
            .limit
            .map_or(kept.len(), |l| offset.saturating_add(l).min(kept.len()));
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_TOKEN} WHERE t.rowid = ?1"))
            .map_err(VaultError::sql("listing tokens"))?;
        let rows = kept[offset..end]
            .iter()
            .map(|&i| stmt.query_row([ix.by_expiry[i].0], row_to_record))
            .collect::<Result<Vec<_>, _>>()
            .map_err(VaultError::sql("listing tokens"))?;
        drop(stmt);
        let slice = ListSlice {
            rows,
            offset,
            matching: kept.len(),
            shown,
            total: ix.by_expiry.len(),
            located,
        };
        self.list_index = Some(ix);
        Ok(slice)
    }

    /// Builds the list's index now, unless it is current: the app does this as a vault
    /// opens, so that the window's first list does not wait for the scan.
    pub fn prepare_list(&mut self) -> Result<(), VaultError> {
        let ix = self.take_list_index()?;
        self.list_index = Some(ix);
        Ok(())
    }

    /// The list's index, built again if the database changed since.
    fn take_list_index(&mut self) -> Result<ListIndex, VaultError> {
        match self.list_index.take() {
            Some(ix) if ix.changes == self.conn.total_changes() => Ok(ix),
            _ => ListIndex::build(&self.conn),
        }
    }

    fn rowid_of(&self, id: &str) -> Result<Option<i64>, VaultError> {
        use rusqlite::OptionalExtension;
        self.conn
            .prepare_cached("SELECT rowid FROM tokens WHERE id = ?1")
            .and_then(|mut q| q.query_row([id], |r| r.get(0)).optional())
            .map_err(VaultError::sql("finding a token in the list"))
    }
}
