// The token list: filter, sort, revoked on request, drawn a screenful at a time.

import { $, el, say, fmtDay, afterPaint, expiryClass, leftText, stateText, show, SCREENS } from "./dom.js";
import { call } from "./api.js";

const BUFFER_ROWS = 10;      // drawn above and below the visible ones
// The first load after an unlock draws the soonest-expiring screenful at once and
// fetches the rest behind it: 10,000 rows take a quarter of a second to cross.
const FIRST_ROWS = 60;

let allRows = [];
let shownRows = [];          // filtered and sorted: what the list scrolls through
let rowHeight = 0;           // measured from the first row drawn
let loadGeneration = 0;
let partial = false;
let focusIndex = 0;          // the row Tab lands on (one tab stop for the whole list)
let focusId = null;          // its token: a reload or a new order keeps the same one

// What else follows a fresh list (the open drawer); registered by those modules.
const loadListeners = [];
export function onListLoaded(fn) {
  loadListeners.push(fn);
}

export const rowById = (id) => allRows.find((r) => r.id === id);

function scopesSummary(scopes) {
  if (!scopes.length) return "—";
  if (scopes.length <= 2) return scopes.join(", ");
  return scopes.slice(0, 2).join(", ") + ` +${scopes.length - 2}`;
}

function providerCell(t) {
  const td = el("td", t.provider);
  if (t.integration) td.append(el("div", t.integration, "muted small"));
  return td;
}

function sorted(rows) {
  const by = $("sort").value;
  if (by === "expiry") return rows; // the core lists soonest first
  const key = by === "name" ? (t) => t.name.toLowerCase() : (t) => t.provider + t.name.toLowerCase();
  return rows.slice().sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function haystack(t) {
  // Built once per load, not per keystroke: filtering 10,000 rows is then a scan.
  if (t.hay === undefined) {
    t.hay = (t.name + " " + t.provider + " " + (t.integration || "") + " " + t.scopes.join(" ")).toLowerCase();
  }
  return t.hay;
}

export function render() {
  const q = $("filter").value.trim().toLowerCase();
  // Revoked tokens are history (their lineage shows in the detail); shown on request.
  const live = $("show-retired").checked ? allRows : allRows.filter((t) => t.state !== "revoked");
  const matching = q ? live.filter((t) => haystack(t).includes(q)) : live;
  shownRows = sorted(matching);
  const kept = focusId ? shownRows.findIndex((r) => r.id === focusId) : -1;
  focusIndex = kept >= 0 ? kept : Math.min(focusIndex, Math.max(0, shownRows.length - 1));
  $("count").textContent = partial
    ? "(loading…)"
    : q ? `(${matching.length} of ${live.length})` : `(${live.length})`;
  $("empty").hidden = allRows.length !== 0;
  $("token-table").setAttribute("aria-rowcount", String(shownRows.length + 1));
  paintRows();
}

function rowElement(t, index) {
  const tr = el("tr");
  tr.dataset.id = t.id;
  tr.tabIndex = index === focusIndex ? 0 : -1;
  tr.setAttribute("aria-rowindex", String(index + 2));
  const cls = expiryClass(t.days_left);
  const rotate = el("button", t.rotation === "automatic" ? "Rotate" : "Rotate…", "small ghost");
  rotate.dataset.rotate = t.id;
  rotate.disabled = t.state !== "current";
  rotate.setAttribute("aria-label", `Rotate ${t.name}`);
  // Out of the Tab order: the list is one tab stop (the row's drawer has Rotate too).
  rotate.tabIndex = -1;
  const scopes = el("td", scopesSummary(t.scopes), "scopes");
  scopes.title = t.scopes.join("\n");
  const actions = el("td");
  actions.append(rotate);
  const name = el("td", t.name, "name");
  if (t.team) {
    const badge = el("span", "team", "badge");
    badge.title = "A team token: shared through the team's server";
    name.append(" ", badge);
  }
  tr.append(
    name,
    providerCell(t),
    el("td", t.masked_secret, "mono"),
    scopes,
    el("td", fmtDay(t.expires_at)),
    el("td", leftText(t.days_left), "left " + cls),
    el("td", stateText(t.state), "state " + t.state),
    actions
  );
  return tr;
}

function spacer(height) {
  const tr = el("tr", null, "spacer");
  tr.setAttribute("aria-hidden", "true");
  const td = el("td");
  td.colSpan = 8;
  td.style.height = height + "px";
  tr.append(td);
  return tr;
}

// Only the rows in view (and a few around them) are in the page: filtering or
// scrolling 10,000 tokens redraws a few dozen rows, not thousands.
function paintRows() {
  const wrap = $("list-wrap");
  const top = wrap.getBoundingClientRect().top;
  if (top > 0) wrap.style.maxHeight = Math.max(200, window.innerHeight - top - 16) + "px";
  const h = rowHeight || 44;
  const first = Math.max(0, Math.min(shownRows.length, Math.floor(wrap.scrollTop / h) - BUFFER_ROWS));
  const last = Math.min(shownRows.length, first + Math.ceil((wrap.clientHeight || 600) / h) + 2 * BUFFER_ROWS);
  const frag = document.createDocumentFragment();
  if (first > 0) frag.append(spacer(first * h));
  for (let i = first; i < last; i++) frag.append(rowElement(shownRows[i], i));
  if (last < shownRows.length) frag.append(spacer((shownRows.length - last) * h));
  // Redrawing replaces the rows: the focused one keeps the focus if it is still drawn.
  // When it is scrolled out of the drawn ones, the first drawn row is the tab stop.
  const hadFocus = $("rows").contains(document.activeElement);
  $("rows").replaceChildren(frag);
  if (focusIndex < first || focusIndex >= last) {
    const stop = $("rows").querySelector("tr[data-id]");
    if (stop) stop.tabIndex = 0;
  }
  if (hadFocus) rowAt(focusIndex)?.focus({ preventScroll: true });
  if (!rowHeight && last > first) {
    const measured = $("rows").querySelector("tr[data-id]").getBoundingClientRect().height;
    if (measured > 0) {
      rowHeight = measured;
      if (Math.abs(measured - h) > 1) paintRows();
    }
  }
}

let paintPending = false;
$("list-wrap").addEventListener("scroll", () => {
  if (paintPending) return;
  paintPending = true;
  requestAnimationFrame(() => { paintPending = false; paintRows(); });
});
window.addEventListener("resize", () => { if (!$("tokens").hidden) paintRows(); });

// Loads the list (and shows it unless another screen is up). Rejects with the
// command's error; the rest of a progressive load reports its own.
export async function loadTokens() {
  const gen = ++loadGeneration;
  const progressive = allRows.length === 0;
  const rows = await call("list_tokens", progressive ? { limit: FIRST_ROWS } : {});
  if (gen !== loadGeneration) return;
  allRows = rows;
  partial = progressive && rows.length === FIRST_ROWS;
  if (SCREENS.every((id) => id === "tokens" || $(id).hidden)) show("tokens");
  render();
  for (const fn of loadListeners) fn();
  if (partial) {
    // After the first screen is painted, not beside it: two cores are not many.
    afterPaint(() => {
      call("list_tokens", {}).then((all) => {
        if (gen !== loadGeneration) return;
        allRows = all;
        partial = false;
        render();
      }).catch((err) => say(err.message, "error"));
    });
  }
}

// Drops the list (the vault locked): one still on its way is dropped when it lands.
export function forgetRows() {
  loadGeneration++;
  partial = false;
  allRows = [];
  render();
}

// A new filter, sort or revoked choice shows its list from the top.
function renderFromTop() {
  $("list-wrap").scrollTop = 0;
  focusIndex = 0;
  focusId = null;
  render();
}

// Each keystroke's time from the key event to the frame after the list was redrawn,
// kept (the last 200) for the benchmark (benches/app.rs) to read.
window.twPerf = { filter: [] };
$("filter").addEventListener("input", (e) => {
  const t0 = e.timeStamp;
  renderFromTop();
  afterPaint(() => {
    const f = window.twPerf.filter;
    f.push(performance.now() - t0);
    if (f.length > 200) f.shift();
  });
});
$("sort").addEventListener("change", renderFromTop);
$("show-retired").addEventListener("change", renderFromTop);

// ---- the keyboard ---------------------------------------------------------------

// The list is one tab stop; the arrows, Page Up/Down, Home and End move between its
// rows (drawn as they come into view), Enter opens one.
const rowAt = (i) => $("rows").querySelector(`tr[aria-rowindex="${i + 2}"]`);

export function focusRow(index) {
  if (!shownRows.length) return;
  focusIndex = Math.max(0, Math.min(shownRows.length - 1, index));
  focusId = shownRows[focusIndex].id;
  const wrap = $("list-wrap");
  const h = rowHeight || 44;
  // Row i spans head + i*h .. head + (i+1)*h of the scrolled content; the sticky
  // header covers the top `head` pixels of the box.
  const head = $("token-table").tHead.getBoundingClientRect().height;
  const top = focusIndex * h;
  if (top < wrap.scrollTop) wrap.scrollTop = top;
  else if (head + top + h > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = head + top + h - wrap.clientHeight;
  paintRows();
  const tr = rowAt(focusIndex);
  if (!tr) return;
  // The spacers stand for rows at the measured height; over thousands of rows a
  // fraction of a pixel each adds up, so the drawn row is checked and nudged in.
  const r = tr.getBoundingClientRect();
  const box = wrap.getBoundingClientRect();
  // Whole pixels, rounded away: scrollTop drops fractions.
  if (r.top < box.top + head) wrap.scrollTop -= Math.ceil(box.top + head - r.top);
  else if (r.bottom > box.top + wrap.clientHeight) wrap.scrollTop += Math.ceil(r.bottom - box.top - wrap.clientHeight);
  tr.focus({ preventScroll: true });
}

// Back to the row a person left (the drawer closed), if it is still drawn.
export function focusCurrentRow(id) {
  const i = shownRows.findIndex((r) => r.id === id);
  if (i >= 0) focusRow(i);
}

$("rows").addEventListener("keydown", (e) => {
  const tr = e.target.closest("tr[data-id]");
  if (!tr || e.target !== tr) return;
  const i = Number(tr.getAttribute("aria-rowindex")) - 2;
  const page = Math.max(1, Math.floor($("list-wrap").clientHeight / (rowHeight || 44)) - 1);
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: shownRows.length - 1 }[e.key];
  if (to === undefined) return;
  e.preventDefault();
  focusRow(to);
});
$("rows").addEventListener("focusin", (e) => {
  const tr = e.target.closest("tr[data-id]");
  if (!tr) return;
  for (const r of $("rows").querySelectorAll('tr[tabindex="0"]')) if (r !== tr) r.tabIndex = -1;
  tr.tabIndex = 0;
  focusIndex = Number(tr.getAttribute("aria-rowindex")) - 2;
  focusId = tr.dataset.id;
});
