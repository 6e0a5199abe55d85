// Tokenwarden's window. No bundler: Tauri's global API (withGlobalTauri).
// The page never holds a secret except after an explicit Reveal, and then only for a
// few seconds; Copy goes from the core to the clipboard without passing through here.
"use strict";

const T = window.__TAURI__;
const invoke = T.core.invoke;
const $ = (id) => document.getElementById(id);

const REVEAL_SECONDS = 10;
const BUFFER_ROWS = 10;      // drawn above and below the visible ones

let allRows = [];
let shownRows = [];          // filtered and sorted: what the list scrolls through
let rowHeight = 0;           // measured from the first row drawn
let current = null;          // the token shown in the drawer
let revealTimer = null;

const SCREENS = ["tokens", "integrations", "audit", "settings"];

function clearSettingsSecrets() {
  for (const id of ["custody-pass", "custody-pass2", "export-pass", "export-pass2"]) $(id).value = "";
}

function show(section) {
  if (section !== "settings") clearSettingsSecrets();
  for (const id of ["create", "unlock", ...SCREENS]) $(id).hidden = id !== section;
  const inside = SCREENS.includes(section);
  $("lock-btn").hidden = !inside;
  $("nav").hidden = !inside;
  for (const b of document.querySelectorAll("#nav button")) {
    b.setAttribute("aria-current", b.dataset.screen === section ? "page" : "false");
  }
  if (section !== "tokens") closeDetail();
}

// A command's error: a string, or {kind, message} from the commands that can ask for
// more (a proof of the person, a recovery, a moved integration's credential).
function errorText(err) {
  if (err && typeof err === "object" && "message" in err) return err.message;
  return String(err);
}

function say(text, kind) {
  const m = $("message");
  m.textContent = text || "";
  m.className = "message " + (kind || "info");
  m.hidden = !text;
}

function expiryClass(days) {
  if (days === null || days === undefined) return "ok";
  if (days < 0) return "expired";
  if (days < 7) return "soon";
  return "ok";
}

function leftText(days) {
  if (days === null || days === undefined) return "never";
  if (days < 0) return "expired";
  if (days === 0) return "< 1 d";
  return days + " d";
}

// Runs `fn` once the frame with the latest changes has been painted.
function afterPaint(fn) {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const fmt = (iso) => (iso ? dateFmt.format(new Date(iso)) : "never");
const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : "never");

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

function render() {
  const q = $("filter").value.trim().toLowerCase();
  // Revoked tokens are history (their lineage shows in the detail); shown on request.
  const live = $("show-retired").checked ? allRows : allRows.filter((t) => t.state !== "revoked");
  const matching = q ? live.filter((t) => haystack(t).includes(q)) : live;
  shownRows = sorted(matching);
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
  tr.tabIndex = 0;
  tr.setAttribute("aria-rowindex", String(index + 2));
  const cls = expiryClass(t.days_left);
  const rotate = el("button", t.rotation === "automatic" ? "Rotate" : "Rotate…", "small ghost");
  rotate.dataset.rotate = t.id;
  rotate.disabled = t.state !== "current";
  rotate.setAttribute("aria-label", `Rotate ${t.name}`);
  const scopes = el("td", scopesSummary(t.scopes), "scopes");
  scopes.title = t.scopes.join("\n");
  const actions = el("td");
  actions.append(rotate);
  tr.append(
    el("td", t.name, "name"),
    providerCell(t),
    el("td", t.masked_secret, "mono"),
    scopes,
    el("td", fmtDay(t.expires_at)),
    el("td", leftText(t.days_left), "left " + cls),
    el("td", t.state.replace("_", " "), "state " + t.state),
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
  $("rows").replaceChildren(frag);
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

// The first load after an unlock draws the soonest-expiring screenful at once and
// fetches the rest behind it: 10,000 rows take a quarter of a second to cross.
const FIRST_ROWS = 60;
let loadGeneration = 0;
let partial = false;

async function loadTokens() {
  const gen = ++loadGeneration;
  const progressive = allRows.length === 0;
  const rows = await invoke("list_tokens", progressive ? { limit: FIRST_ROWS } : {});
  if (gen !== loadGeneration) return;
  allRows = rows;
  partial = progressive && rows.length === FIRST_ROWS;
  if (SCREENS.every((id) => id === "tokens" || $(id).hidden)) show("tokens");
  render();
  if (current) openDetail(current.id).catch(() => closeDetail());
  if (partial) {
    // After the first screen is painted, not beside it: two cores are not many.
    afterPaint(() => {
      invoke("list_tokens", {}).then((all) => {
        if (gen !== loadGeneration) return;
        allRows = all;
        partial = false;
        render();
      }).catch((err) => say(errorText(err), "error"));
    });
  }
}

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

async function recover(how) {
  try {
    const st = await invoke("recover_vault", { how, passphrase: $("unlock-pass").value || null });
    $("unlock-pass").value = "";
    applyStatus(st);
    await loadTokens();
  } catch (err) {
    say(errorText(err), "error");
    offerRecovery(err && err.kind);
  }
}
$("recover-previous").addEventListener("click", () => recover("restore_previous"));
$("recover-older").addEventListener("click", () => recover("accept_older"));

// ---- proof of the person ---------------------------------------------------
// Exporting the key, adding a recipient, moving the key and weakening the auto-lock
// need it. The first call goes without: a keyring vault then asks the OS (a desktop
// dialog, outside this page); the error says what else is needed, asked here once.

function askProof(err) {
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

async function withProof(call) {
  try {
    return await call(null);
  } catch (err) {
    if (!err || (err.kind !== "reauth_typed" && err.kind !== "reauth_passphrase")) throw err;
    const proof = await askProof(err);
    if (!proof) throw "Cancelled; nothing was changed.";
    return await call(proof);
  }
}

async function refresh() {
  const st = await invoke("vault_status");
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

// ---- detail drawer -------------------------------------------------------

function hideSecret() {
  clearTimeout(revealTimer);
  revealTimer = null;
  const v = $("secret-value");
  v.textContent = current ? current.masked : "";
  v.classList.remove("revealed");
  $("reveal-btn").textContent = "Reveal";
}

function closeDetail() {
  hideSecret();
  $("detail").hidden = true;
  current = null;
}

async function openDetail(id) {
  const d = await invoke("token_detail", { id });
  const t = d.token;
  current = { id: t.id, masked: t.masked_secret, row: t };
  $("detail-title").textContent = t.name;
  const facts = $("detail-facts");
  facts.replaceChildren();
  const fact = (k, v, cls) => facts.append(el("dt", k), el("dd", v, cls));
  fact("Provider", t.provider + (t.integration ? ` · ${t.integration}` : ""));
  fact("State", t.state.replace("_", " "), "state " + t.state);
  fact("Expires", `${fmt(t.expires_at)} (${leftText(t.days_left)})`, "left " + expiryClass(t.days_left));
  fact("Created", fmt(d.created_at));
  fact("Verified", d.last_verified_at ? fmt(d.last_verified_at) : "not yet");
  fact("Rotation", `${t.rotation === "automatic" ? "one click (API)" : "guided (dashboard)"}; policy ${d.policy}`);
  if (d.open_rotation) fact("In progress", `rotation at step ${d.open_rotation.step}`);
  if (d.notes) fact("Notes", d.notes);
  $("policy-mode").value = d.own_policy ? d.own_policy.mode : "";
  $("policy-days").value = d.own_policy && d.own_policy.auto_days ? d.own_policy.auto_days : "";
  $("policy-days").disabled = t.rotation !== "automatic";
  hideSecret();
  $("rotate-btn").disabled = t.state !== "current";
  $("rotate-btn").textContent = t.rotation === "automatic" ? "Rotate" : "Rotate…";

  const scopes = $("detail-scopes");
  scopes.replaceChildren();
  if (!d.scope_groups.length) scopes.append(el("p", "none recorded", "muted"));
  for (const g of d.scope_groups) {
    const p = el("p");
    p.append(el("strong", g.group + ": "), document.createTextNode(g.scopes.join(", ")));
    scopes.append(p);
  }
  $("detail-ips").replaceChildren(el("p", t.allowed_ips.length ? t.allowed_ips.join(", ") : "any", t.allowed_ips.length ? "mono" : "muted"));
  const lineage = $("detail-lineage");
  lineage.replaceChildren();
  if (!d.lineage.length) lineage.append(el("li", "the first of its line", "muted"));
  for (const l of d.lineage) {
    lineage.append(el("li", `${l.relation === "replaced" ? "replaced" : "replaced by"} ${l.name} (${l.state.replace("_", " ")}, ${fmt(l.created_at)})`));
  }
  const audit = $("detail-audit");
  audit.replaceChildren();
  for (const e of d.audit.slice().reverse()) audit.append(el("li", `${fmt(e.at)} · ${e.action} · ${e.actor}`));
  $("detail").hidden = false;
}

$("rows").addEventListener("click", (e) => {
  const rot = e.target.closest("button[data-rotate]");
  if (rot) return startRotation(rot.dataset.rotate);
  const tr = e.target.closest("tr[data-id]");
  if (tr) openDetail(tr.dataset.id).catch((err) => say(errorText(err), "error"));
});
$("rows").addEventListener("keydown", (e) => {
  const tr = e.target.closest("tr[data-id]");
  if (tr && e.key === "Enter") openDetail(tr.dataset.id).catch((err) => say(errorText(err), "error"));
});
$("detail-close").addEventListener("click", closeDetail);

$("reveal-btn").addEventListener("click", async () => {
  if (!current) return;
  if (revealTimer) return hideSecret();
  const id = current.id;
  try {
    const s = await invoke("reveal_secret", { id });
    // Another token opened meanwhile: this secret is not its.
    if (!current || current.id !== id) return;
    const v = $("secret-value");
    v.textContent = s;
    v.classList.add("revealed");
    $("reveal-btn").textContent = "Hide";
    revealTimer = setTimeout(hideSecret, REVEAL_SECONDS * 1000);
  } catch (err) {
    say(errorText(err), "error");
  }
});

$("copy-btn").addEventListener("click", async () => {
  if (!current) return;
  try {
    const secs = await invoke("copy_secret", { id: current.id });
    say(`Copied. The clipboard is cleared in ${secs} s if it still holds the secret.`, "info");
  } catch (err) {
    say(errorText(err), "error");
  }
});

$("rotate-btn").addEventListener("click", () => current && startRotation(current.id));

$("policy-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!current) return;
  const mode = $("policy-mode").value || null;
  const days = $("policy-days").value ? Number($("policy-days").value) : null;
  try {
    await invoke("set_token_policy", { id: current.id, mode, autoDays: mode ? days : null });
    say(mode ? "Rotation policy set." : "The token follows its integration's policy again.", "info");
    await openDetail(current.id);
  } catch (err) {
    say(errorText(err), "error");
  }
});

// ---- rotation ------------------------------------------------------------

const STEP_TEXT = {
  planned: "planned", created: "created at the provider", stored: "stored (pending)",
  verified: "verified", promoted: "switched to the new token", revoked: "old token revoked",
  done: "done", abandoned: "abandoned",
};

function progressChannel() {
  const box = $("progress");
  box.hidden = false;
  box.replaceChildren();
  const ch = new T.core.Channel();
  ch.onmessage = (m) => {
    box.append(el("div", `${m.token}: ${STEP_TEXT[m.step] || m.step}`, "step " + m.step));
  };
  return ch;
}

async function lockedMeanwhile() {
  try {
    return !(await invoke("vault_status")).unlocked;
  } catch (_) {
    return false;
  }
}

async function startRotation(id) {
  const row = allRows.find((r) => r.id === id);
  if (!row) return;
  if (row.rotation !== "automatic") return openGuide(id);
  try {
    const report = await invoke("rotate_token", { id, onStep: progressChannel() });
    // Lock pressed meanwhile: the vault locked as the rotation ended (it said so).
    if (await lockedMeanwhile()) return;
    // The drawer follows the token to its replacement.
    if (current && current.id === id && report.new_token_id) current = { id: report.new_token_id };
    await loadTokens();
    if (report.outcome.kind === "done") say(`${report.token_name} was rotated.`, "info");
    else say(`${report.token_name}: ${report.outcome.error || report.outcome.reason || report.outcome.kind}`, "error");
  } catch (err) {
    say(errorText(err), "error");
  }
}

$("due-btn").addEventListener("click", rotateDue);
async function rotateDue() {
  try {
    const rows = await invoke("rotate_due", { onStep: progressChannel() });
    if (await lockedMeanwhile()) return;
    if (!rows.length) say("No token is due (none expires within a week).", "info");
    else say(rows.map((r) => `${r.token}: ${r.result}`).join(" · "), rows.every((r) => r.done) ? "info" : "error");
    await loadTokens();
  } catch (err) {
    say(errorText(err), "error");
  }
}

let guide = null;
async function openGuide(id) {
  try {
    guide = await invoke("guided_begin", { id });
  } catch (err) {
    return say(errorText(err), "error");
  }
  $("guide-title").textContent = `Rotate ${guide.token_name} in its dashboard`;
  $("guide-warning").hidden = !guide.warning;
  $("guide-warning").textContent = guide.warning || "";
  const ol = $("guide-steps");
  ol.replaceChildren(...guide.steps.map((s) => el("li", s)));
  $("guide-name").value = guide.proposed_name;
  $("guide-secret").value = "";
  const waiting = guide.step === "promoted";
  $("guide-submit").hidden = waiting;
  $("guide-secret").disabled = waiting;
  $("guide-confirm").hidden = !waiting;
  $("guide-error").hidden = true;
  $("guide-dialog").showModal();
}

$("guide-form").addEventListener("submit", async (e) => {
  const action = e.submitter && e.submitter.value;
  if (action === "cancel") return;
  e.preventDefault();
  const buttons = [$("guide-submit"), $("guide-confirm")];
  if (buttons.some((b) => b.disabled)) return;
  buttons.forEach((b) => (b.disabled = true));
  try {
    if (action === "submit") {
      const report = await invoke("guided_submit", {
        rotationId: guide.rotation_id, secret: $("guide-secret").value, name: $("guide-name").value,
      });
      $("guide-secret").value = "";
      if (report.outcome.kind === "waiting") {
        guide.step = "promoted";
        $("guide-submit").hidden = true;
        $("guide-confirm").hidden = false;
        $("guide-error").hidden = false;
        $("guide-error").className = "message info";
        $("guide-error").textContent = "Stored, verified and switched. Now delete the old key in the dashboard, then confirm.";
      } else {
        $("guide-dialog").close();
        say(`${report.token_name} was rotated.`, "info");
      }
    } else if (action === "confirm") {
      await invoke("guided_confirm", { rotationId: guide.rotation_id, force: false });
      $("guide-dialog").close();
      say(`${guide.token_name}: the old key is retired.`, "info");
    }
    await loadTokens();
  } catch (err) {
    $("guide-error").hidden = false;
    $("guide-error").className = "message error";
    $("guide-error").textContent = errorText(err);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
});

// ---- add -----------------------------------------------------------------

function openAdd() {
  $("add-form").reset();
  $("add-error").hidden = true;
  $("add-dialog").showModal();
  $("add-name").focus();
}
$("add-btn").addEventListener("click", openAdd);
$("add-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const words = (v) => v.split(/[\s,]+/).filter(Boolean);
  try {
    const row = await invoke("add_token", {
      form: {
        provider: $("add-provider").value, name: $("add-name").value,
        secret: $("add-secret").value, scopes: words($("add-scopes").value),
        allowed_ips: words($("add-ips").value), expires: $("add-expires").value,
        notes: $("add-notes").value,
      },
    });
    $("add-secret").value = "";
    $("add-dialog").close();
    say(`Added ${row.name}.`, "info");
    await loadTokens();
    invoke("check_reminders");
  } catch (err) {
    $("add-error").hidden = false;
    $("add-error").textContent = errorText(err);
  }
});

// ---- create through GoodAccess ------------------------------------------

let presets = [];
async function openRemote() {
  let opts;
  try {
    opts = await invoke("create_options");
  } catch (err) {
    return say(errorText(err), "error");
  }
  if (!opts.integrations.length) {
    return say("No GoodAccess integration yet: try the sandbox, or add one with `tw integration add`.", "error");
  }
  presets = opts.presets;
  $("remote-integration").replaceChildren(...opts.integrations.map((l) => new Option(l, l)));
  $("remote-preset").replaceChildren(new Option("(none)", ""), ...presets.map(([k, title]) => new Option(title, k)));
  $("remote-preset").value = "logging";
  showPresetScopes();
  $("remote-form").reset();
  $("remote-preset").value = "logging";
  showPresetScopes();
  const d = new Date(Date.now() + 90 * 86400000);
  $("remote-expires").value = d.toISOString().slice(0, 10);
  $("remote-error").hidden = true;
  $("remote-dialog").showModal();
  $("remote-name").focus();
}
function showPresetScopes() {
  const p = presets.find(([k]) => k === $("remote-preset").value);
  $("remote-preset-scopes").textContent = p ? p[2].join(", ") : "no preset: list every scope below";
}
$("remote-preset").addEventListener("change", showPresetScopes);
$("create-remote-btn").addEventListener("click", openRemote);
$("remote-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const words = (v) => v.split(/[\s,]+/).filter(Boolean);
  $("remote-submit").disabled = true;
  try {
    const made = await invoke("create_remote", {
      form: {
        integration: $("remote-integration").value, name: $("remote-name").value,
        preset: $("remote-preset").value || null, scopes: words($("remote-scopes").value),
        allowed_ips: words($("remote-ips").value), expires: $("remote-expires").value,
      },
    });
    $("remote-dialog").close();
    const warn = made.warnings.length ? ` Least privilege: ${made.warnings.join(", ")} beyond the preset.` : "";
    say(`Created ${made.token.name} in GoodAccess and stored it.${warn}`, made.warnings.length ? "error" : "info");
    await loadTokens();
    invoke("check_reminders");
  } catch (err) {
    $("remote-error").hidden = false;
    $("remote-error").textContent = errorText(err);
  } finally {
    $("remote-submit").disabled = false;
  }
});

// ---- audit, sandbox, lock --------------------------------------------------

async function showAudit() {
  try {
    const a = await invoke("audit_log");
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
  } catch (err) {
    say(errorText(err), "error");
  }
}
$("audit-close").addEventListener("click", () => show("tokens"));

// ---- integrations ----------------------------------------------------------

async function showIntegrations() {
  let list;
  try {
    list = await invoke("list_integrations");
  } catch (err) {
    return say(errorText(err), "error");
  }
  const frag = document.createDocumentFragment();
  for (const i of list) {
    const tr = el("tr");
    const days = el("input");
    days.value = i.reminder_days || "";
    days.placeholder = "30,7,1,0";
    days.setAttribute("aria-label", `Reminder days for ${i.label}`);
    days.className = "days";
    days.addEventListener("change", async () => {
      try {
        await invoke("set_integration_reminders", { id: i.id, days: days.value });
        say(`Reminders of ${i.label}: ${days.value || "the defaults"}.`, "info");
      } catch (err) {
        say(errorText(err), "error");
      }
    });
    const daysCell = el("td");
    daysCell.append(days);
    const actions = el("td");
    if (i.api) {
      const verify = el("button", "Verify", "small ghost");
      verify.addEventListener("click", async () => {
        try {
          say(await invoke("verify_integration", { id: i.id }), "info");
        } catch (err) {
          say(errorText(err), "error");
        }
      });
      const rec = el("button", "Reconcile", "small ghost");
      rec.dataset.reconcile = i.id;
      rec.addEventListener("click", () => reconcile(i));
      actions.append(verify, rec);
    }
    const edit = el("button", "Edit", "small ghost");
    edit.dataset.edit = i.id;
    edit.addEventListener("click", () => openIntegration(i.id));
    const remove = el("button", "Remove", "small ghost");
    remove.addEventListener("click", async () => {
      // Two clicks: the first arms the button (no modal confirm in a webview).
      if (remove.dataset.armed !== "1") {
        remove.dataset.armed = "1";
        remove.textContent = "Remove? Click again";
        setTimeout(() => { remove.dataset.armed = ""; remove.textContent = "Remove"; }, 4000);
        return;
      }
      try {
        say(await invoke("remove_integration", { id: i.id }), "info");
        showIntegrations();
      } catch (err) {
        say(errorText(err), "error");
      }
    });
    actions.append(edit, remove);
    const label = el("td", i.label, "name");
    if (i.base_url) label.append(el("div", i.base_url, "muted small"));
    tr.append(label, el("td", i.provider), el("td", i.managing_token || "—"),
      el("td", String(i.tokens)), daysCell, actions);
    frag.append(tr);
  }
  $("integration-rows").replaceChildren(frag);
  $("reconcile").hidden = true;
  show("integrations");
}

let editing = null;   // the integration id in the dialog, or null to add
function integrationFields() {
  const ga = $("int-provider").value === "goodaccess";
  $("int-ga").hidden = !ga || editing !== null;
  $("int-verify").hidden = ga;
  $("int-policy").hidden = editing === null;
}

// An edit that moves calls to another host: the credential follows only if given again.
function askMove(err) {
  $("int-move").hidden = false;
  $("int-move-text").textContent = err.message;
  $("int-move-credential-label").hidden = err.kind !== "endpoint_credential";
  $("int-move-host-label").hidden = err.kind !== "endpoint_confirm";
  (err.kind === "endpoint_credential" ? $("int-move-credential") : $("int-move-host")).focus();
}
$("int-provider").addEventListener("change", integrationFields);

async function openIntegration(id) {
  $("integration-form").reset();
  $("integration-error").hidden = true;
  $("int-move").hidden = true;
  editing = id || null;
  $("int-provider").disabled = editing !== null;
  $("integration-title").textContent = editing ? "Edit the integration" : "Add an integration";
  $("integration-submit").textContent = editing ? "Save" : "Add";
  if (editing) {
    try {
      const v = await invoke("integration_view", { id });
      $("int-provider").value = v.provider;
      $("int-label").value = v.label;
      $("int-base").value = v.base_url || "";
      $("int-verify-url").value = v.verify_url || "";
      $("int-header").value = v.header || "";
      $("int-scheme").value = v.scheme || "";
      $("int-status").value = v.expected_status || "";
      $("int-policy-mode").value = v.policy_mode || "";
      $("int-policy-days").value = v.policy_auto_days || "";
    } catch (err) {
      return say(errorText(err), "error");
    }
  }
  integrationFields();
  $("integration-dialog").showModal();
  $("int-label").focus();
}
$("integration-add-btn").addEventListener("click", () => openIntegration(null));

$("integration-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const words = (v) => v.split(/[\s,]+/).filter(Boolean);
  const opt = (v) => (v.trim() ? v.trim() : null);
  const form = {
    provider: $("int-provider").value, label: $("int-label").value,
    base_url: opt($("int-base").value), verify_url: opt($("int-verify-url").value),
    header: opt($("int-header").value), scheme: opt($("int-scheme").value),
    expected_status: $("int-status").value ? Number($("int-status").value) : null,
    scopes: words($("int-scopes").value), expires: opt($("int-expires").value),
  };
  $("integration-submit").disabled = true;
  try {
    let msg;
    if (editing) {
      const mode = $("int-policy-mode").value || null;
      const days = $("int-policy-days").value ? Number($("int-policy-days").value) : null;
      msg = await invoke("edit_integration", {
        id: editing, form, policyMode: mode, policyAutoDays: mode ? days : null,
        credential: $("int-move-credential").value || null,
        confirmHost: $("int-move-host").value || null,
      });
    } else {
      msg = await invoke("add_integration", { form, credential: $("int-credential").value || null });
    }
    $("int-credential").value = "";
    $("int-move-credential").value = "";
    $("integration-dialog").close();
    say(msg, "info");
    showIntegrations();
  } catch (err) {
    if (err && (err.kind === "endpoint_credential" || err.kind === "endpoint_confirm")) {
      askMove(err);
    } else {
      $("integration-error").hidden = false;
      $("integration-error").textContent = errorText(err);
    }
  } finally {
    $("integration-submit").disabled = false;
  }
});

async function reconcile(i) {
  const box = $("reconcile");
  box.hidden = false;
  box.replaceChildren(el("div", `Reconciling ${i.label}…`));
  try {
    const r = await invoke("reconcile_integration", { id: i.id });
    const lines = [el("div", `${i.label}: ${r.matched} tokens match.`, "step done")];
    for (const u of r.unmanaged) lines.push(el("div", `unmanaged: ${u.name} — made outside Tokenwarden; its secret is unknown here`, "unmanaged"));
    for (const v of r.vanished) lines.push(el("div", `vanished: ${v.name} — no longer listed by the provider`));
    for (const d of r.drifted) lines.push(el("div", `differs: ${d.token.name} — ${d.fields.join(", ")}`));
    box.replaceChildren(...lines);
  } catch (err) {
    box.replaceChildren(el("div", errorText(err), "left expired"));
  }
}

// ---- settings --------------------------------------------------------------

function fillSettings(st) {
  $("set-autolock").value = st.auto_lock_minutes;
  $("set-leads").value = st.reminder_lead_days.join(", ");
  $("set-autostart").checked = st.autostart;
  const keyring = st.custody === "keyring";
  $("set-custody").textContent = keyring
    ? "The vault key is in the OS keyring: the vault opens without a passphrase while you are logged in."
    : "The vault key is in a file beside the vault, behind your passphrase.";
  $("custody-keyring").hidden = keyring;
  $("custody-passphrase").textContent = keyring ? "Keep the key behind this passphrase instead" : "Change the passphrase";
  const list = $("recipient-list");
  list.replaceChildren();
  const own = el("li");
  own.append(el("code", st.vault_recipient, "mono"), el("span", "the vault key", "muted"));
  list.append(own);
  for (const r of st.recipients) {
    const li = el("li");
    const rm = el("button", "Remove", "small ghost");
    rm.addEventListener("click", async () => {
      try {
        fillSettings(await invoke("remove_recipient", { recipient: r.recipient }));
        say(`Removed ${r.label || r.recipient}. Copies of the vault it could read before stay readable to it.`, "info");
      } catch (err) {
        say(errorText(err), "error");
      }
    });
    li.append(el("code", r.recipient, "mono"), el("span", r.label, "muted"), rm);
    list.append(li);
  }
  if (!$("export-path").value) $("export-path").value = st.export_path;
}

async function showSettings() {
  try {
    fillSettings(await invoke("get_settings"));
    show("settings");
  } catch (err) {
    say(errorText(err), "error");
  }
}
$("settings-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    fillSettings(await withProof((proof) => invoke("set_settings", {
      autoLockMinutes: Number($("set-autolock").value),
      reminderDays: $("set-leads").value,
      autostart: $("set-autostart").checked,
      proof,
    })));
    say("Settings saved.", "info");
  } catch (err) {
    say(errorText(err), "error");
  }
});

$("custody-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const to = e.submitter && e.submitter.value;
  const pass = $("custody-pass").value;
  if (to === "passphrase" && (!pass || pass !== $("custody-pass2").value)) {
    return say(pass ? "The two passphrases differ." : "Type the new passphrase twice.", "error");
  }
  try {
    const notice = await withProof((proof) => invoke("change_custody", { to, passphrase: to === "passphrase" ? pass : null, proof }));
    say(notice, "info");
    await showSettings();
  } catch (err) {
    say(errorText(err), "error");
  } finally {
    $("custody-pass").value = "";
    $("custody-pass2").value = "";
  }
});

$("recipient-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    fillSettings(await withProof((proof) => invoke("add_recipient", { recipient: $("recipient-key").value, label: $("recipient-label").value, proof })));
    say("The vault is now also encrypted to that key.", "info");
    $("recipient-form").reset();
  } catch (err) {
    say(errorText(err), "error");
  }
});

$("export-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const clear = $("export-clear").checked;
  const pass = $("export-pass").value;
  if (!clear && (!pass || pass !== $("export-pass2").value)) {
    return say(pass ? "The two passphrases differ." : "Type a passphrase for the file twice, or choose clear text.", "error");
  }
  $("export-btn").disabled = true;
  try {
    say(await withProof((proof) => invoke("export_identity", { path: $("export-path").value, passphrase: clear ? null : pass, clearText: clear, proof })), "info");
  } catch (err) {
    say(errorText(err), "error");
  } finally {
    $("export-pass").value = "";
    $("export-pass2").value = "";
    $("export-btn").disabled = false;
  }
});

$("nav").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-screen]");
  if (!b) return;
  const screen = b.dataset.screen;
  if (screen === "tokens") loadTokens().then(() => show("tokens")).catch((err) => say(errorText(err), "error"));
  else if (screen === "integrations") showIntegrations();
  else if (screen === "audit") showAudit();
  else if (screen === "settings") showSettings();
});

// Activity, for the auto-lock (at most one call in 30 s).
let lastTouch = 0;
function activity() {
  const now = Date.now();
  if (now - lastTouch > 30000) {
    lastTouch = now;
    invoke("touch").catch(() => {});
  }
}
document.addEventListener("keydown", activity, { capture: true });
document.addEventListener("pointerdown", activity, { capture: true });

$("sandbox-btn").addEventListener("click", async () => {
  try {
    applyStatus(await invoke("start_sandbox"));
    await loadTokens();
  } catch (err) {
    say(errorText(err), "error");
  }
});

function forgetRows() {
  loadGeneration++;          // a list still on its way is dropped when it lands
  partial = false;
  allRows = [];
}

$("lock-btn").addEventListener("click", async () => {
  const st = await invoke("lock_vault");
  if (st.unlocked) {
    // A rotation is under way: the vault locks as soon as it ends (the "locked" event).
    return say(st.notice, "info");
  }
  forgetRows();
  render();
  say("Locked.", "info");
  refresh();
});

$("unlock-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    applyStatus(await invoke("unlock", { passphrase: $("unlock-pass").value || "" }));
    $("unlock-pass").value = "";
    say("");
    await loadTokens();
  } catch (err) {
    say(errorText(err), "error");
    offerRecovery(err && err.kind);
  }
});

$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("create-btn").disabled = true;
  try {
    const st = await invoke("create_vault", { passphrase: $("create-pass").value || null });
    $("create-pass").value = "";
    applyStatus(st);
    await loadTokens();
  } catch (err) {
    say(errorText(err), "error");
  } finally {
    $("create-btn").disabled = false;
  }
});

// A new filter, sort or revoked choice shows its list from the top.
function renderFromTop() {
  $("list-wrap").scrollTop = 0;
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

// Keyboard: the platform's modifier (Cmd on macOS, Ctrl elsewhere).
const isMac = navigator.platform.toUpperCase().includes("MAC");
document.addEventListener("keydown", (e) => {
  const mod = isMac ? e.metaKey : e.ctrlKey;
  if (mod && e.key.toLowerCase() === "f" && !$("tokens").hidden) {
    e.preventDefault();
    $("filter").focus();
  } else if (mod && e.key.toLowerCase() === "n" && !$("tokens").hidden) {
    e.preventDefault();
    openAdd();
  } else if (e.key === "Escape" && !$("detail").hidden) {
    closeDetail();
  }
});

// From the tray and the core.
T.event.listen("open-token", (e) => openDetail(e.payload).catch((err) => say(errorText(err), "error")));
T.event.listen("tray-rotate-due", () => rotateDue());
T.event.listen("locked", (e) => {
  const why = {
    idle: "Locked after the idle time set in Settings.",
    after_rotation: "Locked: the rotation that was running has ended.",
  };
  say(why[e.payload] || "Locked.", "info");
  for (const d of document.querySelectorAll("dialog[open]")) d.close();
  clearSettingsSecrets();
  forgetRows();
  render();
  refresh();
});
T.event.listen("vault-changed", () => { if (!$("tokens").hidden) loadTokens().catch(() => {}); });

// A dialog's secret never outlives it.
for (const [dialog, field] of [["add-dialog", "add-secret"], ["guide-dialog", "guide-secret"], ["integration-dialog", "int-credential"], ["integration-dialog", "int-move-credential"]]) {
  $(dialog).addEventListener("close", () => { $(field).value = ""; });
}

// Tell the app once the first screen is drawn (its log and the launch benchmark).
function reportReady() {
  const screen = ["create", "unlock", ...SCREENS].find((id) => !$(id).hidden) || "none";
  afterPaint(() => invoke("ui_ready", { screen }).catch(() => {}));
}
refresh().catch((err) => say(errorText(err), "error")).finally(reportReady);
