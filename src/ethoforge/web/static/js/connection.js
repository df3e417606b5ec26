// Losing the server: while it is away the page sends one health probe at a time, backing off
// from 1 s to 8 s, says so in a bar that covers nothing, and lets every read wait for it to come
// back; then the waiting reads go on and listeners (unsent drafts) resume on their own.

const HEALTH = "/api/v1/health";
const BACKOFF_MS = [1000, 2000, 4000, 8000];

let down = false;
let waiters = [];
let attempt = 0;
let timer = null;
const listeners = new Set();

export function isDown() {
  return down;
}

// Resolves at once when the server is up, else when it answers again.
export function whenUp() {
  return down ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve();
}

// `listener()` runs each time the server comes back.
export function onReconnect(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// A request failed at the network level: start probing (once), and show the bar.
export function markDown(reason) {
  if (down) return;
  down = true;
  attempt = 0;
  show(`The server is not answering (${reason}). Reconnecting… your unsaved labels are kept in this browser.`);
  schedule();
}

function schedule() {
  const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  attempt += 1;
  show(`The server is not answering. Reconnecting (next try in ${Math.round(delay / 1000)} s)… your unsaved labels are kept in this browser.`);
  timer = setTimeout(probe, delay);
}

async function probe() {
  timer = null;
  try {
    const response = await fetch(HEALTH, { cache: "no-store", credentials: "same-origin" });
    if (response.status >= 500) throw new Error(`status ${response.status}`);
  } catch {
    schedule();
    return;
  }
  down = false;
  hide();
  const ready = waiters;
  waiters = [];
  ready.forEach((resolve) => resolve());
  for (const listener of [...listeners]) {
    try { listener(); } catch { /* one listener's failure does not stop the others */ }
  }
}

function bar() {
  let element = document.getElementById("connection-bar");
  if (!element) {
    element = document.createElement("div");
    element.id = "connection-bar";
    element.setAttribute("role", "status");
    element.hidden = true;
    document.body.append(element);
  }
  return element;
}

function show(text) {
  const element = bar();
  element.textContent = text;
  element.hidden = false;
  document.body.dataset.connection = "down";
}

function hide() {
  const element = bar();
  element.hidden = true;
  document.body.dataset.connection = "up";
}
