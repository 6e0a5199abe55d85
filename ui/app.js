// Tokenwarden's window. No bundler: Tauri's global API (withGlobalTauri).
"use strict";

const invoke = window.__TAURI__.core.invoke;
const $ = (id) => document.getElementById(id);

let allRows = [];

function show(section) {
  for (const id of ["create", "unlock", "tokens"]) $(id).hidden = id !== section;
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
  if (days <= 7) return "soon";
  return "ok";
}

function leftText(days) {
  if (days === null || days === undefined) return "never";
  if (days < 0) return "expired";
  if (days === 0) return "< 1 d";
  return days + " d";
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function scopesCell(scopes) {
  const td = cell(scopes.length ? scopes.join(", ") : "—", "scopes");
  td.title = scopes.join("\n");
  return td;
}

function render() {
  const q = $("filter").value.trim().toLowerCase();
  const rows = q
    ? allRows.filter((t) =>
        (t.name + " " + t.provider + " " + t.scopes.join(" ")).toLowerCase().includes(q))
    : allRows;
  const body = $("rows");
  const frag = document.createDocumentFragment();
  for (const t of rows) {
    const tr = document.createElement("tr");
    tr.dataset.id = t.id;
    const cls = expiryClass(t.days_left);
    tr.append(
      cell(t.name, "name"),
      cell(t.provider),
      cell(t.masked_secret, "mono"),
      scopesCell(t.scopes),
      cell(t.expires_at ? dateFmt.format(new Date(t.expires_at)) : "never"),
      cell(leftText(t.days_left), "left " + cls),
      cell(t.state)
    );
    frag.append(tr);
  }
  body.replaceChildren(frag);
  $("count").textContent = q ? `(${rows.length} of ${allRows.length})` : `(${allRows.length})`;
  $("empty").hidden = allRows.length !== 0;
}

async function loadTokens() {
  allRows = await invoke("list_tokens");
  show("tokens");
  render();
}

async function refresh() {
  const st = await invoke("vault_status");
  $("vault-path").textContent = st.path;
  if (st.problem) say(st.problem, "error");
  if (!st.exists) return show("create");
  if (st.unlocked) return loadTokens();
  if (st.custody === "passphrase") return show("unlock");
  show(null);
}

$("unlock-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await invoke("unlock", { passphrase: $("unlock-pass").value });
    $("unlock-pass").value = "";
    say("");
    await loadTokens();
  } catch (err) {
    say(String(err), "error");
  }
});

$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const st = await invoke("create_vault", { passphrase: $("create-pass").value || null });
    $("create-pass").value = "";
    say(st.problem, "info");
    await loadTokens();
  } catch (err) {
    say(String(err), "error");
  }
});

$("filter").addEventListener("input", render);

refresh().catch((err) => say(String(err), "error"));
