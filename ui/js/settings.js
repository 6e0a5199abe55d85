// Settings: auto-lock, reminders, start at login, where the vault key is kept, the
// age recipients the vault is also encrypted to, and exporting the key. The changes
// that weaken the vault's protection ask for a proof of the person first.

import { $, el, say, show, onShow } from "./dom.js";
import { call, attempt } from "./api.js";

// ---- proof of the person ---------------------------------------------------
// Exporting the key, adding a recipient, moving the key and weakening the auto-lock
// need it. The first call goes without: a keyring vault then asks the OS (a desktop
// dialog, outside this page); the error says what else is needed, asked here once.

export function askProof(err) {
  return new Promise((resolve) => {
    const typed = err.kind === "reauth_typed";
    $("proof-text").textContent = err.message;
    $("proof-pass-label").hidden = typed;
    $("proof-typed-label").hidden = !typed;
    $("proof-typed-hint").textContent = typed ? `Type '${err.phrase}'` : "";
    $("proof-pass").value = "";
    $("proof-typed").value = "";
    const dialog = $("proof-dialog");
    dialog.addEventListener("close", () => {
      const answer = dialog.returnValue === "ok"
        ? (typed ? { typed: $("proof-typed").value } : { passphrase: $("proof-pass").value })
        : null;
      $("proof-pass").value = "";
      $("proof-typed").value = "";
      resolve(answer);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    (typed ? $("proof-typed") : $("proof-pass")).focus();
  });
}

// `send(proof)` makes the call: first with no proof, then once with the one asked for.
export async function withProof(send) {
  try {
    return await send(null);
  } catch (err) {
    if (err.kind !== "reauth_typed" && err.kind !== "reauth_passphrase") throw err;
    const proof = await askProof(err);
    if (!proof) throw { kind: "cancelled", message: "Cancelled; nothing was changed." };
    return await send(proof);
  }
}

// ---- the screen --------------------------------------------------------------

// Typed passphrases leave the page with the screen (and when the vault locks).
export function clearSettingsSecrets() {
  for (const id of ["custody-pass", "custody-pass2", "export-pass", "export-pass2"]) $(id).value = "";
}
onShow((section) => {
  if (section !== "settings") clearSettingsSecrets();
});

// Lead days as the field shows them: empty would mean "the defaults", so no
// reminders at all is "none".
const leadsText = (days) => (days.length ? days.join(", ") : "none");

function recipientItem(r) {
  const li = el("li");
  const rm = el("button", "Remove", "small ghost");
  rm.addEventListener("click", () => attempt(async () => {
    fillSettings(await call("remove_recipient", { recipient: r.recipient }));
    say(`Removed ${r.label || r.recipient}. Copies of the vault it could read before stay readable to it.`, "info");
  }));
  li.append(el("code", r.recipient, "mono"), el("span", r.label, "muted"), rm);
  return li;
}

function fillSettings(st) {
  $("set-autolock").value = st.auto_lock_minutes;
  $("set-leads").value = leadsText(st.reminder_lead_days);
  $("set-autostart").checked = st.autostart;
  const keyring = st.custody === "keyring";
  $("set-custody").textContent = keyring
    ? "The vault key is in the OS keyring: the vault opens without a passphrase while you are logged in."
    : "The vault key is in a file beside the vault, behind your passphrase.";
  $("custody-keyring").hidden = keyring;
  $("custody-passphrase").textContent = keyring ? "Keep the key behind this passphrase instead" : "Change the passphrase";
  const own = el("li");
  own.append(el("code", st.vault_recipient, "mono"), el("span", "the vault key", "muted"));
  $("recipient-list").replaceChildren(own, ...st.recipients.map(recipientItem));
  if (!$("export-path").value) $("export-path").value = st.export_path;
}

export function showSettings() {
  return attempt(async () => {
    fillSettings(await call("get_settings"));
    show("settings");
  });
}

$("settings-form").addEventListener("submit", (e) => {
  e.preventDefault();
  attempt(async () => {
    fillSettings(await withProof((proof) => call("set_settings", {
      autoLockMinutes: Number($("set-autolock").value),
      reminderDays: $("set-leads").value,
      autostart: $("set-autostart").checked,
      proof,
    })));
    say("Settings saved.", "info");
  });
});

$("custody-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const to = e.submitter && e.submitter.value;
  const pass = $("custody-pass").value;
  if (to === "passphrase" && (!pass || pass !== $("custody-pass2").value)) {
    return say(pass ? "The two passphrases differ." : "Type the new passphrase twice.", "error");
  }
  attempt(async () => {
    try {
      const notice = await withProof((proof) => call("change_custody", { to, passphrase: to === "passphrase" ? pass : null, proof }));
      say(notice, "info");
      await showSettings();
    } finally {
      $("custody-pass").value = "";
      $("custody-pass2").value = "";
    }
  });
});

$("recipient-form").addEventListener("submit", (e) => {
  e.preventDefault();
  attempt(async () => {
    fillSettings(await withProof((proof) => call("add_recipient", { recipient: $("recipient-key").value, label: $("recipient-label").value, proof })));
    say("The vault is now also encrypted to that key.", "info");
    $("recipient-form").reset();
  });
});

$("export-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const clear = $("export-clear").checked;
  const pass = $("export-pass").value;
  if (!clear && (!pass || pass !== $("export-pass2").value)) {
    return say(pass ? "The two passphrases differ." : "Type a passphrase for the file twice, or choose clear text.", "error");
  }
  $("export-btn").disabled = true;
  attempt(async () => {
    try {
      say(await withProof((proof) => call("export_identity", { path: $("export-path").value, passphrase: clear ? null : pass, clearText: clear, proof })), "info");
    } finally {
      $("export-pass").value = "";
      $("export-pass2").value = "";
      $("export-btn").disabled = false;
    }
  });
});
