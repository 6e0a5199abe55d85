//! The one type that holds a token's secret. It never prints itself: `Debug` is
//! redacted, there is no `Display`, and the buffer is zeroized on drop (secrecy).

use age::secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The longest secret accepted: long JWTs run to a few KiB; anything near this is a
/// pasted file, not a token.
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// A token's secret value.
pub struct TokenSecret(SecretString);

impl TokenSecret {
    /// Wraps a secret, refusing empty ones and ones too large to be a token. The error
    /// never contains the value.
    pub fn new(value: String) -> Result<Self, crate::validate::InvalidInput> {
        let secret = SecretString::from(value);
        let text = secret.expose_secret();
        if text.trim().is_empty() {
            return Err(crate::validate::InvalidInput::new("secret", "is empty"));
        }
        if text.len() > MAX_SECRET_BYTES {
            return Err(crate::validate::InvalidInput::new(
                "secret",
                format!("is longer than {MAX_SECRET_BYTES} bytes"),
            ));
        }
        if text.chars().any(|c| c == '\0') {
            return Err(crate::validate::InvalidInput::new(
                "secret",
                "contains a NUL character",
            ));
        }
        // No token is made of these; from a provider they would be an escape sequence
        // waiting for `tw reveal` to print it on a terminal.
        if text.chars().any(crate::validate::is_unsafe_char) {
            return Err(crate::validate::InvalidInput::new(
                "secret",
                "contains a control or bidirectional character",
            ));
        }
        Ok(Self(secret))
    }

    /// A secret as a person pastes or pipes it: whitespace around it (a trailing
    /// newline, a space picked up with a selection) is no part of any token, and is
    /// dropped the same way whichever front end it came through.
    pub fn pasted(raw: &str) -> Result<Self, crate::validate::InvalidInput> {
        Self::new(raw.trim().to_string())
    }

    /// A secret read back from the vault: stored by this or an earlier version, whose
    /// checks it passed then. Only emptiness is refused (a secret column never is).
    pub(crate) fn from_vault(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// The secret itself: for the few places that must hand it on (clipboard, an
    /// explicit reveal, an HTTP header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The form lists show: the last 4 characters only, and nothing at all for secrets
    /// too short for 4 characters to be a small part of them.
    pub fn masked(&self) -> String {
        mask(self.expose())
    }
}

/// Masks a secret for display (see [`TokenSecret::masked`]).
pub fn mask(secret: &str) -> String {
    let count = secret.chars().count();
    if count < 12 {
        return "••••••••".to_string();
    }
    let tail: String = secret.chars().skip(count - 4).collect();
    format!("••••{tail}")
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret([REDACTED])")
    }
}

impl Clone for TokenSecret {
    fn clone(&self) -> Self {
        Self(SecretString::from(self.expose().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_mask_keeps_only_last_four() {
        let s = TokenSecret::new("ga_live_0123456789abcdefWXYZ".into()).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("0123456789"), "{dbg}");
        assert_eq!(s.masked(), "••••WXYZ");
        let short = TokenSecret::new("abc123".into()).unwrap();
        assert_eq!(short.masked(), "••••••••");
    }

    #[test]
    fn empty_and_oversized_secrets_are_refused_without_echoing_them() {
        assert!(TokenSecret::new("  \n".into()).is_err());
        assert!(TokenSecret::new("abc\u{1b}[2Jdef".into()).is_err());
        assert!(TokenSecret::new("abc\u{202e}def".into()).is_err());
        let big = "x".repeat(MAX_SECRET_BYTES + 1);
        let err = TokenSecret::new(big).unwrap_err().to_string();
        assert!(err.starts_with("secret:"), "{err}");
        assert!(!err.contains("xxxx"), "{err}");
    }
}
