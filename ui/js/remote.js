// Creating a token through a provider's API, with the scope picker (presets, search,
// the least-privilege warning) and IP chips: offered for the integrations whose
// provider's API can create tokens (the catalog says which).

import { $, say } from "./dom.js";
import { call, attempt, catalog, providerOf, normalise } from "./api.js";
import { loadTokens } from "./list.js";
import { ScopePicker } from "./scopes.js";
import { IpChips } from "./chips.js";

const DEFAULT_DAYS = 90;

let integrations = [];       // those offered, as list_integrations gives them
const picker = new ScopePicker($("remote-scope-picker"));
const ips = new IpChips($("remote-ips"));

const chosen = () => integrations.find((i) => i.label === $("remote-integration").value);

// The title, the scopes and the presets follow the chosen integration's provider;
// its narrowest common preset is chosen to start with.
function showProvider() {
  const p = providerOf(chosen()?.provider_key);
  $("remote-title").textContent = `Create a token in ${p.name}`;
  const first = p.presets[0];
  picker.setProvider(p, first ? [...first.scopes] : [], first?.key ?? null);
  ips.setProvider(p.key);
}

async function openRemote() {
  const list = await attempt(async () => {
    await catalog();
    return call("list_integrations");
  });
  if (!list) return;
  integrations = list.filter((i) => providerOf(i.provider_key).api.create);
  if (!integrations.length) {
    return say("No integration whose API can create tokens yet: try the sandbox, or add one (Integrations).", "error");
  }
  $("remote-form").reset();
  $("remote-integration").replaceChildren(...integrations.map((i) => new Option(i.label, i.label)));
  showProvider();
  ips.set([]);
  const d = new Date(Date.now() + DEFAULT_DAYS * 86400000);
  $("remote-expires").value = d.toISOString().slice(0, 10);
  $("remote-error").hidden = true;
  $("remote-dialog").showModal();
  $("remote-name").focus();
}

$("remote-integration").addEventListener("change", showProvider);
$("create-remote-btn").addEventListener("click", openRemote);

$("remote-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  $("remote-submit").disabled = true;
  try {
    const { preset, scopes } = picker.form();
    const made = await call("create_remote", {
      form: {
        integration: $("remote-integration").value, name: $("remote-name").value,
        preset, scopes, allowed_ips: await ips.value(), expires: $("remote-expires").value,
      },
    });
    $("remote-dialog").close();
    const w = made.advice.warning;
    say(`Created ${made.token.name} in ${made.provider} and stored it.${w ? " Warning: " + w + "." : ""}`, w ? "error" : "info");
    await loadTokens();
    call("check_reminders").catch(() => {});
  } catch (err) {
    // Shown in the dialog, which stays open to correct the form.
    $("remote-error").hidden = false;
    $("remote-error").textContent = normalise(err).message;
  } finally {
    $("remote-submit").disabled = false;
  }
});
