// Unsaved labeling work: kept in localStorage at once and on the server (debounced),
// so a reload or a crashed tab loses nothing. Cleared only after a successful commit
// or when the user explicitly discards it.
//
// A recording has one draft per slot: the page kind and dataset it was made in
// (`draftSlot`), so work on Label, on Review & Correct or under another dataset never
// replaces another draft of the same recording.

import { api } from "./api.js";
import { onReconnect } from "./connection.js";

const PREFIX = "ethoforge.draft.";
const key = (recordingId, slot) => `${PREFIX}${recordingId}.${slot}`;
const path = (recordingId, slot) => `recordings/${recordingId}/draft?slot=${encodeURIComponent(slot)}`;

// The slot of a draft made on Label (review false) or Review & Correct under a dataset.
export function draftSlot(datasetId, review) {
  return `${review ? "review" : "label"}-d${datasetId}`;
}

export function saveLocal(recordingId, slot, draft) {
  try {
    localStorage.setItem(key(recordingId, slot), JSON.stringify(draft));
    return true;
  } catch {
    return false; // quota: the server copy still holds it
  }
}

const timers = new Map();
const unsent = new Map(); // drafts whose server copy failed because the server was away: resent when it is back
onReconnect(() => {
  for (const [k, { recordingId, slot, draft }] of [...unsent]) {
    unsent.delete(k);
    api(path(recordingId, slot), { method: "PUT", body: draft }).catch(() => unsent.set(k, { recordingId, slot, draft }));
  }
});

export function saveServer(recordingId, slot, draft, onError) {
  const k = key(recordingId, slot);
  clearTimeout(timers.get(k));
  timers.set(k, setTimeout(() => {
    timers.delete(k);
    api(path(recordingId, slot), { method: "PUT", body: draft }).then(() => unsent.delete(k)).catch((error) => {
      if (error.status === 0) unsent.set(k, { recordingId, slot, draft }); // away: the bar says so, resent later
      else onError(error);
    });
  }, 800));
}

export function flushServer(recordingId, slot, draft) {
  clearTimeout(timers.get(key(recordingId, slot)));
  return api(path(recordingId, slot), { method: "PUT", body: draft });
}

function readLocal(k) {
  try { return JSON.parse(localStorage.getItem(k) || "null"); } catch { return null; }
}

// The newest of the local and the server draft in this slot, or null.
export async function loadDraft(recordingId, slot) {
  const local = readLocal(key(recordingId, slot));
  let remote = null;
  try {
    const answer = await api(path(recordingId, slot));
    remote = answer && answer.draft ? answer.draft : null;
  } catch { remote = null; }
  const candidates = [local, remote].filter((d) => d && Array.isArray(d.bouts));
  candidates.sort((a, b) => (b.saved_at || 0) - (a.saved_at || 0));
  return candidates[0] || null;
}

// The recording's drafts in slots other than `slot` (on the server or only in this browser):
// [{slot, dataset, review, bouts, saved_at}], newest first.
export async function otherDrafts(recordingId, slot) {
  const found = new Map();
  try {
    const answer = await api(`recordings/${recordingId}/drafts`);
    for (const d of answer.drafts || []) if (d.slot && d.slot !== slot && d.bouts > 0) found.set(d.slot, d);
  } catch { /* the local copies still count */ }
  const prefix = `${PREFIX}${recordingId}.`;
  for (let i = 0; i < localStorage.length; i += 1) {
    const k = localStorage.key(i);
    const other = k && k.startsWith(prefix) ? k.slice(prefix.length) : null;
    if (!other || other === slot) continue;
    const d = readLocal(k);
    if (!d || !Array.isArray(d.bouts) || !d.bouts.length) continue;
    if (!found.has(other) || (found.get(other).saved_at || 0) < (d.saved_at || 0)) {
      found.set(other, { slot: other, dataset: d.dataset, review: Boolean(d.review), bouts: d.bouts.length, saved_at: d.saved_at });
    }
  }
  return [...found.values()].sort((a, b) => (b.saved_at || 0) - (a.saved_at || 0));
}

export async function clearDraft(recordingId, slot) {
  clearTimeout(timers.get(key(recordingId, slot)));
  localStorage.removeItem(key(recordingId, slot));
  await api(path(recordingId, slot), { method: "DELETE" });
}
