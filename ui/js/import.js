// The Import screen: another password manager's export, previewed entry by entry
// (names, detected kind, expiry, what is skipped and why; never a secret), then
// imported in one go through the same core actions as `tw import`.

import { $, el, fmtDay, say, show, wideRow } from "./dom.js";
import { call, attempt } from "./api.js";
import { loadTokens } from "./list.js";

// The preview shown, with the file and format it was made from: Import sends its
// fingerprint back, so a file changed since is refused rather than imported unseen.
let previewed = null;

// A preview of 10,000 entries draws its first rows; the summary counts them all.
const SHOWN_ROWS = 500;

function form() {
  return { path: $("import-path").value.trim(), from: $("import-from").value || null };
}

function clear() {
  previewed = null;
  $("import-result").hidden = true;
  $("import-rows").replaceChildren();
}

function render(p) {
  $("import-summary").textContent = `${p.format_name}: ${p.summary}.`;
  const frag = document.createDocumentFragment();
  for (const e of p.entries.slice(0, SHOWN_ROWS)) {
    const tr = el("tr");
    const name = el("td", e.name || "(no name)", "name");
    if (e.origin) name.append(el("div", e.origin, "muted small"));
    const expires = el("td", e.expires_at ? fmtDay(e.expires_at) : "—", e.expired ? "left expired" : "");
    if (e.expiry_from === "token") expires.title = "From the token itself (its exp)";
    const will = e.skip ? el("td", `skip: ${e.skip.reason}`, "dup") : el("td", "import", "left ok");
    tr.append(name, el("td", e.detected ? e.detected.name : "—"), expires, will, el("td", e.at, "muted small"));
    frag.append(tr);
  }
  if (p.entries.length > SHOWN_ROWS) {
    frag.append(wideRow(`… and ${p.entries.length - SHOWN_ROWS} more`, 5));
  }
  $("import-rows").replaceChildren(frag);
  $("import-apply-btn").disabled = p.to_import === 0;
  $("import-apply-btn").textContent = p.to_import === 1 ? "Import 1 token" : `Import ${p.to_import} tokens`;
  $("import-result").hidden = false;
}

export function showImport() {
  show("import");
  $("import-path").focus();
}

$("import-form").addEventListener("submit", (e) => {
  e.preventDefault();
  clear();
  attempt(async () => {
    const f = form();
    const p = await call("import_preview", f);
    // The file or format was changed while the preview was made: not this one's.
    const now = form();
    if (now.path !== f.path || now.from !== f.from) return;
    previewed = { ...f, fingerprint: p.fingerprint };
    render(p);
    say("", "info");
  });
});
// The OS's file chooser; a file chosen is previewed at once.
$("import-choose").addEventListener("click", () => attempt(async () => {
  const path = await call("choose_import_file");
  if (!path) return;
  $("import-path").value = path;
  clear();
  $("import-form").requestSubmit();
}));

// Another file or format: the preview shown no longer says what Import would do.
$("import-path").addEventListener("input", clear);
$("import-from").addEventListener("change", clear);

$("import-apply-btn").addEventListener("click", () => attempt(async () => {
  if (!previewed || $("import-apply-btn").disabled) return;
  $("import-apply-btn").disabled = true;
  let r;
  try {
    r = await call("import_apply", previewed);
  } finally {
    $("import-apply-btn").disabled = false;
  }
  clear();
  $("import-path").value = "";
  say(`${r.summary[0].toUpperCase()}${r.summary.slice(1)}. You can now delete the export file: it holds every secret in clear text.`, "info");
  await loadTokens();
  show("tokens");
}));
