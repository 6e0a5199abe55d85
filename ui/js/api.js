// The one way to the core: every command goes through `call`, so every failure
// reaches the page in one shape, {kind, message, phrase?}.

import { say } from "./dom.js";

const { core, event } = window.__TAURI__;

// Commands reject with {kind, message, phrase?}; anything else (a plain string, a
// JS Error, an exception in the page's own code) becomes {kind: "error", message}.
export function normalise(err) {
  if (err && typeof err === "object" && typeof err.message === "string") {
    return typeof err.kind === "string" ? err : { kind: "error", message: err.message };
  }
  return { kind: "error", message: String(err) };
}

export async function call(command, args) {
  try {
    return await core.invoke(command, args);
  } catch (err) {
    throw normalise(err);
  }
}

// Runs `fn`; a failure is shown in the status line. Resolves to fn's value, or to
// undefined when it failed (it never rejects, so handlers need no catch).
export async function attempt(fn) {
  try {
    return await fn();
  } catch (err) {
    say(normalise(err).message, "error");
    return undefined;
  }
}

// A channel a command reports progress through.
export function channel(onMessage) {
  const ch = new core.Channel();
  ch.onmessage = onMessage;
  return ch;
}

// An event from the core or the tray.
export const listen = (name, fn) => event.listen(name, fn);

// ---- the provider catalog ---------------------------------------------------
// What each provider kind can do, from the core's own table: the page never names a
// provider itself. Fetched once; a failed fetch is tried again on the next call.

let catalogPromise = null;
let catalogList = [];

export function catalog() {
  catalogPromise ??= call("provider_catalog").then(
    (list) => (catalogList = list),
    (err) => {
      catalogPromise = null;
      throw err;
    },
  );
  return catalogPromise;
}

// A provider's entry by key, once catalog() has resolved. An unknown key (a newer
// vault, or the catalog not loaded) gets an entry that offers nothing.
export function providerOf(key) {
  return catalogList.find((p) => p.key === key) ?? {
    key, name: key, managing_token: false, verify_url: false,
    api: { verify: false, list: false, create: false, revoke: false },
    rotation: "guided_overlap", expiry_in_secret: false, scope_groups: false, presets: [],
  };
}

// Fills a <select> with one option per provider (once: the catalog does not change
// while the app runs).
export function providerOptions(select, text = (p) => p.name) {
  if (select.options.length) return;
  select.replaceChildren(...catalogList.map((p) => new Option(text(p), p.key)));
}
