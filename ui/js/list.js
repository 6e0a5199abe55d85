// The token list: filter, sort, revoked on request, drawn a screenful at a time.

import { $, el, say, mark, fmtDay, afterPaint, expiryClass, leftText, stateText, show, SCREENS } from "./dom.js";
import { call } from "./api.js";

const BUFFER_ROWS = 10;      // drawn above and below the visible ones
// The page holds a slice of the list, never all of it: the core filters, orders and
// counts (10,000 rows held here cost the web process about 10 MiB), and the page asks
// for the rows it draws and this many around them.
const SLICE_ROWS = 120;

let counts = { matching: 0, shown: 0, total: 0 };
let slice = { offset: 0, rows: [] };   // rows offset .. offset + rows.length of the list
let listGeneration = 0;      // raised by each new list (a reload, filter, order); older answers are dropped
let fetching = null;         // the slice on its way: { generation, promise }
// A row's height before one is measured: style.css's `#rows tr[data-id]` (3.2rem). A
// wrong guess draws the first rows twice.
const ROW_GUESS = 3.2 * (parseFloat(getComputedStyle(document.documentElement).fontSize) || 16);
let rowHeight = 0;           // measured from the first row drawn
const rowH = () => rowHeight || ROW_GUESS;
let firstRows = true;        // no row drawn yet in this window ("drawn": the first ones only)
let focusIndex = 0;          // the row Tab lands on (one tab stop for the whole list)
let focusId = null;          // its token: a reload or a new order keeps the same one

// What else follows a fresh list (the open drawer); registered by those modules.
const loadListeners = [];
export function onListLoaded(fn) {
  loadListeners.push(fn);
}

// A row the page holds (drawn, or near the drawn ones).
export const rowById = (id) => slice.rows.find((r) => r.id === id);
const rowAtIndex = (i) => slice.rows[i - slice.offset];

function query(offset, locate) {
  return {
    filter: $("filter").value.trim(),
    order: $("sort").value,
    include_revoked: $("show-retired").checked,
    offset,
    limit: SLICE_ROWS,
    locate: locate ?? null,
  };
}

// A slice starts a third of itself above the row asked for: scrolling down, the most
// common way, finds its rows already here.
const sliceStart = (index) => Math.max(0, index - Math.floor(SLICE_ROWS / 3));
let lastAsked = { generation: -1, offset: -1 };
const reportError = (err) => say(err.message, "error");

// The slice around row `index` of the list as the controls set it; resolves with the
// answer, or null when a newer list has replaced this one meanwhile.
function fetchAround(index, locate) {
  const generation = listGeneration;
  const offset = sliceStart(index);
  lastAsked = { generation, offset };
  const promise = (async () => {
    try {
      const page = await call("list_tokens", { query: query(offset, locate) });
      if (generation !== listGeneration) return null;
      counts = { matching: page.matching, shown: page.shown, total: page.total };
      slice = { offset: page.offset, rows: page.rows };
      return page;
    } finally {
      if (fetching?.promise === promise) fetching = null;
    }
  })();
  fetching = { generation, promise };
  return promise;
}

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

// The counts, the empty note and the rows, from what the page holds.
function render() {
  const q = $("filter").value.trim();
  focusIndex = Math.min(focusIndex, Math.max(0, counts.matching - 1));
  $("count").textContent = q ? `(${counts.matching} of ${counts.shown})` : `(${counts.shown})`;
  $("empty").hidden = counts.total !== 0;
  $("token-table").setAttribute("aria-rowcount", String(counts.matching + 1));
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
  const h = rowH();
  const n = counts.matching;
  // The first rows a window shows are only those in view: the rows around them
  // follow a frame later, off the launch's critical path.
  const buffer = firstRows ? 0 : BUFFER_ROWS;
  const first = Math.max(0, Math.min(n, Math.floor(wrap.scrollTop / h) - buffer));
  const last = Math.min(n, first + Math.ceil((wrap.clientHeight || 600) / h) + 2 * buffer);
  // Rows not yet here are asked for; the spacers hold their place meanwhile.
  const held = slice.rows.length;
  const asked = lastAsked.generation === listGeneration && lastAsked.offset === sliceStart(first);
  if ((first < slice.offset || last > slice.offset + held) && fetching?.generation !== listGeneration && !asked) {
    fetchAround(first).then((page) => { if (page) paintRows(); }).catch(reportError);
  }
  const from = Math.max(first, Math.min(last, slice.offset));
  const to = Math.min(last, Math.max(from, slice.offset + held));
  const frag = document.createDocumentFragment();
  if (from > 0) frag.append(spacer(from * h));
  for (let i = from; i < to; i++) frag.append(rowElement(rowAtIndex(i), i));
  if (to < n) frag.append(spacer((n - to) * h));
  // Redrawing replaces the rows: the focused one keeps the focus if it is still drawn.
  // When it is scrolled out of the drawn ones, the first drawn row is the tab stop.
  const hadFocus = $("rows").contains(document.activeElement);
  $("rows").replaceChildren(frag);
  if (firstRows === true && to > from) {
    firstRows = "drawn";
    afterPaint(() => { firstRows = false; paintRows(); });
  }
  if (focusIndex < from || focusIndex >= to) {
    const stop = $("rows").querySelector("tr[data-id]");
    if (stop) stop.tabIndex = 0;
  }
  if (hadFocus) rowAt(focusIndex)?.focus({ preventScroll: true });
  if (!rowHeight && to > from) {
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

// Loads the list again where it is scrolled (and shows it unless another screen is
// up): the focused token keeps the focus wherever the change moved it. Rejects with
// the command's error.
export async function loadTokens() {
  listGeneration++;
  const h = rowH();
  const page = await fetchAround(Math.floor($("list-wrap").scrollTop / h), focusId);
  if (!page) return;
  mark("listed");
  if (page.located !== null) focusIndex = page.located;
  if (SCREENS.every((id) => id === "tokens" || $(id).hidden)) show("tokens");
  render();
  mark("rows");
  for (const fn of loadListeners) fn();
}

// Drops the list (the vault locked): one still on its way is dropped when it lands.
export function forgetRows() {
  listGeneration++;
  counts = { matching: 0, shown: 0, total: 0 };
  slice = { offset: 0, rows: [] };
  render();
}

// A new filter, order or revoked choice shows its list from the top; resolves once it
// is drawn (false when a newer one replaced it).
async function renderFromTop() {
  listGeneration++;
  focusIndex = 0;
  focusId = null;
  const page = await fetchAround(0);
  if (!page) return false;
  $("list-wrap").scrollTop = 0;
  render();
  return true;
}

// Each keystroke's time from the key event to the frame after the list was redrawn,
// kept (the last 200) for the benchmark (benches/app.rs) to read.
window.twPerf = { filter: [] };
$("filter").addEventListener("input", (e) => {
  const t0 = e.timeStamp;
  renderFromTop().then((drawn) => {
    if (!drawn) return;
    afterPaint(() => {
      const f = window.twPerf.filter;
      f.push(performance.now() - t0);
      if (f.length > 200) f.shift();
    });
  }, reportError);
});
$("sort").addEventListener("change", () => renderFromTop().catch(reportError));
$("show-retired").addEventListener("change", () => renderFromTop().catch(reportError));

// ---- the keyboard ---------------------------------------------------------------

// The list is one tab stop; the arrows, Page Up/Down, Home and End move between its
// rows (drawn as they come into view), Enter opens one.
const rowAt = (i) => $("rows").querySelector(`tr[aria-rowindex="${i + 2}"]`);

export function focusRow(index, again = false) {
  if (!counts.matching) return;
  focusIndex = Math.max(0, Math.min(counts.matching - 1, index));
  focusId = rowAtIndex(focusIndex)?.id ?? null;
  const wrap = $("list-wrap");
  const h = rowH();
  // Row i spans head + i*h .. head + (i+1)*h of the scrolled content; the sticky
  // header covers the top `head` pixels of the box.
  const head = $("token-table").tHead.getBoundingClientRect().height;
  const top = focusIndex * h;
  if (top < wrap.scrollTop) wrap.scrollTop = top;
  else if (head + top + h > wrap.scrollTop + wrap.clientHeight) wrap.scrollTop = head + top + h - wrap.clientHeight;
  paintRows();
  const tr = rowAt(focusIndex);
  if (!tr) {
    // Not held yet (End in a long list): focused once its slice is here.
    if (again) return;
    const want = focusIndex;
    const landing = fetching?.generation === listGeneration ? fetching.promise : fetchAround(want);
    landing.then((page) => { if (page && focusIndex === want) focusRow(want, true); }).catch(reportError);
    return;
  }
  focusId = tr.dataset.id;
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
  const i = slice.rows.findIndex((r) => r.id === id);
  if (i >= 0) focusRow(slice.offset + i);
}

$("rows").addEventListener("keydown", (e) => {
  const tr = e.target.closest("tr[data-id]");
  if (!tr || e.target !== tr) return;
  const i = Number(tr.getAttribute("aria-rowindex")) - 2;
  const page = Math.max(1, Math.floor($("list-wrap").clientHeight / rowH()) - 1);
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page, Home: 0, End: counts.matching - 1 }[e.key];
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
