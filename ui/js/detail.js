// The detail drawer of one token. The page never holds a secret except after an
// explicit Reveal, and then only for a few seconds; Copy goes from the core to the
// clipboard without passing through here.

import { $, el, say, fmt, expiryClass, leftText, stateText, armed, disarm, onShow } from "./dom.js";
import { call, attempt } from "./api.js";
import { loadTokens, onListLoaded, focusCurrentRow } from "./list.js";

const REVEAL_SECONDS = 10;

let current = null;          // the token shown: {id, masked, detail}
let revealTimer = null;

export const currentId = () => current?.id ?? null;
// The shown token's detail as `token_detail` gave it (the edit dialog starts from it).
export const currentDetail = () => current?.detail ?? null;

// The drawer follows a rotated token to its replacement (shown at the next load).
export function followTo(oldId, newId) {
  if (current && current.id === oldId && newId) current = { id: newId };
}

function hideSecret() {
  clearTimeout(revealTimer);
  revealTimer = null;
  const v = $("secret-value");
  v.textContent = current?.masked ?? "";
  v.classList.remove("revealed");
  $("reveal-btn").textContent = "Reveal";
}

export function closeDetail() {
  const wasOpen = !$("detail").hidden;
  const id = current?.id;
  const inside = $("detail").contains(document.activeElement);
  hideSecret();
  $("detail").hidden = true;
  current = null;
  // Focus goes back to the token's row, where the keyboard left the list.
  if (wasOpen && inside && id) focusCurrentRow(id);
}

export async function openDetail(id) {
  const d = await call("token_detail", { id });
  const t = d.token;
  current = { id: t.id, masked: t.masked_secret, detail: d };
  $("detail-title").textContent = t.name;
  const facts = $("detail-facts");
  facts.replaceChildren();
  const fact = (k, v, cls) => facts.append(el("dt", k), el("dd", v, cls));
  fact("Provider", t.provider + (t.integration ? ` · ${t.integration}` : ""));
  if (d.detected) fact("Kind", d.detected.name);
  fact("State", stateText(t.state), "state " + t.state);
  if (t.team) fact("Team", "shared through the team's server; edits and rotations go there first");
  $("share-btn").hidden = t.team || t.state !== "current";
  fact("Expires", `${fmt(t.expires_at)} (${leftText(t.days_left)})`, "left " + expiryClass(t.days_left));
  fact("Created", fmt(d.created_at));
  fact("Verified", d.last_verified_at ? fmt(d.last_verified_at) : "not yet");
  fact("Rotation", `${t.rotation === "automatic" ? "one click (API)" : "guided (dashboard)"}; policy ${d.policy}`);
  if (d.open_rotation) fact("In progress", `rotation at step ${d.open_rotation.step}`);
  if (d.notes) fact("Notes", d.notes);
  $("policy-mode").value = d.own_policy ? d.own_policy.mode : "";
  $("policy-days").value = d.own_policy && d.own_policy.auto_days ? d.own_policy.auto_days : "";
  $("policy-days").disabled = t.rotation !== "automatic";
  hideSecret();
  $("rotate-btn").disabled = t.state !== "current";
  $("rotate-btn").textContent = t.rotation === "automatic" ? "Rotate" : "Rotate…";
  // An armed Remove was meant for the token shown before.
  disarm($("remove-btn"));

  const scopes = $("detail-scopes");
  scopes.replaceChildren();
  if (!d.scope_groups.length) scopes.append(el("p", "none recorded", "muted"));
  for (const g of d.scope_groups) {
    const p = el("p");
    p.append(el("strong", g.group + ": "), document.createTextNode(g.scopes.join(", ")));
    scopes.append(p);
  }
  $("detail-ips").replaceChildren(el("p", t.allowed_ips.length ? t.allowed_ips.join(", ") : "any", t.allowed_ips.length ? "mono" : "muted"));
  const lineage = $("detail-lineage");
  lineage.replaceChildren();
  if (!d.lineage.length) lineage.append(el("li", "the first of its line", "muted"));
  for (const l of d.lineage) {
    lineage.append(el("li", `${l.relation === "replaced" ? "replaced" : "replaced by"} ${l.name} (${stateText(l.state)}, ${fmt(l.created_at)})`));
  }
  const audit = $("detail-audit");
  audit.replaceChildren();
  for (const e of d.audit.slice().reverse()) {
    const li = el("li", e.summary);
    li.append(el("div", `${fmt(e.at)} · ${e.actor}`, "muted"));
    audit.append(li);
  }
  $("detail").hidden = false;
}

// A fresh list: the drawer shows the token as it is now, or closes if it is gone.
onListLoaded(() => {
  if (current) openDetail(current.id).catch(() => closeDetail());
});
onShow((section) => {
  if (section !== "tokens") closeDetail();
});

$("detail-close").addEventListener("click", closeDetail);

$("reveal-btn").addEventListener("click", () => attempt(async () => {
  if (!current) return;
  if (revealTimer) return hideSecret();
  const id = current.id;
  const s = await call("reveal_secret", { id });
  // Another token opened meanwhile: this secret is not its.
  if (!current || current.id !== id) return;
  const v = $("secret-value");
  v.textContent = s;
  v.classList.add("revealed");
  $("reveal-btn").textContent = "Hide";
  revealTimer = setTimeout(hideSecret, REVEAL_SECONDS * 1000);
}));

$("copy-btn").addEventListener("click", () => attempt(async () => {
  if (!current) return;
  const secs = await call("copy_secret", { id: current.id });
  say(`Copied. The clipboard is cleared in ${secs} s if it still holds the secret.`, "info");
}));

$("policy-form").addEventListener("submit", (e) => {
  e.preventDefault();
  attempt(async () => {
    if (!current) return;
    const mode = $("policy-mode").value || null;
    const days = $("policy-days").value ? Number($("policy-days").value) : null;
    await call("set_token_policy", { id: current.id, policy: { mode, auto_days: mode ? days : null } });
    say(mode ? "Rotation policy set." : "The token follows its integration's policy again.", "info");
    await openDetail(current.id);
  });
});

const removeBtn = $("remove-btn");
removeBtn.addEventListener("click", () => attempt(async () => {
  if (!current || !armed(removeBtn)) return;
  const msg = await call("remove_token", { id: current.id });
  disarm(removeBtn);
  closeDetail();
  say(msg, "info");
  await loadTokens();
}));

$("share-btn").addEventListener("click", () => attempt(async () => {
  if (!current) return;
  say(await call("team_share", { id: current.id }), "info");
  await openDetail(current.id);
  await loadTokens();
}));
