// The scope picker: the provider's documented scopes grouped as it documents them,
// with a search, its least-privilege presets as one click each, each scope's
// description, and the core's least-privilege warning inline. A provider whose scopes
// are free text gets a text field instead. One picker per <fieldset>.

import { el, words } from "./dom.js";
import { call } from "./api.js";

export class ScopePicker {
  constructor(fieldset, { presets = true } = {}) {
    this.root = fieldset;
    this.offerPresets = presets;
    this.provider = null;    // catalog entry
    this.preset = null;      // key of the preset clicked last, while its scopes are all held
    this.extra = [];         // held scopes the catalogue does not list (an older token's)
    this.adviceSeq = 0;
    const id = fieldset.id;
    this.root.replaceChildren();
    this.legend = el("legend", "Scopes");
    this.presetRow = el("div", null, "presets");
    this.presetRow.setAttribute("role", "group");
    this.presetRow.setAttribute("aria-label", "Least-privilege presets");
    this.search = el("input");
    this.search.type = "search";
    this.search.placeholder = "Search scopes";
    this.search.setAttribute("aria-label", "Search scopes");
    this.search.id = `${id}-search`;
    this.list = el("div", null, "scope-list");
    this.list.id = `${id}-list`;
    this.list.tabIndex = -1;
    this.free = el("input");
    this.free.id = `${id}-free`;
    this.free.setAttribute("aria-label", "Scopes, space-separated");
    this.free.placeholder = "space-separated";
    this.summary = el("p", null, "muted small");
    this.summary.setAttribute("aria-live", "polite");
    this.warning = el("p", null, "scope-warning");
    this.warning.setAttribute("role", "status");
    this.warning.hidden = true;
    this.root.append(this.legend, this.presetRow, this.search, this.list, this.free, this.summary, this.warning);
    this.search.addEventListener("input", () => this.filter());
    // Enter in the search would submit the dialog's form.
    this.search.addEventListener("keydown", (e) => { if (e.key === "Enter") e.preventDefault(); });
    this.list.addEventListener("change", () => {
      if (this.preset && !this.presetHeld()) this.preset = null;
      this.changed();
    });
    this.free.addEventListener("input", () => this.changed());
  }

  // Shows the provider's catalogue (entry from provider_catalog), with `held` checked.
  setProvider(provider, held = [], preset = null) {
    this.provider = provider;
    const catalogued = provider.scopes.length > 0;
    this.search.hidden = !catalogued;
    this.list.hidden = !catalogued;
    this.free.hidden = catalogued;
    this.search.value = "";
    this.presetRow.replaceChildren();
    if (this.offerPresets && catalogued) {
      for (const p of provider.presets) {
        const b = el("button", p.title, "ghost small");
        b.type = "button";
        b.dataset.preset = p.key;
        b.title = p.scopes.join(", ");
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", () => this.applyPreset(p.key));
        this.presetRow.append(b);
      }
      const none = el("button", "Clear", "ghost small");
      none.type = "button";
      none.addEventListener("click", () => { this.set([]); this.preset = null; this.changed(); });
      this.presetRow.append(none);
    }
    this.presetRow.hidden = !this.presetRow.childElementCount;
    if (!catalogued) {
      this.free.value = held.join(" ");
      this.changed();
      return;
    }
    const known = new Set(provider.scopes.map((s) => s.name));
    this.extra = held.filter((s) => !known.has(s));
    const groups = new Map();
    for (const s of provider.scopes) {
      if (!groups.has(s.group)) groups.set(s.group, []);
      groups.get(s.group).push(s);
    }
    if (this.extra.length) groups.set("Not in the catalogue", this.extra.map((name) => ({ name, description: "kept as recorded" })));
    const frag = document.createDocumentFragment();
    let n = 0;
    for (const [group, scopes] of groups) {
      const box = el("fieldset", null, "scope-group");
      box.append(el("legend", group));
      for (const s of scopes) {
        const cid = `${this.root.id}-s${n++}`;
        const row = el("div", null, "scope");
        const cb = el("input");
        cb.type = "checkbox";
        cb.id = cid;
        cb.value = s.name;
        const label = el("label");
        label.htmlFor = cid;
        label.append(el("span", s.name, "mono"), el("span", s.description, "muted"));
        row.dataset.hay = (s.name + " " + s.description + " " + group).toLowerCase();
        row.append(cb, label);
        box.append(row);
      }
      frag.append(box);
    }
    this.list.replaceChildren(frag);
    this.set(held);
    this.preset = preset;
    this.changed();
  }

  boxes() {
    return [...this.list.querySelectorAll("input[type=checkbox]")];
  }

  set(scopes) {
    const want = new Set(scopes);
    for (const cb of this.boxes()) cb.checked = want.has(cb.value);
  }

  // The scopes held, in the catalogue's order.
  value() {
    if (this.list.hidden) return words(this.free.value);
    return this.boxes().filter((cb) => cb.checked).map((cb) => cb.value);
  }

  presetHeld() {
    const p = this.provider?.presets.find((x) => x.key === this.preset);
    if (!p) return false;
    const held = new Set(this.value());
    return p.scopes.every((s) => held.has(s));
  }

  // What to send: the preset (while all its scopes are held) and every scope held.
  form() {
    return { preset: this.presetHeld() ? this.preset : null, scopes: this.value() };
  }

  applyPreset(key) {
    const p = this.provider.presets.find((x) => x.key === key);
    this.set(p.scopes);
    this.preset = key;
    this.changed();
  }

  filter() {
    const q = this.search.value.trim().toLowerCase();
    for (const row of this.list.querySelectorAll(".scope")) row.hidden = q !== "" && !row.dataset.hay.includes(q);
    for (const g of this.list.querySelectorAll(".scope-group")) g.hidden = !g.querySelector(".scope:not([hidden])");
  }

  // The summary, the pressed preset, and the core's advice (its wording, its checks).
  async changed() {
    const { preset, scopes } = this.form();
    for (const b of this.presetRow.querySelectorAll("button[data-preset]")) {
      b.setAttribute("aria-pressed", String(b.dataset.preset === preset));
    }
    const title = this.provider?.presets.find((x) => x.key === preset)?.title;
    this.summary.textContent = `${scopes.length} selected` + (title ? `: the preset "${title}"` : "");
    const seq = ++this.adviceSeq;
    let text = "";
    try {
      if (this.provider) {
        const a = await call("scope_advice", { provider: this.provider.key, preset, scopes });
        text = a.warning ? capital(a.warning) + "." : "";
      }
    } catch (err) {
      text = err.message;
    }
    if (seq !== this.adviceSeq) return;
    this.warning.textContent = text;
    this.warning.hidden = !text;
  }
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);
