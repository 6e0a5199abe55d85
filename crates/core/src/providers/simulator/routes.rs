//! What the simulated providers answer: GoodAccess's token API as its docs describe
//! it, and the verify endpoints of the others.

use super::*;

fn ip_allowed(allowed: &[String], peer: IpAddr) -> bool {
    allowed.is_empty()
        || allowed.iter().any(|a| match a.split_once('/') {
            None => a.parse::<IpAddr>().ok() == Some(peer),
            Some((net, bits)) => match (net.parse::<IpAddr>(), bits.parse::<u32>(), peer) {
                (Ok(IpAddr::V4(n)), Ok(b), IpAddr::V4(p)) if b <= 32 => {
                    let mask = if b == 0 { 0 } else { u32::MAX << (32 - b) };
                    u32::from(n) & mask == u32::from(p) & mask
                }
                (Ok(IpAddr::V6(n)), Ok(b), IpAddr::V6(p)) if b <= 128 => {
                    let mask = if b == 0 { 0 } else { u128::MAX << (128 - b) };
                    u128::from(n) & mask == u128::from(p) & mask
                }
                _ => false,
            },
        })
}

fn token_json(t: &SimToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "allowed_scopes": t.scopes,
        "allowed_ips": t.allowed_ips,
        "expires_at": t.expires_at.format(EXPIRES_FORMAT).to_string(),
        "created_at": t.created_at.format(EXPIRES_FORMAT).to_string(),
        "last_used_at": t.last_used_at.map(|l| l.format(EXPIRES_FORMAT).to_string()),
    })
}

pub(super) fn handle(req: &Request, peer: IpAddr, st: &mut State, now: DateTime<Utc>) -> Reply {
    let path = req.path.split('?').next().unwrap_or("");
    if let Some(rest) = path.strip_prefix("/api/v1/") {
        return goodaccess_route(req, rest, peer, st, now);
    }
    verify_route(req, path, peer, st, now)
}

/// GoodAccess: authenticate, check the IP, check the scope, then act.
fn goodaccess_route(
    req: &Request,
    rest: &str,
    peer: IpAddr,
    st: &mut State,
    now: DateTime<Utc>,
) -> Reply {
    let needed = match (req.method.as_str(), rest) {
        ("GET", "test-connection") => None,
        ("GET", "tokens") => Some("token.read-all"),
        ("GET", r) if r.starts_with("token/") => Some("token.read"),
        ("POST", "token") => Some("token.create"),
        ("DELETE", r) if r.starts_with("token/") => Some("token.delete"),
        _ => return reply(404, json!({ "message": "Not Found" })),
    };
    let bearer = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(caller) = bearer.and_then(|b| st.tokens.iter().position(|t| t.secret == b)) else {
        return reply(401, json!({ "message": "Unauthenticated." }));
    };
    {
        let c = &st.tokens[caller];
        if c.revoked || c.expires_at <= now {
            return reply(401, json!({ "message": "Unauthenticated." }));
        }
        if !ip_allowed(&c.allowed_ips, peer) {
            return reply(
                403,
                json!({ "message": format!("IP address {peer} is not allowed for this token.") }),
            );
        }
        if let Some(scope) = needed {
            if !c.scopes.iter().any(|s| s == scope) {
                return reply(
                    403,
                    json!({ "message": format!("This token lacks the scope {scope}.") }),
                );
            }
        }
    }
    st.tokens[caller].last_used_at = Some(now);
    match (req.method.as_str(), rest) {
        ("GET", "test-connection") => reply(200, json!({ "message": "Connection successful." })),
        ("GET", "tokens") => {
            let list: Vec<Value> = st
                .tokens
                .iter()
                .filter(|t| !t.revoked)
                .map(token_json)
                .collect();
            reply(200, json!({ "data": list }))
        }
        ("GET", r) => {
            let id = r.trim_start_matches("token/");
            match st.tokens.iter().find(|t| t.id == id && !t.revoked) {
                Some(t) => reply(200, json!({ "data": token_json(t) })),
                None => reply(404, json!({ "message": "Token not found." })),
            }
        }
        ("DELETE", r) => {
            let id = r.trim_start_matches("token/");
            match st.tokens.iter_mut().find(|t| t.id == id && !t.revoked) {
                Some(t) => {
                    t.revoked = true;
                    reply(200, json!({ "message": "Token revoked." }))
                }
                None => reply(404, json!({ "message": "Token not found." })),
            }
        }
        ("POST", _) => create_token(req, st, now),
        _ => reply(404, json!({ "message": "Not Found" })),
    }
}

fn create_token(req: &Request, st: &mut State, now: DateTime<Utc>) -> Reply {
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return reply(
            400,
            json!({ "message": "The request body is not valid JSON." }),
        );
    };
    let mut errors = serde_json::Map::new();
    let mut fail = |field: &str, msg: &str| {
        errors.insert(field.into(), json!([msg]));
    };
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if name.is_empty() {
        fail("name", "The name field is required.");
    }
    let expires = body
        .get("expires_at")
        .and_then(Value::as_str)
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, EXPIRES_FORMAT).ok())
        .map(|t| t.and_utc());
    match expires {
        None => fail(
            "expires_at",
            "The expires at field must match the format Y-m-d H:i:s.",
        ),
        Some(e) if e <= now => fail(
            "expires_at",
            "The expires at field must be a date after now.",
        ),
        _ => {}
    }
    let ips: Vec<String> = match body.get("allowed_ips") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => {
            fail("allowed_ips", "The allowed ips field must be an array.");
            vec![]
        }
    };
    if ips
        .iter()
        .any(|ip| crate::validate::allowed_ip(ip).is_err())
    {
        fail("allowed_ips", "Each allowed ip must be a valid IP address.");
    }
    let scopes: Vec<String> = body
        .get("allowed_scopes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if scopes.is_empty() {
        fail("allowed_scopes", "The allowed scopes field is required.");
    }
    if scopes
        .iter()
        .any(|s| !goodaccess::SCOPES.iter().any(|c| c.name == s))
    {
        fail("allowed_scopes", "The selected allowed scopes is invalid.");
    }
    if !errors.is_empty() {
        return reply(
            400,
            json!({ "message": "Validation Error", "errors": errors }),
        );
    }
    let t = SimToken {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        secret: new_secret("ga"),
        scopes,
        allowed_ips: ips,
        expires_at: expires.expect("checked above"),
        created_at: now,
        last_used_at: None,
        revoked: false,
    };
    let mut out = token_json(&t);
    out["token"] = json!(t.secret);
    st.tokens.push(t);
    reply(200, json!({ "data": out }))
}

/// The verify endpoints of the other providers.
fn verify_route(
    req: &Request,
    path: &str,
    peer: IpAddr,
    st: &mut State,
    now: DateTime<Utc>,
) -> Reply {
    let (provider, presented) = match (req.method.as_str(), path) {
        ("GET", "/agencyaccess/api/clients/list") => {
            (ProviderKind::AgencyAccess, req.header("x-auth"))
        }
        ("GET", "/goodpayments/api/v1/balance") => {
            (ProviderKind::GoodPayments, req.header("x-api-key"))
        }
        ("GET", "/platform/api/v1/me") => (
            ProviderKind::PlatformApi,
            req.header("authorization")
                .and_then(|v| v.strip_prefix("Bearer ")),
        ),
        ("GET", "/custom/ping") => (ProviderKind::Custom, req.header("x-custom-token")),
        _ => return reply(404, json!({ "message": "Not Found" })),
    };
    let key = presented.and_then(|p| {
        st.keys
            .iter()
            .find(|k| k.provider == provider && k.secret == p.trim())
    });
    let valid = key.is_some_and(|k| !k.revoked && ip_allowed(&k.allowed_ips, peer));
    let jwt_live = |k: &SimKey| {
        crate::providers::simple::jwt_claims(&k.secret)
            .ok()
            .and_then(|c| c.expires_at)
            .is_none_or(|e| e > now)
    };
    match provider {
        ProviderKind::AgencyAccess => match (presented, valid) {
            (None, _) => reply(401, json!({ "error": true, "msg": "Missing API key." })),
            // The docs' shape, with HTTP 200: "always check error".
            (Some(_), false) => reply(200, json!({ "error": true, "msg": "Invalid API key." })),
            (Some(_), true) => reply(200, json!({ "error": false, "clients": [] })),
        },
        ProviderKind::PlatformApi if valid && key.is_some_and(jwt_live) => {
            reply(200, json!({ "name": "API Management", "ok": true }))
        }
        ProviderKind::Custom if valid => Reply {
            status: 204,
            content_type: "text/plain",
            extra: vec![],
            body: vec![],
        },
        ProviderKind::GoodPayments if valid => {
            reply(200, json!({ "balance": "0.00", "currency": "EUR" }))
        }
        // A live key called from outside its whitelist.
        ProviderKind::GoodPayments if key.is_some_and(|k| !k.revoked) => reply(
            403,
            json!({ "message": format!("IP address {peer} is not in the whitelist.") }),
        ),
        _ => reply(401, json!({ "message": "Unauthorized" })),
    }
}
