// EthoForge web app: a hash-routed single page app over the REST API (no build step).

import { renderDatasets } from "./js/pages/datasets.js";
import { renderLabel } from "./js/pages/label.js";
import { renderTrain } from "./js/pages/train.js";
import { renderJobs, renderMonitor } from "./js/pages/monitor.js";
import { renderModels } from "./js/pages/models.js";
import { renderInference } from "./js/pages/inference.js";
import { renderManage } from "./js/pages/manage.js";
import { clear, hideError, query, showError } from "./js/ui.js";

const ROUTES = {
  "/datasets": (root, params) => renderDatasets(root, params),
  "/label": (root, params) => renderLabel(root, params, { review: false }),
  "/review": (root, params) => renderLabel(root, params, { review: true }),
  "/train": (root, params) => renderTrain(root, params),
  "/jobs": (root, params) => renderJobs(root, params),
  "/models": (root, params) => renderModels(root, params),
  "/inference": (root, params) => renderInference(root, params),
  "/manage": (root) => renderManage(root),
};

let cleanup = null;

async function route() {
  const { path, params } = query();
  const root = document.getElementById("page");
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  document.onkeydown = null;
  clear(root);
  hideError();
  const monitor = /^\/jobs\/(\d+)$/.exec(path);
  const page = monitor ? "jobs" : path.split("/")[1];
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("current", link.dataset.page === page);
  document.body.dataset.page = page;
  root.dataset.ready = "false";
  try {
    if (monitor) cleanup = await renderMonitor(root, Number(monitor[1]));
    else cleanup = await (ROUTES[path] || ROUTES["/datasets"])(root, params);
  } catch (error) {
    showError(error);
  }
  root.dataset.ready = "true";
}

window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
document.addEventListener("DOMContentLoaded", () => {
  // the server trades ?token= for a session cookie and drops it; never keep one in the address bar
  if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", location.pathname + location.hash);
  // sticky page toolbars sit just under the sticky header and error banner, whatever their height
  const chrome = document.getElementById("chrome");
  const setChromeHeight = () => document.documentElement.style.setProperty("--chrome-h", `${chrome.offsetHeight}px`);
  new ResizeObserver(setChromeHeight).observe(chrome);
  setChromeHeight();
  document.querySelector("#error-banner .close").addEventListener("click", hideError);
  route();
});
