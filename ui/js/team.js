// The Team screen: connect this vault to a team's OpenBao / Vault server, and once
// connected, how it stands: the last sync (or the failure since), the member's rights
// as the server reports them, the rotations other members hold, what a sync did not
// take. Everything is the core's team actions; this only shows them.

import { $, el, say, fmt, show, armed, disarm } from "./dom.js";
import { call, attempt } from "./api.js";

let lastNotTaken = null;

function notTaken(list) {
  lastNotTaken = list;
  const ul = $("team-not-taken");
  ul.replaceChildren(...(list.length ? list.map((t) => el("li", t)) : [el("li", "nothing", "muted")]));
}

export function showTeam() {
  return attempt(async () => {
    const t = await call("team_status", { live: true });
    $("team-connect").hidden = t.connected;
    $("team-status").hidden = !t.connected;
    $("team-sync-btn").hidden = !t.connected;
    if (t.connected) paint(t);
    show("team");
  });
}

function paint(t) {
  const facts = $("team-facts");
  facts.replaceChildren();
  const fact = (k, v, cls) => facts.append(el("dt", k), el("dd", v, cls));
  fact("Server", t.addr);
  fact("Mount / prefix", `${t.mount} / ${t.prefix}`);
  fact("Member", t.member);
  fact("Team tokens here", String(t.tokens));
  if (t.last_sync_error) {
    fact("Last sync", `failed: ${t.last_sync_error} (last good: ${t.last_sync_at ? fmt(t.last_sync_at) : "never"}); the team's tokens are shown from the copy here`, "left warn");
  } else {
    fact("Last sync", t.last_sync_at ? fmt(t.last_sync_at) : "never");
  }
  if (t.offline) fact("Server", `not reached: ${t.offline}`, "left warn");
  if (t.policies) fact("Policies", t.policies.join(", ") || "none");
  if (t.credential_expires_at) fact("Credential", `renewed before ${fmt(t.credential_expires_at)}`);
  const claims = $("team-claims");
  claims.replaceChildren(...(t.claims.length
    ? t.claims.map((c) => el("li",
        `${c.token_name}: ${c.member}, since ${fmt(c.since)}, at step ${c.step}` +
        (c.stale ? " (no progress for a while: the next resume here takes it over)" : "")))
    : [el("li", "none", "muted")]));
  const caps = $("team-caps");
  caps.replaceChildren(...t.capabilities.map(([path, c]) => {
    const tr = el("tr");
    tr.append(el("td", path, "mono"), el("td", c.join(", ")));
    return tr;
  }));
  if (lastNotTaken === null) notTaken([]);
}

$("team-user").addEventListener("input", () => {
  $("team-secret-label").textContent = $("team-user").value.trim() ? "Password" : "OpenBao token";
});

$("team-connect").addEventListener("submit", (e) => {
  e.preventDefault();
  attempt(async () => {
    const r = await call("team_connect", {
      addr: $("team-addr").value,
      mount: $("team-mount").value,
      prefix: $("team-prefix").value,
      username: $("team-user").value || null,
      secret: $("team-secret").value,
    });
    $("team-secret").value = "";
    notTaken(r.not_taken);
    say(`Connected. ${r.text}`, "info");
    await showTeam();
  });
});

$("team-sync-btn").addEventListener("click", () => attempt(async () => {
  const r = await call("team_sync");
  notTaken(r.not_taken);
  say(r.text, "info");
  await showTeam();
}));

const leave = $("team-leave");
leave.addEventListener("click", () => attempt(async () => {
  if (!armed(leave)) return;
  disarm(leave);
  say(await call("team_leave"), "info");
  lastNotTaken = null;
  await showTeam();
}));
