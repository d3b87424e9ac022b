// The API with the signed-in token: kept in sessionStorage (this tab only), sent as a header,
// never put in a URL.
const KEY = "kefu-token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function headers(accept) {
  return { Authorization: `Bearer ${token.get()}`, Accept: accept };
}

export async function request(path, accept = "application/json", signal = undefined) {
  const response = await fetch(path, { headers: headers(accept), signal, cache: "no-store" });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // not a problem document: keep the status text
    }
    throw new ApiError(response.status, `${response.status}: ${detail}`);
  }
  return response;
}

export async function getJson(path) {
  return (await request(path)).json();
}

// Server-sent events over fetch (EventSource cannot send the Authorization header). Calls
// onEvent(name, data) for each event; resolves when the server ends the stream.
export async function readEvents(path, onEvent, signal) {
  const response = await request(path, "text/event-stream", signal);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length) onEvent(name, data.join("\n"));
    }
  }
}

export async function download(path, filename) {
  const blob = await (await request(path, "text/csv")).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
