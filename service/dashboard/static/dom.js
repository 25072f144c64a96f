// Small DOM helpers shared by every view: element builders, show/hide, the toast, formats.

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, String(value));
  }
  for (const child of children) el.append(child instanceof Node ? child : String(child));
  return el;
}

export function show(el, visible) {
  el.hidden = !visible;
}

export function say(el, text) {
  el.textContent = text || "";
  show(el, Boolean(text));
}

let toastTimer = null;

export function toast(text) {
  const el = $("toast");
  say(el, text);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => show(el, false), 4000);
}

export function fmtTime(value) {
  if (!value) return "";
  // Rounds come in the venue's zone with an offset: show that wall-clock time as given.
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${m[1]} ${m[2]}` : value;
}

export function fmtStamp(value) {
  if (!value) return "";
  return new Date(value).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)} %`;
}

export function num(value, places = 2) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(places);
}

/** Save a fetched file (a Response) as a download: under the server's file name if it gives one
 * and ``useServerName`` is set, else under ``name``. */
export async function saveResponse(response, name, useServerName = true) {
  const blob = await response.blob();
  const disposition = useServerName ? response.headers.get("Content-Disposition") || "" : "";
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: match ? match[1] : name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
