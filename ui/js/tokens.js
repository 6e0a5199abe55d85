// The add dialog, which also edits a token's recorded facts (never its secret or
// provider: a new secret is a rotation, another provider another token).

import { $, say } from "./dom.js";
import { call, attempt, catalog, providerOf, providerOptions, normalise } from "./api.js";
import { loadTokens } from "./list.js";
import { ScopePicker } from "./scopes.js";
import { IpChips } from "./chips.js";

const picker = new ScopePicker($("add-scope-picker"));
const ips = new IpChips($("add-ips"));

// The token in the dialog, {id, integration}, or null to add. Its integration is
// sent back as it is: the dialog does not move a token to another one.
let editing = null;

// Where the expiry may come from: some providers' secrets carry their own.
function expiresHint() {
  const inSecret = editing === null && providerOf($("add-provider").value).expiry_in_secret;
  $("add-expires").placeholder = inSecret
    ? "YYYY-MM-DD, never, or leave empty to read it from the token"
    : "YYYY-MM-DD or never";
}
// The scopes and IP checks follow the provider.
function providerChanged(held = [], allowed = []) {
  const p = providerOf($("add-provider").value);
  picker.setProvider(p, held);
  ips.setProvider(p.key);
  ips.set(allowed);
  expiresHint();
}
$("add-provider").addEventListener("change", () => providerChanged());

// Resolves to whether the dialog can open (the provider list needs the catalog).
async function prepare(edit) {
  const editMode = edit !== null;
  if ((await attempt(catalog)) === undefined) return false;
  providerOptions($("add-provider"));
  $("add-form").reset();
  editing = edit;
  $("add-error").hidden = true;
  $("add-title").textContent = editMode ? "Edit the token" : "Add a token";
  $("add-submit").textContent = editMode ? "Save" : "Add";
  $("add-secret-label").hidden = editMode;
  $("add-secret").required = !editMode;
  $("add-provider").disabled = editMode;
  return true;
}

function open() {
  $("add-dialog").showModal();
  $("add-name").focus();
}

export async function openAdd() {
  if (!(await prepare(null))) return;
  providerChanged();
  open();
}

// The stored expiry as the field takes it: a day when it is midnight UTC (as a typed
// day is stored), else the exact time, so saving unchanged keeps it.
function expiresField(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  return d.getTime() % 86400000 === 0 ? d.toISOString().slice(0, 10) : iso;
}

// `d`: the token's detail (token_detail's answer).
export async function openEdit(d) {
  if (!d) return;
  const t = d.token;
  if (!(await prepare({ id: t.id, integration: t.integration || null }))) return;
  $("add-provider").value = t.provider_key;
  $("add-name").value = t.name;
  providerChanged(t.scopes, t.allowed_ips);
  $("add-expires").value = expiresField(t.expires_at);
  $("add-notes").value = d.notes || "";
  open();
}

$("add-btn").addEventListener("click", openAdd);

$("add-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  $("add-submit").disabled = true;
  try {
    const form = {
      name: $("add-name").value, scopes: picker.value(),
      allowed_ips: await ips.value(), expires: $("add-expires").value,
      notes: $("add-notes").value,
    };
    let row;
    if (editing) {
      row = await call("edit_token", { id: editing.id, form: { ...form, integration: editing.integration } });
    } else {
      row = await call("add_token", {
        form: { ...form, provider: $("add-provider").value, secret: $("add-secret").value },
      });
    }
    $("add-secret").value = "";
    $("add-dialog").close();
    say(editing ? `Saved ${row.name}.` : `Added ${row.name}.`, "info");
    await loadTokens();
    call("check_reminders").catch(() => {});
  } catch (err) {
    // Shown in the dialog, which stays open to correct the form.
    $("add-error").hidden = false;
    $("add-error").textContent = normalise(err).message;
  } finally {
    $("add-submit").disabled = false;
  }
});

// The secret never outlives the dialog.
$("add-dialog").addEventListener("close", () => { $("add-secret").value = ""; });
