// The vault itself: what state it is in, creating it, unlocking it, recovering a
// file that cannot be opened as it is, locking it, and the sandbox.

import { $, say, show, mark } from "./dom.js";
import { call, attempt } from "./api.js";
import { loadTokens, forgetRows } from "./list.js";

function applyStatus(st) {
  $("vault-path").textContent = st.path;
  $("sandbox-badge").hidden = !st.sandbox;
  if (st.problem) say(st.problem, "error");
  else if (st.notice) say(st.notice, "info");
  offerRecovery(st.problem_kind);
}

// A vault file that cannot be opened as it is: what the person may do about it, each
// checked and recorded in the audit log by the core (as `tw recover` does).
function offerRecovery(kind) {
  const previous = kind === "restorable" || kind === "rolled_back_previous_newer";
  const older = kind === "rolled_back";
  $("recover-box").hidden = !previous && !older;
  $("recover-previous").hidden = !previous;
  $("recover-older").hidden = !older;
  $("recover-text").textContent = previous
    ? "The previous generation beside the vault is authentic and can take its place; the file there now is kept beside it."
    : older
      ? "If you put this older copy back yourself, you can keep it. Check the recipients and tokens after: it may hold what was removed since."
      : "";
}

// Opening the vault failed: say why, and offer a recovery where the error allows one.
function refused(err) {
  say(err.message, "error");
  offerRecovery(err.kind);
}

async function recover(how) {
  try {
    const st = await call("recover_vault", { how, passphrase: $("unlock-pass").value || null });
    $("unlock-pass").value = "";
    applyStatus(st);
    await loadTokens();
  } catch (err) {
    refused(err);
  }
}
$("recover-previous").addEventListener("click", () => recover("restore_previous"));
$("recover-older").addEventListener("click", () => recover("accept_older"));

// Shows the screen the vault's state calls for.
export async function refresh() {
  const st = await call("vault_status");
  mark("status");
  applyStatus(st);
  if (!st.exists) return show("create");
  if (st.unlocked) return loadTokens();
  if (st.custody === "passphrase" || st.locked || st.problem_kind) {
    const keyring = st.custody === "keyring";
    $("unlock-keyring").hidden = !keyring;
    $("unlock-pass").hidden = keyring;
    $("unlock-pass-label").hidden = keyring;
    $("unlock-pass").required = !keyring;
    return show("unlock");
  }
  show(null);
}

// The vault locked (by the button, the idle time, or after a rotation): nothing of it
// stays on the page, and the unlock screen comes up.
export function afterLock(message) {
  forgetRows();
  say(message, "info");
  return attempt(refresh);
}

$("lock-btn").addEventListener("click", () => attempt(async () => {
  const st = await call("lock_vault");
  if (st.unlocked) {
    // A rotation is under way: the vault locks as soon as it ends (the "locked" event).
    return say(st.notice, "info");
  }
  await afterLock("Locked.");
}));

$("unlock-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    applyStatus(await call("unlock", { passphrase: $("unlock-pass").value || "" }));
    $("unlock-pass").value = "";
    say("");
    await loadTokens();
  } catch (err) {
    refused(err);
  }
});

$("create-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $("create-btn").disabled = true;
  attempt(async () => {
    try {
      const st = await call("create_vault", { passphrase: $("create-pass").value || null });
      $("create-pass").value = "";
      applyStatus(st);
      await loadTokens();
    } finally {
      $("create-btn").disabled = false;
    }
  });
});

$("sandbox-btn").addEventListener("click", () => attempt(async () => {
  applyStatus(await call("start_sandbox"));
  await loadTokens();
}));
