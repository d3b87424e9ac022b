// The audit viewer: a record's history (who, role, command, correlation per event), its state
// at a version or a moment, the difference between two versions, an actor's trail, and a run
// of the chain verification. Every view is one /audit read, which the API records as a read.
import { getJson } from "./api.js";
import { clearTable, element, fillTable, say } from "./dom.js";
import { t } from "./i18n.js";

const byId = (id) => document.getElementById(id);
const history = byId("audit-history");
const versions = byId("audit-versions");
const pick = byId("version-pick");
const diffFrom = byId("diff-from");
const diffTo = byId("diff-to");
const stateTitle = byId("audit-state-title");
const stateBox = byId("audit-state");
const diffTable = byId("audit-diff");
const trail = byId("audit-trail");
const verification = byId("audit-verification");

let record = null; // { id, events }

async function guarded(work) {
  say("");
  try {
    await work();
  } catch (error) {
    say(error.message, true);
  }
}

function meta(event, key) {
  return (event.metadata ?? {})[key] ?? "";
}

export async function openRecord(id) {
  byId("audit-id").value = id;
  const body = await getJson(`/audit/streams/${encodeURIComponent(id)}/events`);
  record = { id, events: body.events };
  fillTable(history,
    [t("audit.version"), t("audit.time"), t("audit.type"), t("audit.who"), t("audit.role"), t("audit.command"), t("audit.correlation")],
    body.events.map((e) => [e.version, e.at, e.type, meta(e, "actor_id"), meta(e, "actor_role"),
      meta(e, "command_id"), meta(e, "correlation_id")]));
  history.dataset.record = id;
  for (const select of [pick, diffFrom, diffTo]) {
    select.replaceChildren(...body.events.map((e) => {
      const o = element("option", `${e.version} · ${e.type}`);
      o.value = String(e.version);
      return o;
    }));
  }
  const last = body.events.at(-1)?.version ?? 1;
  pick.value = String(last);
  diffFrom.value = String(Math.max(1, last - 1));
  diffTo.value = String(last);
  versions.hidden = false;
  clearTable(diffTable);
  await showState(`version=${last}`);
}

async function showState(selector) {
  const body = await getJson(`/audit/streams/${encodeURIComponent(record.id)}/state?${selector}`);
  pick.value = String(body.version);
  stateTitle.textContent = t("audit.stateOf", { v: body.version, t: body.produced_by.at });
  stateTitle.hidden = false;
  stateBox.textContent = JSON.stringify(body.state, null, 2);
  stateBox.dataset.version = String(body.version);
  stateBox.hidden = false;
}

function step(by) {
  const versionsList = record.events.map((e) => e.version);
  const index = versionsList.indexOf(Number(pick.value)) + by;
  if (index >= 0 && index < versionsList.length) return showState(`version=${versionsList[index]}`);
  return undefined;
}

async function showAt() {
  const value = byId("state-at").value;
  if (!value) return;
  const at = new Date(value).toISOString();
  await showState(`at=${encodeURIComponent(at)}`);
}

async function showDiff() {
  const body = await getJson(
    `/audit/streams/${encodeURIComponent(record.id)}/diff?from=${diffFrom.value}&to=${diffTo.value}`);
  const rows = Object.entries(body.changes).map(([field, change]) =>
    [field, JSON.stringify(change.from), JSON.stringify(change.to)]);
  fillTable(diffTable, [t("audit.field"), t("audit.before"), t("audit.after")],
    rows.length ? rows : [[t("audit.noChange"), "", ""]]);
}

async function showTrail(actor) {
  const body = await getJson(`/audit/actors/${encodeURIComponent(actor)}/events?limit=200`);
  fillTable(trail, [t("audit.time"), t("audit.stream"), t("audit.type"), t("audit.role"), t("audit.correlation")],
    body.items.map((item) => {
      const open = element("button", item.stream_id);
      open.type = "button";
      open.addEventListener("click", () => guarded(() => openRecord(open.textContent)));
      return [item.occurred_at, open, item.event_type, item.actor_role, item.correlation_id];
    }));
}

async function runVerification() {
  verification.className = "";
  verification.textContent = t("audit.running");
  const body = await getJson("/audit/verify");
  verification.className = body.ok ? "ok" : "error";
  verification.textContent = body.ok
    ? t("audit.ok", { n: body.checked, head: body.head })
    : `${t("audit.failed", { n: body.findings.length })}: ` +
      body.findings.map((f) => `${f.kind} ${f.stream} v${f.version} @${f.position}`).join("; ");
  verification.dataset.ok = String(body.ok);
}

byId("audit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(() => openRecord(byId("audit-id").value.trim()));
});
byId("actor-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guarded(() => showTrail(byId("actor-id").value.trim()));
});
pick.addEventListener("change", () => guarded(() => showState(`version=${pick.value}`)));
byId("version-previous").addEventListener("click", () => guarded(() => step(-1)));
byId("version-next").addEventListener("click", () => guarded(() => step(1)));
byId("state-at-show").addEventListener("click", () => guarded(showAt));
byId("diff-show").addEventListener("click", () => guarded(showDiff));
byId("audit-verify").addEventListener("click", () => guarded(runVerification));
