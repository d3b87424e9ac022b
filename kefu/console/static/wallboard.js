// The live wallboard: server-sent events from /console/wallboard/stream, each a whole snapshot
// computed once per change for every viewer. Times in state and waits count on here, every
// second, from the moments the snapshot names. When the server has no stream free (503) it
// reads the snapshot every 5 seconds instead.
import { ApiError, getJson, readEvents } from "./api.js";
import { element, fillTable, seconds } from "./dom.js";
import { t } from "./i18n.js";

const live = document.getElementById("wallboard-live");
const today = document.getElementById("wallboard-today");
const queues = document.getElementById("wallboard-queues");
const agents = document.getElementById("wallboard-agents");
const section = document.getElementById("wallboard");

let snapshot = null;
let skew = 0; // server clock − browser clock, from the snapshot's as_of
let mode = "wb.live";
let running = null;
let ticker = null;

function elapsed(moment) {
  return (Date.now() + skew - Date.parse(moment)) / 1000;
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${value}%`;
}

function tile(label, value, key, alert = false) {
  const box = element("div", "", alert ? "tile alert" : "tile");
  box.dataset.key = key;
  box.append(element("div", label), element("div", String(value), "value"));
  return box;
}

function render() {
  if (!snapshot) return;
  const s = snapshot;
  const waiting = s.queues.reduce((n, q) => n + q.waiting, 0);
  today.replaceChildren(
    tile(t("wb.callsWaiting"), waiting, "calls_waiting", waiting > 0),
    tile(t("wb.sl"), percent(s.today.service_level_pct), "service_level_pct"),
    tile(t("wb.abandon"), percent(s.today.abandon_rate_pct), "abandon_rate_pct"),
    tile(t("wb.offered"), s.today.offered, "offered"),
    tile(t("wb.ticketsOverdue"), s.work.tickets_overdue, "tickets_overdue", s.work.tickets_overdue > 0),
    tile(t("wb.ticketsAtRisk"), s.work.tickets_at_risk, "tickets_at_risk"),
    tile(t("wb.complaintsOverdue"), s.work.complaints_overdue, "complaints_overdue", s.work.complaints_overdue > 0),
    tile(t("wb.complaintsAtRisk"), s.work.complaints_at_risk, "complaints_at_risk"),
  );
  const slByQueue = Object.fromEntries(s.today.queues.map((q) => [q.queue, q]));
  const names = [...new Set([...s.queues.map((q) => q.queue), ...Object.keys(slByQueue)])].sort();
  const waitingByQueue = Object.fromEntries(s.queues.map((q) => [q.queue, q]));
  fillTable(queues, [t("wb.queue"), t("wb.waiting"), t("wb.longest"), t("wb.sl"), t("wb.abandon")],
    names.map((name) => {
      const w = waitingByQueue[name];
      const d = slByQueue[name] ?? {};
      return [name || "—", w ? w.waiting : 0, w ? seconds(elapsed(w.oldest_queued_at)) : "—",
        percent(d.service_level_pct), percent(d.abandon_rate_pct)];
    }));
  fillTable(agents, [t("wb.agent"), t("wb.extension"), t("wb.state"), t("wb.inState")],
    s.agents.map((a) => [a.name, a.extension, element("span", t(`state.${a.status}`), `state-${a.status}`),
      seconds(elapsed(a.since))]));
  live.textContent = `${t(mode)} ${new Date(Date.parse(s.as_of) - skew).toLocaleTimeString()}`;
  section.dataset.generation = String(Number(section.dataset.generation || 0) + 1);
}

function accept(data) {
  snapshot = typeof data === "string" ? JSON.parse(data) : data;
  skew = Date.parse(snapshot.as_of) - Date.now();
  render();
}

async function follow(signal) {
  while (!signal.aborted) {
    try {
      mode = "wb.live";
      await readEvents("/console/wallboard/stream", (name, data) => name === "wallboard" && accept(data), signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 503) {
        mode = "wb.polling";
        try {
          accept(await getJson("/console/wallboard"));
        } catch (pollError) {
          live.textContent = pollError.message;
        }
        await pause(5000, signal);
        continue;
      }
      live.textContent = error.message;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return;
    }
    await pause(2000, signal); // the server ended the stream (its lifetime) or it broke
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

export function startWallboard() {
  if (running) return;
  running = new AbortController();
  follow(running.signal);
  ticker = setInterval(render, 1000);
}

export function stopWallboard() {
  running?.abort();
  running = null;
  clearInterval(ticker);
}
