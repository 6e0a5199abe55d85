// Rotation: one click through the provider's API (each step shown as it happens),
// all the due ones at once, or guided through the provider's dashboard.

import { $, el, say } from "./dom.js";
import { call, attempt, channel, normalise } from "./api.js";
import { loadTokens, rowById } from "./list.js";
import { followTo, currentId, currentDetail } from "./detail.js";

// A fresh progress box, and the channel the core reports each step through (in the
// core's own words).
function progressChannel() {
  const box = $("progress");
  box.hidden = false;
  box.replaceChildren();
  return channel((m) => box.append(el("div", `${m.token}: ${m.text}`, "step " + m.step)));
}

// Lock pressed during a rotation: the vault locked as it ended (and said so).
async function lockedMeanwhile() {
  try {
    return !(await call("vault_status")).unlocked;
  } catch {
    return false;
  }
}

// The token whose plan was just shown (its policy asks first), for the second press.
let askedFirst = null;
let askTimer = null;

export function startRotation(id) {
  // From its row, or from the drawer (its row may be scrolled far from the ones held).
  const row = rowById(id) ?? (currentId() === id ? currentDetail()?.token : null);
  if (!row) return;
  if (row.rotation !== "automatic") return openGuide(id);
  return attempt(async () => {
    let report;
    try {
      report = await call("rotate_token", { id, confirmed: askedFirst === id, onStep: progressChannel() });
    } catch (err) {
      // A token whose policy asks first: its plan is shown, and Rotate again within
      // a minute rotates it.
      if (err.kind !== "asks_first") throw err;
      askedFirst = id;
      clearTimeout(askTimer);
      askTimer = setTimeout(() => { askedFirst = null; }, 60000);
      return say(`${err.message} Press Rotate again to go on.`, "info");
    }
    askedFirst = null;
    if (await lockedMeanwhile()) return;
    followTo(id, report.new_token_id);
    await loadTokens();
    if (report.outcome.kind === "done") say(`${report.token_name} was rotated.`, "info");
    else say(`${report.token_name}: ${report.summary}`, "error");
  });
}

export function rotateDue() {
  return attempt(async () => {
    const rows = await call("rotate_due", { onStep: progressChannel() });
    if (await lockedMeanwhile()) return;
    if (!rows.length) say("No token is due (none expires within a week).", "info");
    else say(rows.map((r) => `${r.token}: ${r.result}`).join(" · "), rows.every((r) => r.done) ? "info" : "error");
    await loadTokens();
  });
}
$("due-btn").addEventListener("click", rotateDue);

// ---- guided, in the provider's dashboard ------------------------------------

let guide = null;            // the rotation the dialog is about (guided_begin's answer)

async function openGuide(id) {
  const g = await attempt(() => call("guided_begin", { id }));
  if (!g) return;
  guide = g;
  $("guide-title").textContent = `Rotate ${guide.token_name} in its dashboard`;
  $("guide-warning").hidden = !guide.warning;
  $("guide-warning").textContent = guide.warning || "";
  $("guide-steps").replaceChildren(...guide.steps.map((s) => el("li", s)));
  $("guide-name").value = guide.proposed_name;
  $("guide-secret").value = "";
  const waiting = guide.step === "promoted";
  $("guide-submit").hidden = waiting;
  $("guide-secret").disabled = waiting;
  $("guide-confirm").hidden = !waiting;
  $("guide-error").hidden = true;
  $("guide-dialog").showModal();
}

function guideNote(text, kind) {
  const p = $("guide-error");
  p.hidden = false;
  p.className = "message " + kind;
  p.textContent = text;
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
      const report = await call("guided_submit", {
        rotationId: guide.rotation_id, secret: $("guide-secret").value, name: $("guide-name").value,
      });
      $("guide-secret").value = "";
      if (report.outcome.kind === "waiting") {
        guide.step = "promoted";
        $("guide-submit").hidden = true;
        $("guide-confirm").hidden = false;
        guideNote("Stored, verified and switched. Now delete the old key in the dashboard, then confirm.", "info");
      } else {
        $("guide-dialog").close();
        say(`${report.token_name} was rotated.`, "info");
      }
    } else if (action === "confirm") {
      await call("guided_confirm", { rotationId: guide.rotation_id, force: false });
      $("guide-dialog").close();
      say(`${guide.token_name}: the old key is retired.`, "info");
    }
    await loadTokens();
  } catch (err) {
    // Shown in the dialog, which stays open to try again.
    guideNote(normalise(err).message, "error");
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
});

// The new secret never outlives the dialog.
$("guide-dialog").addEventListener("close", () => { $("guide-secret").value = ""; });
