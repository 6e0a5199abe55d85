//! What kind of token a secret is, from the shape its issuer gives it: GitHub's
//! `ghp_`, GitLab's `glpat-`, Slack's `xoxb-`, Stripe's `sk_live_`, AWS access key ids,
//! OpenAI's `sk-`, JSON Web Tokens (whose `exp` is their expiry), and a few more.
//!
//! Detection runs on every token the vault stores (added by hand, created, rotated,
//! synced from a team, imported), and its key is stored with the token: lists show it
//! without reading the secret. It is a hint read from the secret's shape, not a check
//! with the issuer: a password that happens to start with `sk-` reads as an OpenAI key.
//! Each rule asks for the issuer's prefix and a plausible body (its alphabet and a
//! minimum length), so that short or spaced passwords are not taken for tokens.

use chrono::{DateTime, Utc};
use serde::ser::SerializeStruct;
use serde::Serialize;

/// A kind of token, by its issuer's published shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenType {
    /// Stable key, stored in the vault (`github-pat`, `jwt`...).
    pub key: &'static str,
    /// Who issues it (`GitHub`).
    pub vendor: &'static str,
    /// What it is, in words (`GitHub personal access token (classic)`).
    pub name: &'static str,
}

impl Serialize for TokenType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TokenType", 3)?;
        st.serialize_field("key", self.key)?;
        st.serialize_field("vendor", self.vendor)?;
        st.serialize_field("name", self.name)?;
        st.end()
    }
}

/// What a secret's shape says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub kind: TokenType,
    /// The expiry the token carries itself (a JWT's `exp`, its signature not checked:
    /// only the issuer can).
    pub expires_at: Option<DateTime<Utc>>,
}

/// How a rule reads the body after its prefix.
#[derive(Clone, Copy)]
enum Body {
    /// Letters and digits.
    Alnum,
    /// Letters, digits and `_`.
    Word,
    /// Letters, digits, `_` and `-` (base64url).
    Url,
    /// Letters, digits, `-` (Slack's dashes).
    Dashed,
    /// Upper-case letters and digits 2-7 (base32, AWS key ids).
    Base32Upper,
    /// Letters, digits, `_`, `-` and `.` (PyPI's macaroons, SendGrid's parts).
    Dotted,
}

impl Body {
    fn allows(self, c: char) -> bool {
        match self {
            Body::Alnum => c.is_ascii_alphanumeric(),
            Body::Word => c.is_ascii_alphanumeric() || c == '_',
            Body::Url => c.is_ascii_alphanumeric() || c == '_' || c == '-',
            Body::Dashed => c.is_ascii_alphanumeric() || c == '-',
            Body::Base32Upper => c.is_ascii_uppercase() || ('2'..='7').contains(&c),
            Body::Dotted => c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
        }
    }
}

/// One rule: a prefix, then a body of `min..=max` characters of an alphabet.
struct Rule {
    prefix: &'static str,
    body: Body,
    min: usize,
    max: usize,
    kind: TokenType,
}

const fn t(key: &'static str, vendor: &'static str, name: &'static str) -> TokenType {
    TokenType { key, vendor, name }
}

pub const JWT: TokenType = t("jwt", "JSON Web Token", "JSON Web Token");

/// The rules, most specific prefix first (`sk-ant-` before `sk-`, `sk_live_` is not
/// `sk-`). Lengths are the issuers' published ones where they publish them, with room
/// for the formats to grow.
const RULES: &[Rule] = &[
    // GitHub: https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
    Rule {
        prefix: "github_pat_",
        body: Body::Word,
        min: 22,
        max: 255,
        kind: t(
            "github-fine-grained-pat",
            "GitHub",
            "GitHub fine-grained personal access token",
        ),
    },
    Rule {
        prefix: "ghp_",
        body: Body::Alnum,
        min: 30,
        max: 255,
        kind: t(
            "github-pat",
            "GitHub",
            "GitHub personal access token (classic)",
        ),
    },
    Rule {
        prefix: "gho_",
        body: Body::Alnum,
        min: 30,
        max: 255,
        kind: t("github-oauth", "GitHub", "GitHub OAuth access token"),
    },
    Rule {
        prefix: "ghu_",
        body: Body::Alnum,
        min: 30,
        max: 255,
        kind: t("github-user-to-server", "GitHub", "GitHub App user token"),
    },
    Rule {
        prefix: "ghs_",
        body: Body::Alnum,
        min: 30,
        max: 255,
        kind: t("github-app", "GitHub", "GitHub App installation token"),
    },
    Rule {
        prefix: "ghr_",
        body: Body::Alnum,
        min: 30,
        max: 255,
        kind: t("github-refresh", "GitHub", "GitHub refresh token"),
    },
    // GitLab: https://docs.gitlab.com/ee/security/token_overview.html
    Rule {
        prefix: "glpat-",
        body: Body::Url,
        min: 20,
        max: 255,
        kind: t("gitlab-pat", "GitLab", "GitLab personal access token"),
    },
    Rule {
        prefix: "gldt-",
        body: Body::Url,
        min: 20,
        max: 255,
        kind: t("gitlab-deploy", "GitLab", "GitLab deploy token"),
    },
    Rule {
        prefix: "glrt-",
        body: Body::Url,
        min: 20,
        max: 255,
        kind: t(
            "gitlab-runner",
            "GitLab",
            "GitLab runner authentication token",
        ),
    },
    Rule {
        prefix: "glptt-",
        body: Body::Url,
        min: 20,
        max: 255,
        kind: t("gitlab-trigger", "GitLab", "GitLab pipeline trigger token"),
    },
    // Slack: https://api.slack.com/concepts/token-types
    Rule {
        prefix: "xoxb-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-bot", "Slack", "Slack bot token"),
    },
    Rule {
        prefix: "xoxp-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-user", "Slack", "Slack user token"),
    },
    Rule {
        prefix: "xoxa-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-workspace", "Slack", "Slack workspace app token"),
    },
    Rule {
        prefix: "xoxr-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-refresh", "Slack", "Slack refresh token"),
    },
    Rule {
        prefix: "xoxs-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-session", "Slack", "Slack session token"),
    },
    Rule {
        prefix: "xapp-",
        body: Body::Dashed,
        min: 10,
        max: 255,
        kind: t("slack-app", "Slack", "Slack app-level token"),
    },
    // Stripe: https://docs.stripe.com/keys
    Rule {
        prefix: "sk_live_",
        body: Body::Alnum,
        min: 16,
        max: 255,
        kind: t("stripe-secret-live", "Stripe", "Stripe secret key (live)"),
    },
    Rule {
        prefix: "sk_test_",
        body: Body::Alnum,
        min: 16,
        max: 255,
        kind: t("stripe-secret-test", "Stripe", "Stripe secret key (test)"),
    },
    Rule {
        prefix: "rk_live_",
        body: Body::Alnum,
        min: 16,
        max: 255,
        kind: t(
            "stripe-restricted-live",
            "Stripe",
            "Stripe restricted key (live)",
        ),
    },
    Rule {
        prefix: "rk_test_",
        body: Body::Alnum,
        min: 16,
        max: 255,
        kind: t(
            "stripe-restricted-test",
            "Stripe",
            "Stripe restricted key (test)",
        ),
    },
    Rule {
        prefix: "whsec_",
        body: Body::Alnum,
        min: 16,
        max: 255,
        kind: t("stripe-webhook", "Stripe", "Stripe webhook signing secret"),
    },
    // AWS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
    Rule {
        prefix: "AKIA",
        body: Body::Base32Upper,
        min: 16,
        max: 16,
        kind: t("aws-access-key-id", "AWS", "AWS access key ID"),
    },
    Rule {
        prefix: "ASIA",
        body: Body::Base32Upper,
        min: 16,
        max: 16,
        kind: t(
            "aws-temporary-access-key-id",
            "AWS",
            "AWS temporary access key ID (STS)",
        ),
    },
    // Anthropic before OpenAI: both begin with `sk-`.
    Rule {
        prefix: "sk-ant-",
        body: Body::Url,
        min: 20,
        max: 255,
        kind: t("anthropic", "Anthropic", "Anthropic API key"),
    },
    // OpenAI: https://platform.openai.com/docs/api-reference/authentication
    Rule {
        prefix: "sk-proj-",
        body: Body::Url,
        min: 20,
        max: 512,
        kind: t("openai-project", "OpenAI", "OpenAI project API key"),
    },
    Rule {
        prefix: "sk-svcacct-",
        body: Body::Url,
        min: 20,
        max: 512,
        kind: t(
            "openai-service-account",
            "OpenAI",
            "OpenAI service account key",
        ),
    },
    Rule {
        prefix: "sk-admin-",
        body: Body::Url,
        min: 20,
        max: 512,
        kind: t("openai-admin", "OpenAI", "OpenAI admin key"),
    },
    Rule {
        prefix: "sk-",
        body: Body::Url,
        min: 20,
        max: 512,
        kind: t("openai", "OpenAI", "OpenAI API key"),
    },
    // Package registries and a few more that publish their prefix.
    Rule {
        prefix: "npm_",
        body: Body::Alnum,
        min: 36,
        max: 36,
        kind: t("npm", "npm", "npm access token"),
    },
    Rule {
        prefix: "pypi-",
        body: Body::Dotted,
        min: 50,
        max: 4096,
        kind: t("pypi", "PyPI", "PyPI API token"),
    },
    Rule {
        prefix: "AIza",
        body: Body::Url,
        min: 35,
        max: 35,
        kind: t("google-api-key", "Google", "Google API key"),
    },
    Rule {
        prefix: "hf_",
        body: Body::Alnum,
        min: 30,
        max: 64,
        kind: t("huggingface", "Hugging Face", "Hugging Face access token"),
    },
];

/// What a secret's shape says about it; `None` for shapes no rule knows.
pub fn detect(secret: &str) -> Option<Detected> {
    let s = secret.trim();
    if let Some(exp) = jwt(s) {
        return Some(Detected {
            kind: JWT,
            expires_at: exp,
        });
    }
    RULES.iter().find(|r| matches(r, s)).map(|r| Detected {
        kind: r.kind,
        expires_at: None,
    })
}

/// The kind stored under `key` (`None` for a key this version does not know: a newer
/// version's, shown as nothing rather than refused).
pub fn by_key(key: &str) -> Option<TokenType> {
    if key == JWT.key {
        return Some(JWT);
    }
    RULES.iter().map(|r| r.kind).find(|k| k.key == key)
}

/// Every kind this version knows, for documentation and the window's filters.
pub fn all() -> impl Iterator<Item = TokenType> {
    std::iter::once(JWT).chain(RULES.iter().map(|r| r.kind))
}

fn matches(r: &Rule, s: &str) -> bool {
    let Some(body) = s.strip_prefix(r.prefix) else {
        return false;
    };
    let n = body.len();
    (r.min..=r.max).contains(&n) && body.chars().all(|c| r.body.allows(c))
}

/// A JWT: three base64url parts, a header that is a JSON object naming its `alg`, a
/// payload that is a JSON object. Answers its `exp` (`Some(None)` for a JWT without
/// one); `None` for anything that is not a JWT.
fn jwt(s: &str) -> Option<Option<DateTime<Utc>>> {
    use base64::Engine;
    // A header alone is over 20 characters; a JWT of megabytes is not a token.
    if s.len() < 30 || s.len() > 16 * 1024 || !s.starts_with("eyJ") {
        return None;
    }
    let mut parts = s.split('.');
    let (h, p, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || p.is_empty() {
        return None;
    }
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if ![h, p, sig].iter().all(|x| x.chars().all(b64)) {
        return None;
    }
    let decode = |x: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    };
    let header = decode(h)?;
    header.get("alg")?.as_str()?;
    let payload = decode(p)?;
    if !payload.is_object() {
        return None;
    }
    Some(
        payload
            .get("exp")
            .and_then(|e| e.as_i64().or_else(|| e.as_f64().map(|f| f as i64)))
            .and_then(|e| DateTime::from_timestamp(e, 0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn key(s: &str) -> Option<&'static str> {
        detect(s).map(|d| d.kind.key)
    }

    fn jwt_with(header: &str, payload: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2lnbmF0dXJl", e(header), e(payload))
    }

    #[test]
    fn each_issuer_by_its_prefix_and_shape() {
        let cases = [
            (
                "ghp_0123456789abcdefghijABCDEFGHIJ012345",
                Some("github-pat"),
            ),
            (
                "gho_0123456789abcdefghijABCDEFGHIJ012345",
                Some("github-oauth"),
            ),
            (
                "ghs_0123456789abcdefghijABCDEFGHIJ012345",
                Some("github-app"),
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUV",
                Some("github-fine-grained-pat"),
            ),
            ("glpat-xxxxxxxxxxxxxxxxxxxx", Some("gitlab-pat")),
            ("xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", Some("slack-bot")),
            ("xoxp-1234567890-1234567890-1234567890123-abcdef0123456789abcdef0123456789", Some("slack-user")),
            ("xoxa-2-1234567890-abcdef", Some("slack-workspace")),
            ("xoxr-1234567890-abcdef", Some("slack-refresh")),
            ("xoxs-1234567890-abcdef", Some("slack-session")),
            ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", Some("stripe-secret-live")),
            ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", Some("stripe-secret-test")),
            ("rk_live_4eC39HqLyjWDarjtT1zdp7dc", Some("stripe-restricted-live")),
            ("rk_test_4eC39HqLyjWDarjtT1zdp7dc", Some("stripe-restricted-test")),
            ("AKIAIOSFODNN7EXAMPLE", Some("aws-access-key-id")),
            ("ASIAIOSFODNN7EXAMPLE", Some("aws-temporary-access-key-id")),
            ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", Some("openai-project")),
            ("sk-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst", Some("openai")),
            ("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", Some("anthropic")),
            ("npm_abcdefghijklmnopqrstuvwxyz0123456789", Some("npm")),
            ("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234", Some("google-api-key")),
        ];
        for (secret, want) in cases {
            assert_eq!(key(secret), want, "{secret}");
        }
    }

    #[test]
    fn passwords_that_only_look_alike_are_not_taken_for_tokens() {
        for s in [
            "hunter2",
            "ghp_short",
            "sk-my password here",
            "sk-short",
            "AKIAIOSFODNN7EXAMPL",   // 19 characters
            "AKIAIOSFODNN7EXAMPLE1", // 21
            "AKIAiosfodnn7example",  // lower case
            "xoxb-",
            "glpat-has spaces in it and more",
            "eyJhbGciOi.not.base64!",
            "",
        ] {
            assert_eq!(key(s), None, "{s}");
        }
    }

    #[test]
    fn a_jwt_needs_a_header_with_alg_and_gives_its_exp() {
        let with_exp = jwt_with(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"sub":"x","exp":1900000000}"#,
        );
        let d = detect(&with_exp).unwrap();
        assert_eq!(d.kind, JWT);
        assert_eq!(d.expires_at.unwrap().timestamp(), 1_900_000_000);
        let no_exp = jwt_with(r#"{"alg":"RS256"}"#, r#"{"sub":"x"}"#);
        let d = detect(&no_exp).unwrap();
        assert_eq!((d.kind, d.expires_at), (JWT, None));
        // Three base64url parts, but the header names no algorithm: not a JWT.
        assert_eq!(key(&jwt_with(r#"{"typ":"JWT"}"#, r#"{"exp":1}"#)), None);
        assert_eq!(key(&jwt_with(r#"{"alg":"HS256"}"#, "[1,2]")), None);
        // The docs' sample token (platform-api-management.md).
        assert_eq!(
            key("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
            Some("jwt")
        );
    }

    #[test]
    fn every_key_reads_back_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for k in all() {
            assert!(keys.insert(k.key), "{} twice", k.key);
            assert_eq!(by_key(k.key), Some(k));
        }
        assert_eq!(by_key("from-a-newer-version"), None);
        let v = serde_json::to_value(by_key("github-pat").unwrap()).unwrap();
        assert_eq!(v["key"], "github-pat");
        assert_eq!(v["vendor"], "GitHub");
    }
}
