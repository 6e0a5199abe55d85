//! Rotation policy, per token with an integration default: rotate at one click, ask
//! first, or never; one-click tokens may also rotate by themselves some days before
//! expiry.

use crate::validate::InvalidInput;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyMode {
    OneClick,
    Ask,
    Never,
}

impl PolicyMode {
    pub fn key(self) -> &'static str {
        match self {
            PolicyMode::OneClick => "one-click",
            PolicyMode::Ask => "ask",
            PolicyMode::Never => "never",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "one-click" | "oneclick" => Ok(PolicyMode::OneClick),
            "ask" => Ok(PolicyMode::Ask),
            "never" => Ok(PolicyMode::Never),
            other => Err(InvalidInput::new(
                "mode",
                format!("'{other}' is not one of one-click, ask, never"),
            )),
        }
    }
}

/// The longest automatic lead accepted: a year.
pub const MAX_AUTO_DAYS: u32 = 366;
/// What "due" means when neither the token nor the caller says: within a week.
pub const DEFAULT_DUE_DAYS: u32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub mode: PolicyMode,
    /// Rotate by itself this many days before expiry (one-click tokens only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_days: Option<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            mode: PolicyMode::OneClick,
            auto_days: None,
        }
    }
}

impl Policy {
    /// Checks a policy a person typed.
    pub fn new(mode: PolicyMode, auto_days: Option<u32>) -> Result<Policy, InvalidInput> {
        if let Some(d) = auto_days {
            if mode != PolicyMode::OneClick {
                return Err(InvalidInput::new(
                    "auto-days",
                    format!(
                        "automatic rotation needs the one-click policy, not '{}'",
                        mode.key()
                    ),
                ));
            }
            if d == 0 || d > MAX_AUTO_DAYS {
                return Err(InvalidInput::new(
                    "auto-days",
                    format!("{d} is not between 1 and {MAX_AUTO_DAYS}"),
                ));
            }
        }
        Ok(Policy { mode, auto_days })
    }
}

/// Where a token's effective policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicySource {
    Token,
    Integration,
    Default,
}

impl PolicySource {
    /// Where it comes from, as said after it ("from the token").
    pub fn key(self) -> &'static str {
        match self {
            PolicySource::Token => "token",
            PolicySource::Integration => "integration",
            PolicySource::Default => "default",
        }
    }
}

impl Policy {
    /// The policy in words: "one-click, rotates by itself 7 days before expiry".
    pub fn describe(&self) -> String {
        match self.auto_days {
            Some(d) => format!(
                "{}, rotates by itself {d} days before expiry",
                self.mode.key()
            ),
            None => self.mode.key().to_string(),
        }
    }
}
