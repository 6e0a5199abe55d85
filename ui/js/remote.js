// Creating a token through a provider's API, with a least-privilege preset: offered
// for the integrations whose provider's API can create tokens (the catalog says which).

import { $, say, words } from "./dom.js";
import { call, attempt, catalog, providerOf, normalise } from "./api.js";
import { loadTokens } from "./list.js";

const DEFAULT_DAYS = 90;

let integrations = [];       // those offered, as list_integrations gives them

const chosen = () => integrations.find((i) => i.label === $("remote-integration").value);

// The title and presets follow the chosen integration's provider.
function showProvider() {
  const p = providerOf(chosen()?.provider_key);
  $("remote-title").textContent = `Create a token in ${p.name}`;
  $("remote-preset").replaceChildren(
    new Option("(none)", ""),
    ...p.presets.map((x) => new Option(x.title, x.key)),
  );
  // The first preset is the provider's narrowest common case.
  $("remote-preset").value = p.presets[0]?.key ?? "";
  showPresetScopes();
}

function showPresetScopes() {
  const preset = providerOf(chosen()?.provider_key).presets.find((x) => x.key === $("remote-preset").value);
  $("remote-preset-scopes").textContent = preset ? preset.scopes.join(", ") : "no preset: list every scope below";
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
  const d = new Date(Date.now() + DEFAULT_DAYS * 86400000);
  $("remote-expires").value = d.toISOString().slice(0, 10);
  $("remote-error").hidden = true;
  $("remote-dialog").showModal();
  $("remote-name").focus();
}

$("remote-integration").addEventListener("change", showProvider);
$("remote-preset").addEventListener("change", showPresetScopes);
$("create-remote-btn").addEventListener("click", openRemote);

$("remote-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  $("remote-submit").disabled = true;
  try {
    const made = await call("create_remote", {
      form: {
        integration: $("remote-integration").value, name: $("remote-name").value,
        preset: $("remote-preset").value || null, scopes: words($("remote-scopes").value),
        allowed_ips: words($("remote-ips").value), expires: $("remote-expires").value,
      },
    });
    $("remote-dialog").close();
    const warn = made.warnings.length ? ` Least privilege: ${made.warnings.join(", ")} beyond the preset.` : "";
    say(`Created ${made.token.name} in ${made.provider} and stored it.${warn}`, made.warnings.length ? "error" : "info");
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
