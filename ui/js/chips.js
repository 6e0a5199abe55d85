// Allowed IPs as chips: each address or CIDR range typed is checked by the core (the
// provider's own limits included) when Enter, a space, a comma or leaving the field
// ends it, and becomes a chip with its own remove button; a bad one stays in the
// field with the core's reason beside it.

import { el } from "./dom.js";
import { call } from "./api.js";

export class IpChips {
  // `box`: the element the chips and the input go in; its id + "-input" names the input.
  constructor(box) {
    this.box = box;
    this.provider = "custom";
    this.values = [];
    this.epoch = 0;
    this.running = 0;
    this.pending = null;
    this.list = el("ul", null, "chip-list");
    this.list.setAttribute("aria-label", "Allowed IPs");
    this.input = el("input");
    this.input.id = box.id + "-input";
    this.input.placeholder = "203.0.113.7 or 10.0.0.0/8, then Enter";
    this.input.autocomplete = "off";
    this.error = el("p", null, "field-error");
    this.error.id = box.id + "-error";
    this.error.hidden = true;
    this.input.setAttribute("aria-describedby", this.error.id);
    box.replaceChildren(this.list, this.input, this.error);
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === "," || e.key === " ") {
        if (this.input.value.trim() === "" && e.key === "Enter") return; // submits the form
        e.preventDefault();
        this.commit();
      } else if (e.key === "Backspace" && this.input.value === "" && this.values.length) {
        this.removeValue(this.values[this.values.length - 1]);
      }
    });
    this.input.addEventListener("blur", () => { if (this.input.value.trim()) this.commit(); });
    this.input.addEventListener("paste", () => setTimeout(() => this.commit(), 0));
  }

  setProvider(key) {
    this.provider = key || "custom";
  }

  set(values) {
    this.values = [...values];
    this.epoch = (this.epoch ?? 0) + 1;
    this.running = 0;
    this.pending = null;
    this.input.value = "";
    this.showError("");
    this.draw();
  }

  // Checks what is typed (several at once when pasted) with the chips already there:
  // the provider may limit how many. The text leaves the field at once, so what is
  // typed while the core answers is kept for the next chip; a refused one comes back
  // with the reason. One check at a time, in the order typed; an answer for a dialog
  // opened again since (`set`) is dropped.
  commit() {
    const typed = this.input.value.split(/[\s,]+/).filter(Boolean);
    if (!typed.length) {
      if (this.running) return this.pending;
      this.showError("");
      return Promise.resolve(true);
    }
    this.input.value = "";
    const epoch = this.epoch;
    this.running += 1;
    this.pending = (this.pending ?? Promise.resolve(true)).then(async () => {
      try {
        const checked = await call("check_ips", { provider: this.provider, ips: [...this.values, ...typed] });
        if (epoch !== this.epoch) return false;
        this.values = [...new Set(checked)];
        this.showError("");
        this.draw();
        return true;
      } catch (err) {
        if (epoch !== this.epoch) return false;
        this.input.value = [typed.join(" "), this.input.value].filter(Boolean).join(" ");
        this.showError(err.message);
        return false;
      } finally {
        if (epoch === this.epoch) this.running -= 1;
      }
    });
    return this.pending;
  }

  // The chips, once what is still typed has been checked (rejects with its reason).
  async value() {
    const ok = await this.commit();
    if (!ok || this.input.value.trim()) {
      throw { kind: "invalid", message: this.error.textContent || "Allowed IPs: finish or remove the address being typed." };
    }
    return [...this.values];
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
    this.input.setAttribute("aria-invalid", text ? "true" : "false");
  }

  // Takes a chip off, after any check under way (which may redraw the chips).
  removeValue(v) {
    const run = () => {
      this.values = this.values.filter((x) => x !== v);
      this.draw();
      this.input.focus();
    };
    if (this.running) this.pending.then(run);
    else run();
  }

  draw() {
    const frag = document.createDocumentFragment();
    this.values.forEach((v) => {
      const li = el("li", null, "chip");
      const x = el("button", "×", "chip-x");
      x.type = "button";
      x.setAttribute("aria-label", `Remove ${v}`);
      x.addEventListener("click", () => this.removeValue(v));
      li.append(el("span", v, "mono"), x);
      frag.append(li);
    });
    this.list.replaceChildren(frag);
    this.list.hidden = !this.values.length;
  }
}
