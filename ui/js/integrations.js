// Integrations: a provider account, where its API is, how its tokens are verified,
// and (for a provider whose API manages tokens) the token that manages the others.

import { $, el, say, show, armed, words } from "./dom.js";
import { call, attempt, catalog, providerOf, providerOptions, normalise } from "./api.js";

let editing = null;          // the integration id in the dialog, or null to add

// What an integration of this provider does, for the provider choice.
function providerChoice(p) {
  const can = [];
  if (p.api.create) can.push("create");
  if (p.rotation === "automatic") can.push("rotate");
  if (p.api.revoke) can.push("revoke");
  return can.length ? `${p.name} (API: ${can.join(", ")})` : `${p.name} (verify only)`;
}

function remindersInput(i) {
  const days = el("input", null, "days");
  // null: the vault's defaults, shown as an empty field (typing nothing keeps them).
  days.value = i.reminder_days ?? "";
  days.placeholder = "defaults";
  days.title = "Empty: the defaults (Settings); none: no reminders";
  days.setAttribute("aria-label", `Reminder days for ${i.label}`);
  days.addEventListener("change", () => attempt(async () => {
    await call("set_integration_reminders", { id: i.id, days: days.value });
    say(`Reminders of ${i.label}: ${days.value || "the defaults"}.`, "info");
  }));
  return days;
}

function actionButtons(i) {
  const out = [];
  const api = providerOf(i.provider_key).api;
  if (api.list && api.verify) {
    const verify = el("button", "Verify", "small ghost");
    verify.addEventListener("click", () => attempt(async () => {
      say(await call("verify_integration", { id: i.id }), "info");
    }));
    const rec = el("button", "Reconcile", "small ghost");
    rec.dataset.reconcile = i.id;
    rec.addEventListener("click", () => reconcile(i));
    out.push(verify, rec);
  }
  const edit = el("button", "Edit", "small ghost");
  edit.dataset.edit = i.id;
  edit.addEventListener("click", () => openIntegration(i.id));
  const remove = el("button", "Remove", "small ghost");
  remove.addEventListener("click", () => attempt(async () => {
    if (!armed(remove)) return;
    say(await call("remove_integration", { id: i.id }), "info");
    await showIntegrations();
  }));
  out.push(edit, remove);          // Remove last: the tests find it there
  return out;
}

export function showIntegrations() {
  return attempt(async () => {
    await catalog();
    const list = await call("list_integrations");
    const frag = document.createDocumentFragment();
    for (const i of list) {
      const label = el("td", i.label, "name");
      if (i.base_url) label.append(el("div", i.base_url, "muted small"));
      const daysCell = el("td");
      daysCell.append(remindersInput(i));
      const actions = el("td");
      actions.append(...actionButtons(i));
      const tr = el("tr");
      tr.append(label, el("td", i.provider), el("td", i.managing_token || "—"),
        el("td", String(i.tokens)), daysCell, actions);
      frag.append(tr);
    }
    $("integration-rows").replaceChildren(frag);
    $("reconcile").hidden = true;
    show("integrations");
  });
}

async function reconcile(i) {
  const box = $("reconcile");
  box.hidden = false;
  box.replaceChildren(el("div", `Reconciling ${i.label}…`));
  try {
    // The findings come worded by the core, as `tw reconcile` prints them.
    const r = await call("reconcile_integration", { id: i.id });
    const lines = [el("div", `${r.label}: ${r.matched} tokens match.`, "step done")];
    for (const f of r.findings) lines.push(el("div", `${f.kind}: ${f.name} — ${f.text}`, f.kind));
    box.replaceChildren(...lines);
  } catch (err) {
    box.replaceChildren(el("div", err.message, "left expired"));
  }
}

// ---- the add / edit dialog ----------------------------------------------------

// The fields the chosen provider needs: its managing token (when adding), or the URL
// its tokens are verified against; the default policy when editing.
function integrationFields() {
  const p = providerOf($("int-provider").value);
  $("int-ga").hidden = !p.managing_token || editing !== null;
  $("int-verify").hidden = !p.verify_url;
  $("int-policy").hidden = editing === null;
}
$("int-provider").addEventListener("change", integrationFields);

// An edit that moves calls to another host: the credential follows only if given again.
function askMove(err) {
  $("int-move").hidden = false;
  $("int-move-text").textContent = err.message;
  $("int-move-credential-label").hidden = err.kind !== "endpoint_credential";
  $("int-move-host-label").hidden = err.kind !== "endpoint_confirm";
  (err.kind === "endpoint_credential" ? $("int-move-credential") : $("int-move-host")).focus();
}

async function openIntegration(id) {
  const view = await attempt(async () => {
    await catalog();
    return id ? call("integration_view", { id }) : {};
  });
  if (!view) return;
  providerOptions($("int-provider"), providerChoice);
  $("integration-form").reset();
  $("integration-error").hidden = true;
  $("int-move").hidden = true;
  editing = id || null;
  $("int-provider").disabled = editing !== null;
  $("integration-title").textContent = editing ? "Edit the integration" : "Add an integration";
  $("integration-submit").textContent = editing ? "Save" : "Add";
  if (editing) {
    $("int-provider").value = view.provider;
    $("int-label").value = view.label;
    $("int-base").value = view.base_url || "";
    $("int-verify-url").value = view.verify_url || "";
    $("int-header").value = view.header || "";
    $("int-scheme").value = view.scheme || "";
    $("int-status").value = view.expected_status || "";
    $("int-policy-mode").value = view.policy_mode || "";
    $("int-policy-days").value = view.policy_auto_days || "";
  }
  integrationFields();
  $("integration-dialog").showModal();
  $("int-label").focus();
}
$("integration-add-btn").addEventListener("click", () => openIntegration(null));

function integrationForm() {
  const opt = (v) => (v.trim() ? v.trim() : null);
  return {
    provider: $("int-provider").value, label: $("int-label").value,
    base_url: opt($("int-base").value), verify_url: opt($("int-verify-url").value),
    header: opt($("int-header").value), scheme: opt($("int-scheme").value),
    expected_status: $("int-status").value ? Number($("int-status").value) : null,
    scopes: words($("int-scopes").value), expires: opt($("int-expires").value),
  };
}

$("integration-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const form = integrationForm();
  $("integration-submit").disabled = true;
  try {
    let msg;
    if (editing) {
      const mode = $("int-policy-mode").value || null;
      const days = $("int-policy-days").value ? Number($("int-policy-days").value) : null;
      msg = await call("edit_integration", {
        id: editing, form, policy: { mode, auto_days: mode ? days : null },
        credential: $("int-move-credential").value || null,
        confirmHost: $("int-move-host").value || null,
      });
    } else {
      msg = await call("add_integration", { form, credential: $("int-credential").value || null });
    }
    $("int-credential").value = "";
    $("int-move-credential").value = "";
    $("integration-dialog").close();
    say(msg, "info");
    showIntegrations();
  } catch (raw) {
    const err = normalise(raw);
    if (err.kind === "endpoint_credential" || err.kind === "endpoint_confirm") {
      askMove(err);
    } else {
      // Shown in the dialog, which stays open to correct the form.
      $("integration-error").hidden = false;
      $("integration-error").textContent = err.message;
    }
  } finally {
    $("integration-submit").disabled = false;
  }
});

// The credentials never outlive the dialog.
$("integration-dialog").addEventListener("close", () => {
  $("int-credential").value = "";
  $("int-move-credential").value = "";
});
