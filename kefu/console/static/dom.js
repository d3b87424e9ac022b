// DOM helpers: text only (never HTML from data), so nothing a record holds can run as code.
export function element(tag, text = "", className = "") {
  const el = document.createElement(tag);
  if (text !== "") el.textContent = text;
  if (className) el.className = className;
  return el;
}

export function fillTable(table, headings, rows) {
  const head = element("thead");
  const headRow = element("tr");
  for (const heading of headings) {
    const th = element("th", heading);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = element("tbody");
  for (const row of rows) {
    const tr = element("tr");
    for (const cell of row) {
      if (cell instanceof Node) {
        const td = element("td");
        td.append(cell);
        tr.append(td);
      } else {
        tr.append(element("td", cell === null || cell === undefined ? "" : String(cell),
          typeof cell === "number" ? "number" : ""));
      }
    }
    body.append(tr);
  }
  table.replaceChildren(head, body);
}

export function clearTable(table) {
  table.replaceChildren();
}

export function say(text, isError = false) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

export function seconds(total) {
  const s = Math.max(0, Math.floor(total));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
