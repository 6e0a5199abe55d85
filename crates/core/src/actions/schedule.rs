//! When things happen: the settings that travel with the vault, rotation policies,
//! reminder lead times, snoozes, the reminders due, and the calendar export.

use super::{given, ActionError, Session};
use crate::model::policy::{Policy, PolicyMode, PolicySource};
use crate::model::TokenRecord;
use crate::reauth::Reauthenticated;
use crate::reminders::{self, Digest};
use crate::rotation::policy;
use crate::settings::{self, LeadDays, Settings};
use crate::validate::InvalidInput;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A policy as a person gives it: a mode (`one-click`, `ask`, `never`) and, for
/// one-click, days before expiry to rotate by itself. Neither given: no policy of its
/// own (it inherits); days alone: one-click.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    pub mode: Option<String>,
    pub auto_days: Option<u32>,
}

impl PolicyForm {
    pub fn parse(&self) -> Result<Option<Policy>, InvalidInput> {
        match (given(&self.mode), self.auto_days) {
            (None, None) => Ok(None),
            (None, Some(d)) => Ok(Some(Policy::new(PolicyMode::OneClick, Some(d))?)),
            (Some(m), d) => Ok(Some(Policy::new(PolicyMode::parse(m)?, d)?)),
        }
    }
}

/// What a policy or lead time is set on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A token, by id, id prefix or name.
    Token(String),
    /// An integration (its tokens' default), by label or id.
    Integration(String),
    /// The whole vault (lead times only).
    Vault,
}

/// Where a setting landed: the token's or integration's name, or none for the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOn {
    pub name: Option<String>,
}

/// The settings as a person gives them (the window's form).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub auto_lock_minutes: u32,
    /// Lead times as [`LeadDays`] reads them; empty: the built-in ones.
    pub reminder_days: String,
}

/// A token's reminders snoozed.
#[derive(Debug, Clone)]
pub struct Snoozed {
    pub token: TokenRecord,
    pub until: DateTime<Utc>,
    /// Reminders snoozed (0: none was due).
    pub count: usize,
}

/// The longest snooze: a quarter of a year.
pub const MAX_SNOOZE_DAYS: i64 = 90;
/// The furthest "expiring within" looks: ten years.
pub const MAX_WITHIN_DAYS: i64 = 3660;

impl Session {
    pub async fn settings(&self) -> Result<Settings, ActionError> {
        Ok(settings::get(&*self.vault.lock().await)?)
    }

    /// Whether saving `form` would weaken the auto-lock (and so needs a proof of the
    /// person first): for front ends that ask before calling [`Session::set_settings`].
    pub async fn settings_need_proof(&self, form: &SettingsForm) -> Result<bool, ActionError> {
        let before = settings::get(&*self.vault.lock().await)?;
        Ok(settings::weakens_auto_lock(
            before.auto_lock_minutes,
            form.auto_lock_minutes,
        ))
    }

    /// Saves the settings; weakening the auto-lock takes `proof`.
    pub async fn set_settings(
        &self,
        form: &SettingsForm,
        proof: Option<Reauthenticated>,
    ) -> Result<Settings, ActionError> {
        let wanted = Settings {
            auto_lock_minutes: settings::check_auto_lock(form.auto_lock_minutes)?,
            reminder_lead_days: LeadDays::parse(&form.reminder_days)?.or_defaults(),
        };
        let mut vault = self.vault.lock().await;
        settings::set(&mut vault, wanted, proof)?;
        Self::after_change(&vault);
        Ok(settings::get(&vault)?)
    }

    /// Sets (or with `None`, clears) a token's or an integration's rotation policy.
    pub async fn set_policy(
        &self,
        target: &Target,
        policy: Option<Policy>,
    ) -> Result<SetOn, ActionError> {
        let mut vault = self.vault.lock().await;
        match target {
            Target::Token(q) => {
                let t = vault.find_token(q)?;
                policy::set_for_token(&mut vault, &t, policy)?;
                Ok(SetOn { name: Some(t.name) })
            }
            Target::Integration(q) => {
                let i = vault.find_integration(q)?;
                policy::set_for_integration(&mut vault, &i.id, policy)?;
                Ok(SetOn {
                    name: Some(i.label),
                })
            }
            Target::Vault => Err(InvalidInput::new(
                "policy",
                "is set on a token or an integration, not on the whole vault",
            )
            .into()),
        }
    }

    /// The policy that applies: a token's (its own, its integration's, or the
    /// default), or an integration's own default for its tokens (`None`: not set).
    pub async fn policy(
        &self,
        target: &Target,
    ) -> Result<(String, Option<(Policy, PolicySource)>), ActionError> {
        let vault = self.vault.lock().await;
        match target {
            Target::Token(q) => {
                let t = vault.find_token(q)?;
                let p = policy::effective(&vault, &t)?;
                Ok((t.name, Some(p)))
            }
            Target::Integration(q) => {
                let i = vault.find_integration(q)?;
                let p =
                    policy::of_integration(&vault, &i.id)?.map(|p| (p, PolicySource::Integration));
                Ok((i.label, p))
            }
            Target::Vault => {
                Err(InvalidInput::new("policy", "is set on a token or an integration").into())
            }
        }
    }

    /// Sets when reminders fire, from what the person typed ([`LeadDays`]): on a token,
    /// an integration's tokens, or the whole vault.
    pub async fn set_lead_days(
        &self,
        target: &Target,
        raw: &str,
    ) -> Result<(SetOn, LeadDays), ActionError> {
        let leads = LeadDays::parse(raw)?;
        let mut vault = self.vault.lock().await;
        let on = match target {
            Target::Token(q) => {
                let t = vault.find_token(q)?;
                reminders::set_token_leads(&mut vault, &t, &leads)?;
                SetOn { name: Some(t.name) }
            }
            Target::Integration(q) => {
                let i = vault.find_integration(q)?;
                reminders::set_integration_leads(&mut vault, &i.id, &leads)?;
                SetOn {
                    name: Some(i.label),
                }
            }
            Target::Vault => {
                let mut s = settings::get(&vault)?;
                s.reminder_lead_days = leads.clone().or_defaults();
                // Lead times only: the auto-lock is left as it is, so no proof is needed.
                settings::set(&mut vault, s, None)?;
                SetOn { name: None }
            }
        };
        Self::after_change(&vault);
        Ok((on, leads))
    }

    /// Snoozes a token's due reminders for `days` (1 to 90).
    pub async fn snooze(&self, query: &str, days: i64) -> Result<Snoozed, ActionError> {
        if !(1..=MAX_SNOOZE_DAYS).contains(&days) {
            return Err(InvalidInput::new(
                "days",
                format!("{days} is outside 1 to {MAX_SNOOZE_DAYS}"),
            )
            .into());
        }
        let mut vault = self.vault.lock().await;
        let token = vault.find_token(query)?;
        let until = vault.now() + chrono::Duration::days(days);
        let count = reminders::snooze(&mut vault, &token, until)?;
        Self::after_change(&vault);
        Ok(Snoozed {
            token,
            until,
            count,
        })
    }

    /// The reminders due now, and the tokens expiring within `within` days.
    pub async fn reminders(&self, within: i64) -> Result<(Digest, Vec<TokenRecord>), ActionError> {
        if !(0..=MAX_WITHIN_DAYS).contains(&within) {
            return Err(InvalidInput::new(
                "within",
                format!("{within} days is outside 0 to {MAX_WITHIN_DAYS}"),
            )
            .into());
        }
        let vault = self.vault.lock().await;
        let now = vault.now();
        Ok((
            reminders::due(&vault, now)?,
            reminders::upcoming(&vault, now, within)?,
        ))
    }

    /// The reminders due now, marked fired (each fires once): for the app's tick and
    /// for scripts.
    pub async fn fire_reminders(&self) -> Result<Digest, ActionError> {
        let mut vault = self.vault.lock().await;
        let digest = reminders::due(&vault, vault.now())?;
        reminders::mark_fired(&mut vault, &digest)?;
        Self::after_change(&vault);
        Ok(digest)
    }

    /// Writes the expiries as an iCalendar file with alarms at the lead times (no
    /// secrets), never over an existing name; returns the number of events.
    pub async fn export_calendar(&self, out: &Path) -> Result<usize, ActionError> {
        let text = {
            let vault = self.vault.lock().await;
            crate::calendar::ics(&reminders::scheduled(&vault)?, vault.now())
        };
        // Whole or not at all, never over an existing name (a link included), synced.
        crate::safefs::create_new_at(out, text.as_bytes())
            .map_err(crate::vault::VaultError::from)?;
        Ok(text.matches("BEGIN:VEVENT").count())
    }
}
