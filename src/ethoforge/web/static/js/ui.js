// Small DOM helpers shared by the pages.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "html") el.innerHTML = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// The one place errors reach the user: a banner in words, never swallowed.
export function showError(error) {
  const banner = document.getElementById("error-banner");
  const text = error instanceof Error ? error.message : String(error);
  console.error(error);
  if (!banner) return;
  banner.querySelector(".text").textContent = text;
  banner.hidden = false;
}

export function hideError() {
  const banner = document.getElementById("error-banner");
  if (banner) banner.hidden = true;
}

export function notify(text) {
  const box = document.getElementById("notice");
  if (!box) return;
  box.textContent = text;
  box.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

export function fmt(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return typeof value === "number" ? value.toFixed(digits) : String(value);
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

export function query() {
  const hash = location.hash.replace(/^#/, "");
  const [path, qs] = hash.split("?");
  return { path: path || "/datasets", params: new URLSearchParams(qs || "") };
}

export function go(path, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  location.hash = `#${path}${qs.toString() ? `?${qs}` : ""}`;
}

// A palette that stays readable on the dark background; index = behavior order.
export const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
  "#fabed4", "#469990", "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1",
  "#000075", "#a9a9a9", "#ffe119"];

export function field(label, input, help) {
  return h("label", { class: "field" }, h("span", { class: "label" }, label), input,
    help ? h("small", { class: "help" }, help) : null);
}
