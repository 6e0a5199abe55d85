// The audit log: every entry, newest first, and whether its hash chain is intact.

import { $, el, fmt, show } from "./dom.js";
import { call, attempt } from "./api.js";

export function showAudit() {
  return attempt(async () => {
    const a = await call("audit_log");
    const v = a.verdict;
    const intact = v.result === "intact";
    $("audit-verdict").textContent = intact
      ? `chain intact: ${v.entries} entries, head ${v.head.slice(0, 16)}…`
      : `BROKEN at entry ${v.seq}: ${v.reason}`;
    $("audit-verdict").className = intact ? "left ok" : "left expired";
    const frag = document.createDocumentFragment();
    for (const e of a.entries.slice().reverse()) {
      const tr = el("tr");
      tr.append(el("td", e.seq), el("td", fmt(e.at)), el("td", e.actor), el("td", e.action),
        el("td", e.token_name || "—"), el("td", e.detail === "{}" ? "" : e.detail, "muted small"));
      frag.append(tr);
    }
    $("audit-rows").replaceChildren(frag);
    show("audit");
  });
}

$("audit-close").addEventListener("click", () => show("tokens"));
