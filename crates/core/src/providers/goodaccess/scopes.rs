//! GoodAccess's scope catalogue (goodaccess-tokens-and-scopes.md) and the presets
//! Tokenwarden offers: least-privilege sets for the usual integrations.

use crate::providers::Preset;
use crate::validate::InvalidInput;

/// One scope of the catalogue: as the POST enum spells it (what the server
/// validates), its group and what it grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Scope {
    pub name: &'static str,
    pub group: &'static str,
    pub description: &'static str,
}

const fn s(name: &'static str, group: &'static str, description: &'static str) -> Scope {
    Scope {
        name,
        group,
        description,
    }
}

/// The 52 scopes, in the catalogue's order. The table writes `systems.read-all`; the
/// POST enum, which the server validates, spells it `system.read-all`, and so do we.
/// The other irregular names (`access-card.read-all`, `gateway.read-all`, `token.*`)
/// are the same in both and are sent exactly as written.
pub const SCOPES: [Scope; 52] = [
    s(
        "members.create",
        "Members",
        "Create (invite) a new team member",
    ),
    s(
        "members.read",
        "Members",
        "Read a specific team member detail",
    ),
    s("members.read-all", "Members", "List all team members"),
    s("members.update", "Members", "Update a team member"),
    s("members.delete", "Members", "Delete a team member"),
    s(
        "members.disconnect",
        "Members",
        "Disconnect a team member's active VPN session",
    ),
    s("groups.create", "Groups", "Create a new member group"),
    s(
        "groups.read",
        "Groups",
        "Read a specific member group detail",
    ),
    s("groups.read-all", "Groups", "List all member groups"),
    s("groups.update", "Groups", "Update a member group"),
    s("groups.delete", "Groups", "Delete a member group"),
    s("systems.create", "Systems", "Create a new system"),
    s("systems.read", "Systems", "Read a specific system detail"),
    s("system.read-all", "Systems", "List all systems"),
    s("systems.update", "Systems", "Update a system"),
    s("systems.delete", "Systems", "Delete a system"),
    s(
        "system-groups.create",
        "System Groups",
        "Create a new system group",
    ),
    s(
        "system-groups.read",
        "System Groups",
        "Read a specific system group detail",
    ),
    s(
        "system-groups.read-all",
        "System Groups",
        "List all system groups",
    ),
    s(
        "system-groups.update",
        "System Groups",
        "Update a system group",
    ),
    s(
        "system-groups.delete",
        "System Groups",
        "Delete a system group",
    ),
    s(
        "access-cards.create",
        "Access Cards",
        "Create a new access card",
    ),
    s(
        "access-cards.read",
        "Access Cards",
        "Read a specific access card detail",
    ),
    s(
        "access-card.read-all",
        "Access Cards",
        "List all access cards",
    ),
    s(
        "access-cards.update",
        "Access Cards",
        "Update an access card",
    ),
    s(
        "access-cards.delete",
        "Access Cards",
        "Delete an access card",
    ),
    s(
        "member-group-relation.add",
        "Relations",
        "Add a member to a group",
    ),
    s(
        "member-group-relation.delete",
        "Relations",
        "Remove a member from a group",
    ),
    s(
        "member-ac-relation.add",
        "Relations",
        "Add a member to an access card",
    ),
    s(
        "member-ac-relation.delete",
        "Relations",
        "Remove a member from an access card",
    ),
    s(
        "group-access-card-relation.add",
        "Relations",
        "Assign an access card to a member group",
    ),
    s(
        "group-access-card-relation.delete",
        "Relations",
        "Remove an access card from a member group",
    ),
    s(
        "system-system-group-relation.add",
        "Relations",
        "Add a system to a system group",
    ),
    s(
        "system-system-group-relation.delete",
        "Relations",
        "Remove a system from a system group",
    ),
    s(
        "system-ac-relation.add",
        "Relations",
        "Add a system to an access card",
    ),
    s(
        "system-ac-relation.delete",
        "Relations",
        "Remove a system from an access card",
    ),
    s(
        "system-group-access-card-relation.add",
        "Relations",
        "Assign an access card to a system group",
    ),
    s(
        "system-group-access-card-relation.delete",
        "Relations",
        "Remove an access card from a system group",
    ),
    s(
        "gateways.read",
        "Gateways",
        "Read a specific gateway detail",
    ),
    s("gateway.read-all", "Gateways", "List all gateways"),
    s("devices.read", "Devices", "Read a specific device detail"),
    s("devices.read-all", "Devices", "List all devices"),
    s("devices.delete", "Devices", "Delete a device"),
    s("token.create", "Tokens", "Create a new API token"),
    s("token.read", "Tokens", "Read a specific API token detail"),
    s("token.read-all", "Tokens", "List all API tokens"),
    s("token.delete", "Tokens", "Delete an API token"),
    s("gateway-log.read", "Logs", "Read gateway-level logs"),
    s("system-logs.read", "Logs", "Read system-level logs"),
    s(
        "threat-blocker-logs.read",
        "Logs",
        "Read threat blocker logs",
    ),
    s(
        "device-posture-check-logs.read",
        "Logs",
        "Read device posture check logs",
    ),
    s(
        "admin-logs.read",
        "Logs",
        "Read admin activity / audit logs",
    ),
];

/// Spellings people copy from the catalogue table that the API spells otherwise.
const ALIASES: [(&str, &str); 1] = [("systems.read-all", "system.read-all")];

/// The presets offered when creating a GoodAccess token.
pub const PRESETS: [Preset; 4] = [
    Preset {
        key: "logging",
        title: "Logging integration (SIEM): the five log scopes",
        scopes: &[
            "gateway-log.read",
            "system-logs.read",
            "threat-blocker-logs.read",
            "device-posture-check-logs.read",
            "admin-logs.read",
        ],
    },
    Preset {
        key: "inventory",
        title:
            "Read-only inventory: list and read members, groups, systems, cards, gateways, devices",
        scopes: &[
            "members.read",
            "members.read-all",
            "groups.read",
            "groups.read-all",
            "systems.read",
            "system.read-all",
            "system-groups.read",
            "system-groups.read-all",
            "access-cards.read",
            "access-card.read-all",
            "gateways.read",
            "gateway.read-all",
            "devices.read",
            "devices.read-all",
        ],
    },
    Preset {
        key: "provisioning",
        title: "Member provisioning (HR sync): manage members and their groups",
        scopes: &[
            "members.create",
            "members.read",
            "members.read-all",
            "members.update",
            "members.delete",
            "members.disconnect",
            "groups.read-all",
            "member-group-relation.add",
            "member-group-relation.delete",
        ],
    },
    Preset {
        key: "token-management",
        title: "Token management: the managing token Tokenwarden uses to create, list and revoke",
        scopes: &[
            "token.create",
            "token.read",
            "token.read-all",
            "token.delete",
        ],
    },
];

/// Checks scopes against the catalogue and returns them as the API spells them,
/// without duplicates, in catalogue order.
pub fn check_scopes(scopes: &[String]) -> Result<Vec<String>, InvalidInput> {
    let mut wanted = Vec::with_capacity(scopes.len());
    for raw in scopes {
        let s = raw.trim();
        let s = ALIASES
            .iter()
            .find(|(alias, _)| *alias == s)
            .map(|(_, real)| *real)
            .unwrap_or(s);
        if !SCOPES.iter().any(|c| c.name == s) {
            let hint = SCOPES
                .iter()
                .filter(|c| {
                    let stem = s.split('.').next().unwrap_or(s);
                    c.name.starts_with(stem.trim_end_matches('s'))
                })
                .map(|c| c.name)
                .take(4)
                .collect::<Vec<_>>();
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", hint.join(", "))
            };
            return Err(InvalidInput::new(
                "scope",
                format!("'{s}' is not a GoodAccess scope{hint}"),
            ));
        }
        wanted.push(s);
    }
    Ok(SCOPES
        .iter()
        .filter(|c| wanted.contains(&c.name))
        .map(|c| c.name.to_string())
        .collect())
}
