// The one API client: fetch with the key as a Bearer header, problem+json turned into messages.

import { currentConference } from "./store.js";

const KEY_STORE = "hallway.key";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let unauthorized = () => {};

/** What to do when the server refuses the key (the app signs out). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function key() {
  return sessionStorage.getItem(KEY_STORE);
}

export function setKey(value) {
  if (value) sessionStorage.setItem(KEY_STORE, value);
  else sessionStorage.removeItem(KEY_STORE);
}

export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${key()}`, ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    unauthorized("Your key was not accepted. Sign in again.");
    throw new ApiError(401, { detail: "Not signed in." });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch (_) {
      problem = { detail: response.statusText };
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** A path under the chosen conference: conf("/rounds") -> /v1/conferences/<id>/rounds. */
export function conf(path = "") {
  return `/v1/conferences/${currentConference().id}${path}`;
}

/** A problem as one line: its detail, then any field errors it lists. */
export function problemText(err) {
  const p = err.problem || {};
  const lines = [err.message];
  for (const e of p.errors || []) {
    const text = e.detail || e.message || "";
    if (!text || err.message.includes(text)) continue;
    const where = (e.pointer || "").replace(/^#\/(body\/)?/, "");
    lines.push(where ? `${where}: ${text}` : text);
  }
  return lines.join(" — ");
}
