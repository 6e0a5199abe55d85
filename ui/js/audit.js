// The audit log: every entry newest first as the sentence the core words, the raw
// detail on demand, filters by token and action, whether the hash chain is intact,
// and an export of the whole log as CSV or JSON to a new file.

import { $, el, fmt, say, show, wideRow } from "./dom.js";
import { call, attempt } from "./api.js";

let entries = [];
// Drawn at most (newest first): a years-old log stays quick to open.
const SHOWN_ROWS = 1000;

function fillSelect(select, values, label = (v) => v) {
  const keep = select.value;
  select.replaceChildren(new Option("all", ""), ...values.map((v) => new Option(label(v), v)));
  select.value = values.includes(keep) ? keep : "";
}

function render() {
  const token = $("audit-token").value;
  const action = $("audit-action").value;
  const shown = entries.filter((e) => (!token || e.token_id === token) && (!action || e.action === action));
  const frag = document.createDocumentFragment();
  for (const e of shown.slice(0, SHOWN_ROWS)) {
    const tr = el("tr");
    const what = el("td", e.summary, "summary");
    const detailCell = el("td");
    if (e.detail && e.detail !== "{}") {
      const b = el("button", "Detail", "ghost small");
      b.type = "button";
      b.setAttribute("aria-expanded", "false");
      b.setAttribute("aria-label", `Detail of entry ${e.seq}`);
      b.addEventListener("click", () => {
        const open = b.getAttribute("aria-expanded") === "true";
        b.setAttribute("aria-expanded", String(!open));
        let pre = what.querySelector("pre");
        if (open) return pre?.remove();
        pre = el("pre", pretty(e), "detail mono small");
        what.append(pre);
      });
      detailCell.append(b);
    }
    tr.append(el("td", e.seq), el("td", fmt(e.at)), el("td", e.actor), what, detailCell);
    frag.append(tr);
  }
  if (shown.length > SHOWN_ROWS) {
    frag.append(wideRow(`… and ${shown.length - SHOWN_ROWS} older entries: filter, or export the whole log`, 5));
  }
  $("audit-rows").replaceChildren(frag);
  $("audit-count").textContent = shown.length === entries.length
    ? `${entries.length} entries`
    : `${shown.length} of ${entries.length} entries`;
}

// The stable action key, the token's id and the detail as recorded.
function pretty(e) {
  let detail = e.detail;
  try {
    detail = JSON.stringify(JSON.parse(e.detail), null, 2);
  } catch (_) { /* shown as stored */ }
  return `${e.action}${e.token_id ? " · token " + e.token_id : ""}\n${detail}`;
}

export function showAudit() {
  return attempt(async () => {
    const a = await call("audit_log");
    const v = a.verdict;
    const intact = v.result === "intact";
    $("audit-verdict").textContent = intact
      ? `chain intact: ${v.entries} entries, head ${v.head.slice(0, 16)}…`
      : `BROKEN at entry ${v.seq}: ${v.reason}`;
    $("audit-verdict").className = intact ? "left ok" : "left expired";
    entries = a.entries.slice().reverse();
    const tokens = new Map();
    // An entry may name no token (a log edited by hand, or a future entry kind).
    for (const e of entries) if (e.token_id && !tokens.has(e.token_id)) tokens.set(e.token_id, e.token_name ?? "(no name)");
    const byName = [...tokens.keys()].sort((x, y) => tokens.get(x).localeCompare(tokens.get(y)));
    fillSelect($("audit-token"), byName, (id) => `${tokens.get(id)} (${id.slice(0, 8)})`);
    fillSelect($("audit-action"), [...new Set(entries.map((e) => e.action))].sort());
    if (!$("audit-path").value) $("audit-path").value = a.export_to;
    render();
    show("audit");
  });
}

$("audit-token").addEventListener("change", render);
$("audit-action").addEventListener("change", render);
$("audit-close").addEventListener("click", () => show("tokens"));
$("audit-format").addEventListener("change", () => {
  // The suggested file follows the format.
  const p = $("audit-path");
  p.value = p.value.replace(/\.(csv|json)$/i, "." + $("audit-format").value);
});
$("audit-export").addEventListener("submit", (e) => {
  e.preventDefault();
  attempt(async () => {
    const path = $("audit-path").value;
    const n = await call("audit_export", { path, format: $("audit-format").value });
    say(`Exported ${n} audit entries to ${path}.`, "info");
  });
});
