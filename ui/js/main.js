// Tokenwarden's window: plain modules, no bundler; Tauri's global API
// (withGlobalTauri) is reached only through api.js. This one wires the modules
// together: the bar, the keyboard, the tray's and the core's events.

import { $, afterPaint, mark, takeMarks, show, shown, modKey, labelShortcuts, onShow, SCREENS } from "./dom.js";
import { call, attempt, listen } from "./api.js";
import { loadTokens } from "./list.js";
import { openDetail, closeDetail, currentId, currentDetail } from "./detail.js";
import { startRotation, rotateDue } from "./rotation.js";
import { openAdd, openEdit } from "./tokens.js";
import "./remote.js";
import { showIntegrations } from "./integrations.js";
import { showAudit } from "./audit.js";
import { showImport } from "./import.js";
import { showTeam } from "./team.js";
import { showSettings, clearSettingsSecrets } from "./settings.js";
import { refresh, afterLock } from "./vault.js";

// What the window tests (WebDriver) call.
window.tw = { loadTokens, startRotation };

const openToken = (id) => attempt(() => openDetail(id));

// ---- the list and the drawer -------------------------------------------------

$("rows").addEventListener("click", (e) => {
  const rot = e.target.closest("button[data-rotate]");
  if (rot) return startRotation(rot.dataset.rotate);
  const tr = e.target.closest("tr[data-id]");
  if (tr) openToken(tr.dataset.id);
});
$("rows").addEventListener("keydown", (e) => {
  const tr = e.target.closest("tr[data-id]");
  // From the keyboard, the focus follows into the drawer (Escape brings it back).
  if (tr && e.target === tr && e.key === "Enter") {
    attempt(async () => {
      await openDetail(tr.dataset.id);
      $("detail-close").focus();
    });
  }
});
$("rotate-btn").addEventListener("click", () => currentId() && startRotation(currentId()));
$("edit-btn").addEventListener("click", () => openEdit(currentDetail()));

// ---- the bar -----------------------------------------------------------------

const SCREEN_OPENERS = {
  tokens: () => attempt(async () => {
    await loadTokens();
    show("tokens");
  }),
  integrations: showIntegrations,
  team: showTeam,
  import: showImport,
  audit: showAudit,
  settings: showSettings,
};
$("nav").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-screen]");
  if (b) SCREEN_OPENERS[b.dataset.screen]?.();
});

// Activity, for the auto-lock (at most one call in 30 s).
const TOUCH_MS = 30000;
let lastTouch = 0;
function activity() {
  const now = Date.now();
  if (now - lastTouch > TOUCH_MS) {
    lastTouch = now;
    call("touch").catch(() => {});
  }
}
document.addEventListener("keydown", activity, { capture: true });
document.addEventListener("pointerdown", activity, { capture: true });

// Keyboard: the platform's modifier (Cmd on macOS, Ctrl elsewhere), labelled so in
// the buttons' titles. Dialogs take Escape first (dom.js).
labelShortcuts();
document.addEventListener("keydown", (e) => {
  const mod = modKey(e);
  const key = e.key.toLowerCase();
  if (mod && key === "f" && !$("tokens").hidden) {
    e.preventDefault();
    $("filter").focus();
  } else if (mod && key === "n" && !$("tokens").hidden) {
    e.preventDefault();
    openAdd();
  } else if (e.key === "Escape" && !$("detail").hidden) {
    closeDetail();
  }
});

// ---- from the tray and the core --------------------------------------------------

const LOCK_REASONS = {
  idle: "Locked after the idle time set in Settings.",
  after_rotation: "Locked: the rotation that was running has ended.",
};

listen("open-token", (e) => openToken(e.payload));
listen("tray-rotate-due", () => rotateDue());
listen("locked", (e) => {
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  clearSettingsSecrets();
  afterLock(LOCK_REASONS[e.payload] || "Locked.");
});
listen("vault-changed", () => {
  if (!$("tokens").hidden) loadTokens().catch(() => {});
});

// Tell the app once the first screen is drawn (its log and the launch benchmark).
function reportReady() {
  const screen = shown() ?? "none";
  afterPaint(() => {
    mark("painted");
    call("ui_ready", { screen, marks: takeMarks() }).catch(() => {});
  });
}

// The window is made again each time it is opened from the tray (closing it ends the
// webview): the app remembers the screen shown, and what the tray asked meanwhile.
onShow((section) => {
  if (SCREENS.includes(section)) call("remember_screen", { screen: section }).catch(() => {});
});

async function start() {
  mark("modules");
  // Read before the first screen is shown (showing it is remembered).
  const memory = await call("window_memory").catch(() => null);
  await refresh();
  if (!memory || !SCREENS.includes(shown())) return;
  if (memory.screen && memory.screen !== "tokens") await SCREEN_OPENERS[memory.screen]?.();
  if (memory.open_token) openToken(memory.open_token);
  if (memory.rotate_due) rotateDue();
}
attempt(start).finally(reportReady);
