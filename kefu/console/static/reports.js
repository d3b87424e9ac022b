// Report dashboards: every /reports/* endpoint the API describes, with its periods and
// groupings read from /openapi.json; a chart of one metric, the table of exactly the rows the
// API answered, and the API's own CSV of the same query.
import { download, getJson } from "./api.js";
import { clearChart, drawChart } from "./charts.js";
import { clearTable, fillTable, say } from "./dom.js";
import { t } from "./i18n.js";

const form = document.getElementById("report-form");
const nameSelect = document.getElementById("report-name");
const periodSelect = document.getElementById("report-period");
const groupSelect = document.getElementById("report-group");
const metricSelect = document.getElementById("report-metric");
const chartBox = document.getElementById("report-chart");
const chartNote = document.getElementById("report-chart-note");
const table = document.getElementById("report-table");
const csvButton = document.getElementById("report-csv");
// Columns that are not measures: they label a row, and are never charted.
const LABEL_COLUMNS = new Set(["period", "kind", "id", "opened_at", "channel", "customer_id",
  "category", "priority", "major", "department", "assignee_id", "status", "first_response_at",
  "response_due_at", "resolved_at", "resolution_due_at", "closed_at"]);

let reports = {};
let shown = null; // { query, name, period, body }

function option(select, value, label) {
  const el = document.createElement("option");
  el.value = value;
  el.textContent = label;
  select.append(el);
}

function enumOf(parameters, name) {
  return parameters.find((p) => p.name === name)?.schema?.enum ?? [];
}

function localDate(offsetDays) {
  const day = new Date();
  day.setDate(day.getDate() + offsetDays);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
}

// A date picked here is local midnight in the browser's zone, sent with its offset.
function moment(date) {
  const [y, m, d] = date.split("-").map(Number);
  const local = new Date(y, m - 1, d);
  const offset = -local.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${date}T00:00:00${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

export async function setUpReports() {
  const doc = await (await fetch("/openapi.json")).json();
  reports = {};
  for (const [path, methods] of Object.entries(doc.paths)) {
    const match = /^\/reports\/([a-z_]+)$/.exec(path);
    if (match) reports[match[1]] = methods.get.parameters;
  }
  nameSelect.replaceChildren();
  for (const name of Object.keys(reports)) option(nameSelect, name, t(`reports.${name}`));
  document.getElementById("report-from").value ||= localDate(-29);
  document.getElementById("report-to").value ||= localDate(1);
  choicesFor(nameSelect.value);
}

function choicesFor(name) {
  const parameters = reports[name] ?? [];
  const period = periodSelect.value;
  periodSelect.replaceChildren();
  for (const p of enumOf(parameters, "period")) option(periodSelect, p, t(`period.${p}`));
  if (period) periodSelect.value = period;
  groupSelect.replaceChildren();
  option(groupSelect, "", t("report.none"));
  for (const g of enumOf(parameters, "group_by")) option(groupSelect, g, g);
  periodSelect.disabled = groupSelect.disabled = kindOf(name) !== "periods";
  metricSelect.replaceChildren();
}

// Three kinds of report: with periods (docs/reports.md) it takes moments, a period and a
// grouping; the appraisal takes a month and how many months of trend; the messages report
// takes dates, both inclusive.
function kindOf(name) {
  const parameters = reports[name] ?? [];
  if (enumOf(parameters, "period").length) return "periods";
  return parameters.some((p) => p.name === "month") ? "month" : "dates";
}

function dayBefore(date) {
  const [y, m, d] = date.split("-").map(Number);
  const day = new Date(y, m - 1, d - 1);
  return `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, "0")}-${String(day.getDate()).padStart(2, "0")}`;
}

function query(name) {
  const data = new FormData(form);
  const last = dayBefore(data.get("to"));
  if (kindOf(name) === "dates") return new URLSearchParams({ from: data.get("from"), to: last });
  if (kindOf(name) === "month") {
    const [fy, fm] = data.get("from").split("-").map(Number);
    const [ly, lm] = last.split("-").map(Number);
    const months = Math.min(24, Math.max(1, (ly - fy) * 12 + (lm - fm) + 1));
    return new URLSearchParams({ month: last.slice(0, 7), months: String(months) });
  }
  const params = new URLSearchParams({
    from: moment(data.get("from")),
    to: moment(data.get("to")),
    period: data.get("period"),
  });
  if (data.get("group_by")) params.set("group_by", data.get("group_by"));
  return params;
}

const APPRAISAL_COLUMNS = ["scope", "metric", "month", "target", "higher_is_better", "actual", "met"];

// Every answer as { columns, rows, periodOf, groupOf, labels }: the table shows `columns` of
// `rows`, as the API's CSV of the same query has them.
function shape(body) {
  if (body.columns) {
    const group = body.group_by;
    return { columns: body.columns, rows: body.rows, periodOf: (r) => r.period,
      groupOf: group ? (r) => String(r[group] ?? "—") : () => "", labels: new Set(group ? [group] : []) };
  }
  const byScope = (r) => `${r.scope} · ${r.metric}`;
  if (body.month) {
    const rows = body.rows.flatMap((r) => r.trend.map(([month, actual]) => ({
      scope: r.scope, metric: r.metric, month, target: r.target, higher_is_better: r.higher_is_better,
      actual, met: actual === null ? null : (r.higher_is_better ? actual >= r.target : actual <= r.target),
    })));
    return { columns: APPRAISAL_COLUMNS, rows, periodOf: (r) => r.month, groupOf: byScope,
      labels: new Set(["scope", "metric", "month", "higher_is_better", "met"]) };
  }
  const columns = body.rows.length ? Object.keys(body.rows[0]) : [];
  return { columns, rows: body.rows, periodOf: (r) => r.day,
    groupOf: (r) => `${r.template} · ${r.channel}`, labels: new Set(["day", "template", "channel"]) };
}

async function show(event) {
  event?.preventDefault();
  const name = nameSelect.value;
  const params = query(name);
  say("");
  try {
    const report = shape(await getJson(`/reports/${name}?${params}`));
    shown = { name, params, report };
    csvButton.disabled = false;
    const measures = report.columns.filter((c) => !LABEL_COLUMNS.has(c) && !report.labels.has(c));
    const metric = measures.includes(metricSelect.value) ? metricSelect.value : measures[0];
    metricSelect.replaceChildren();
    for (const m of measures) option(metricSelect, m, m);
    if (metric) metricSelect.value = metric;
    fillTable(table, report.columns, report.rows.map((row) => report.columns.map((c) => row[c])));
    table.dataset.query = `/reports/${name}?${params}`;
    table.dataset.rows = String(report.rows.length);
    await chart(report, metric);
  } catch (error) {
    shown = null;
    csvButton.disabled = true;
    clearTable(table);
    say(error.message, true);
  }
}

async function chart(report, metric) {
  chartNote.textContent = "";
  if (!metric) {
    await clearChart(chartBox);
    chartBox.classList.add("unavailable");
    chartNote.textContent = t("report.noChart");
    return;
  }
  const periods = [...new Set(report.rows.map(report.periodOf))];
  const groups = [...new Set(report.rows.map(report.groupOf))];
  const oneSeriesPerGroup = groups.map((group) => ({
    name: group || metric,
    type: periods.length > 1 ? "line" : "bar",
    data: periods.map((p) => {
      const row = report.rows.find((r) => report.periodOf(r) === p && report.groupOf(r) === group);
      return row ? row[metric] : null;
    }),
  }));
  const drawn = await drawChart(chartBox, {
    animation: false,
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { type: "scroll", top: 0 },
    grid: { left: 48, right: 16, top: 40, bottom: 32, containLabel: true },
    xAxis: { type: "category", data: periods },
    yAxis: { type: "value", name: metric },
    series: oneSeriesPerGroup,
  });
  chartBox.dataset.metric = metric;
  if (!drawn) {
    chartBox.classList.add("unavailable");
    chartNote.textContent = t("charts.unavailable");
  }
}

async function downloadCsv() {
  if (!shown) return;
  const params = new URLSearchParams(shown.params);
  params.set("format", "csv");
  if (kindOf(shown.name) === "periods") params.set("bom", "1"); // Excel reads the Chinese as UTF-8
  try {
    await download(`/reports/${shown.name}?${params}`, `${shown.name}.csv`);
  } catch (error) {
    say(error.message, true);
  }
}

form.addEventListener("submit", show);
nameSelect.addEventListener("change", () => choicesFor(nameSelect.value));
metricSelect.addEventListener("change", () => shown && chart(shown.report, metricSelect.value));
csvButton.addEventListener("click", downloadCsv);
