//! The steps of a rotation in a provider's dashboard, as the person is shown them.
//! Each provider's row in the table (`kind.rs`) names its guide; the guided rotation
//! (`rotation::guided`) shows whichever it is given.

/// What a guide is written from: the token and what carries over to its replacement.
#[derive(Debug, Clone)]
pub struct GuideFacts<'a> {
    pub token_name: &'a str,
    /// The replacement's name (a new one where names are unique).
    pub new_name: &'a str,
    pub scopes: &'a [String],
    pub allowed_ips: &'a [String],
}

/// A warning said before anything else, and the steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guidance {
    pub warning: Option<String>,
    pub steps: Vec<String>,
}

fn ips(f: &GuideFacts) -> String {
    if f.allowed_ips.is_empty() {
        "(none recorded: add the addresses your scripts call from)".to_string()
    } else {
        f.allowed_ips.join(", ")
    }
}

/// goodPayments (goodpayments-api-key.md): one key per account, replaced by «Update
/// key», which disables the old one at once.
pub fn goodpayments(f: &GuideFacts) -> Guidance {
    Guidance {
        warning: Some("«Update key» disables the old key the moment you confirm it: every script using it fails until it has the new one. Pick a quiet moment; scripts that read the key from Tokenwarden when they start pick up the new one at their next start.".into()),
        steps: vec![
            "Open the «API» section of your goodPayments Dashboard.".into(),
            format!(
                "Check that the IP whitelist still holds {} (1 to 5 IPv4 addresses; the new key keeps this whitelist).",
                ips(f)
            ),
            "Click «Update key» and confirm.".into(),
            "Copy the new key from the window that opens and paste it here.".into(),
        ],
    }
}

/// AgencyAccess (agencyaccess-api.md): keys made under Dashboard → API →
/// Authentication, old and new alive together until the old is deleted.
pub fn agencyaccess(f: &GuideFacts) -> Guidance {
    let scopes = if f.scopes.is_empty() {
        String::new()
    } else {
        format!(": {}", f.scopes.join(", "))
    };
    Guidance {
        warning: None,
        steps: vec![
            "Open Dashboard → API → Authentication in AgencyAccess.".into(),
            format!("Select the same capabilities as the old key{scopes}."),
            "Click «Generate API Key» and copy the key (it is shown once).".into(),
            "Paste it here; Tokenwarden stores and verifies it.".into(),
            format!(
                "Once your scripts use it, delete the old key ('{}') in the dashboard and confirm here.",
                f.token_name
            ),
        ],
    }
}

/// The platform's API Management (platform-api-management.md): JWTs with unique
/// names, their expiry inside.
pub fn platform_api(f: &GuideFacts) -> Guidance {
    Guidance {
        warning: None,
        steps: vec![
            "Open the platform's API Management dashboard.".into(),
            format!(
                "In the token creation section, enter the Token Name '{}' (names must be unique).",
                f.new_name
            ),
            "Set the expiration (or No Expiration); Tokenwarden reads it from the new token."
                .into(),
            "Click Create, copy the token with its Copy button (it is shown once) and paste it here."
                .into(),
            format!(
                "Once your scripts use it, delete '{}' under Existing API Tokens and confirm here.",
                f.token_name
            ),
        ],
    }
}

/// Any other dashboard: the same permissions and addresses, then the old key deleted.
pub fn generic(f: &GuideFacts) -> Guidance {
    let scopes = if f.scopes.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.scopes.join(", "))
    };
    Guidance {
        warning: None,
        steps: vec![
            format!(
                "Create a new key for '{}' in the provider's dashboard, with the same permissions{scopes}.",
                f.token_name
            ),
            format!("Restrict it to the same addresses: {}.", ips(f)),
            "Paste the new key here; Tokenwarden stores and verifies it.".into(),
            "Once your scripts use it, delete the old key in the dashboard and confirm here."
                .into(),
        ],
    }
}
