// Small helpers over the page: finding and making elements, the status line, dates,
// and which screen is shown. No command calls here (those are api.js's).

export const $ = (id) => document.getElementById(id);

// The system font where the webview finds it cheaply (style.css says why not on Linux).
if (/Macintosh|Windows/.test(navigator.userAgent)) document.documentElement.classList.add("system-font");

export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// A table row of one cell across `cols` columns: what a long table does not draw.
export function wideRow(text, cols, cls = "muted") {
  const td = el("td", text, cls);
  td.colSpan = cols;
  const tr = el("tr");
  tr.append(td);
  return tr;
}

// The first window's phases as the page sees them (ms since its navigation), sent with
// `ui_ready` to the log and the launch benchmark: where a launch's time goes.
let launchMarks = [];
export function mark(name) {
  launchMarks?.push([name, Math.round(performance.now() * 10) / 10]);
}
// The marks so far; later ones are not kept (a reload is not the launch).
export function takeMarks() {
  const marks = launchMarks ?? [];
  launchMarks = null;
  return marks;
}

// The status line under the bar; an empty text hides it.
export function say(text, kind) {
  const m = $("message");
  m.textContent = text || "";
  m.className = "message " + (kind || "info");
  m.hidden = !text;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
export const fmt = (iso) => (iso ? dateFmt.format(new Date(iso)) : "never");
export const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : "never");

// Runs `fn` once the frame with the latest changes has been painted.
export function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

export function expiryClass(days) {
  if (days === null || days === undefined) return "ok";
  if (days < 0) return "expired";
  if (days < 7) return "soon";
  return "ok";
}

export function leftText(days) {
  if (days === null || days === undefined) return "never";
  if (days < 0) return "expired";
  if (days === 0) return "< 1 d";
  return days + " d";
}

// "a_b" state keys as words.
export const stateText = (state) => state.replace("_", " ");

// Space- or comma-separated words of a field.
export const words = (v) => v.split(/[\s,]+/).filter(Boolean);

// Two clicks: the first arms the button (no modal confirm in a webview), which
// disarms itself after a few seconds.
const ARM_MS = 4000;
export function armed(button) {
  if (button.dataset.armed === "1") return true;
  disarm(button);
  button.dataset.label = button.textContent;
  button.dataset.armed = "1";
  button.textContent = `${button.dataset.label}? Click again`;
  button.armTimer = setTimeout(() => disarm(button), ARM_MS);
  return false;
}

export function disarm(button) {
  clearTimeout(button.armTimer);
  if (button.dataset.armed === "1") button.textContent = button.dataset.label;
  button.dataset.armed = "";
}

// ---- screens ----------------------------------------------------------------

export const SCREENS = ["tokens", "integrations", "team", "import", "audit", "settings"];
const ALL_SECTIONS = ["create", "unlock", ...SCREENS];

// What a module does when the screen changes (the drawer closes, typed passphrases
// are cleared): registered by that module, so this one needs none of them.
const showListeners = [];
export function onShow(fn) {
  showListeners.push(fn);
}

// Shows one section (null: none) and the bar's buttons that go with it.
export function show(section) {
  for (const id of ALL_SECTIONS) $(id).hidden = id !== section;
  const inside = SCREENS.includes(section);
  $("lock-btn").hidden = !inside;
  $("nav").hidden = !inside;
  for (const b of document.querySelectorAll("#nav button")) {
    b.setAttribute("aria-current", b.dataset.screen === section ? "page" : "false");
  }
  for (const fn of showListeners) fn(section);
}

// The section on screen, or null.
export function shown() {
  return ALL_SECTIONS.find((id) => !$(id).hidden) ?? null;
}

// ---- desktop conventions -------------------------------------------------------

// The platform's modifier: Cmd on macOS, Ctrl elsewhere, in the keys and their labels.
export const isMac = /mac/i.test(navigator.userAgentData?.platform ?? navigator.platform);
export const modKey = (e) => (isMac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey);
// "N" → "⌘N" on macOS, "Ctrl+N" elsewhere; `aria` gives the aria-keyshortcuts form.
export const shortcut = (key, aria = false) =>
  aria ? `${isMac ? "Meta" : "Control"}+${key}` : isMac ? `⌘${key}` : `Ctrl+${key}`;

// Every element marked data-shortcut="N" says its shortcut in its title and to
// assistive technology, in this platform's words.
export function labelShortcuts() {
  for (const e of document.querySelectorAll("[data-shortcut]")) {
    const key = e.dataset.shortcut;
    e.title = `${e.dataset.shortcutLabel || e.textContent.trim()} (${shortcut(key)})`;
    e.setAttribute("aria-keyshortcuts", shortcut(key, true));
  }
}

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

// What Tab may reach inside `root`: enabled, shown, not taken out of the order.
export function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter(
    (e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && !e.closest("[hidden]")
  );
}

// The dialog on top, if one is open.
const topDialog = () => [...document.querySelectorAll("dialog[open]")].pop() ?? null;

// A dialog is busy while its action runs (its submit button disabled): Escape does
// not close it then, or the answer would land in a dialog no longer shown.
const busy = (d) => d.querySelector("form > .row button:not([value=cancel]):not([hidden]):disabled") !== null;

// Where Tab goes from `from` among `items` (in document order), cycling; from
// something outside the order (a scroll box, the dialog itself), on from where it is.
function nextFocus(items, from, back) {
  const n = items.length;
  const i = items.indexOf(from);
  if (i === -1) {
    const after = items.findIndex((e) => from.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (after === -1) return back ? items[n - 1] : items[0];
    return back ? items[(after - 1 + n) % n] : items[after];
  }
  return items[(i + (back ? n - 1 : 1)) % n];
}

// Modal dialogs keep Tab inside them and close on Escape, the same on every
// platform's webview (WebKitGTK, WebView2 and WKWebView differ on both), and hand
// focus back to what opened them.
document.addEventListener("keydown", (e) => {
  const d = topDialog();
  if (!d || e.isComposing) return;
  if (e.key === "Escape") {
    e.preventDefault();
    e.stopPropagation();
    if (!busy(d)) d.close("cancel");
  } else if (e.key === "Tab" || e.code === "Tab" || e.keyCode === 9) {
    // Shift+Tab reaches WebKitGTK as ISO_Left_Tab, which some of its paths report
    // with the key "Unidentified": the code and keyCode say Tab in every case.
    e.preventDefault();
    const items = focusables(d);
    if (items.length) nextFocus(items, document.activeElement, e.shiftKey).focus();
  }
}, { capture: true });

const openers = new WeakMap();
const nativeShowModal = HTMLDialogElement.prototype.showModal;
HTMLDialogElement.prototype.showModal = function () {
  openers.set(this, document.activeElement);
  nativeShowModal.call(this);
};
document.addEventListener("close", (e) => {
  const opener = openers.get(e.target);
  openers.delete(e.target);
  if (opener && opener.isConnected && !opener.closest("[hidden]")) opener.focus();
}, { capture: true });
