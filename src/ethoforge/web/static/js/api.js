// Talking to the REST API: one place for paths and error messages.
// Authentication is the server's HttpOnly session cookie (set when the app is opened at
// /?token=...), which the browser sends with every request, WebSocket and image by itself:
// the token never sits in a URL or in script-readable storage.

import { markDown, whenUp } from "./connection.js";

const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// FastAPI errors come as {detail: "text"} or {detail: [{loc, msg}]}; turn either into words.
export function describeError(status, body, fallback) {
  const detail = body && (body.detail ?? body.message ?? body.error);
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).filter((x) => x !== "body").join(".")}: ${d.msg}`).join("; ");
  }
  if (detail && typeof detail === "object") return detail.message || JSON.stringify(detail);
  return fallback || `the server answered ${status}`;
}

export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const url = path.startsWith("/") ? path : `${BASE}/${path}`;
  let response;
  for (;;) {
    if (method === "GET") await whenUp(); // while the server is away only the health probe asks it
    try {
      response = await fetch(url, init);
      break;
    } catch (error) {
      markDown(error.message);
      // a read waits for the server and goes on; a write is refused now (drafts resend on reconnect)
      if (method !== "GET") {
        throw new ApiError(`cannot reach the EthoForge server (${error.message}); is \`ethoforge serve\` still running? `
          + "Your work is kept as a draft in this browser.", 0);
      }
    }
  }
  if (raw) return response;
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 300) }; }
  }
  if (!response.ok) {
    throw new ApiError(`${method} ${path}: ${describeError(response.status, data)}`, response.status, data);
  }
  if (raw === false && data !== null) data.__etag = response.headers.get("ETag");
  return data;
}

// Lists may come bare or wrapped ({items: [...]}, {recordings: [...]}...).
export function items(data, key) {
  if (Array.isArray(data)) return data;
  if (!data) return [];
  for (const k of [key, "items", "results", "data"]) if (k && Array.isArray(data[k])) return data[k];
  return [];
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${BASE}/${path}`;
}

export { BASE };
