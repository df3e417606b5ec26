// Unsaved labeling work: kept in localStorage at once and on the server (debounced),
// so a reload or a crashed tab loses nothing. Cleared only after a successful commit
// or when the user explicitly discards it.

import { api } from "./api.js";

const key = (recordingId) => `ethoforge.draft.${recordingId}`;

export function saveLocal(recordingId, draft) {
  try {
    localStorage.setItem(key(recordingId), JSON.stringify(draft));
    return true;
  } catch {
    return false; // quota: the server copy still holds it
  }
}

let timer = null;
export function saveServer(recordingId, draft, onError) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    api(`recordings/${recordingId}/draft`, { method: "PUT", body: draft }).catch(onError);
  }, 800);
}

export function flushServer(recordingId, draft) {
  clearTimeout(timer);
  return api(`recordings/${recordingId}/draft`, { method: "PUT", body: draft });
}

// The newest of the local and the server draft, or null.
export async function loadDraft(recordingId) {
  let local = null;
  try { local = JSON.parse(localStorage.getItem(key(recordingId)) || "null"); } catch { local = null; }
  let remote = null;
  try {
    const answer = await api(`recordings/${recordingId}/draft`);
    remote = answer && answer.draft ? answer.draft : null;
  } catch { remote = null; }
  const candidates = [local, remote].filter((d) => d && Array.isArray(d.bouts));
  candidates.sort((a, b) => (b.saved_at || 0) - (a.saved_at || 0));
  return candidates[0] || null;
}

export async function clearDraft(recordingId) {
  clearTimeout(timer);
  localStorage.removeItem(key(recordingId));
  await api(`recordings/${recordingId}/draft`, { method: "DELETE" });
}
