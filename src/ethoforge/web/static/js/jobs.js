// Background jobs: submit, fetch, cancel, and follow live over the WebSocket (polling as fallback).

import { api, wsUrl } from "./api.js";

export function submitTraining(dataset, params) {
  return api("training/jobs", { method: "POST", body: { dataset, params } });
}

// A self-supervised embedder; dataset null: the recordings in params, else every recording.
export function submitPretraining(dataset, params) {
  const body = { params };
  if (dataset) body.dataset = dataset;
  return api("pretraining/jobs", { method: "POST", body });
}

export function submitInference(modelId, recordings, { prelabel = false, folder = null, options = {} } = {}) {
  const body = { model_id: modelId, kind: prelabel ? "prelabel" : "infer", ...options };
  if (recordings && recordings.length) body.recordings = recordings;
  if (folder) body.folder = folder;
  return api("inference/jobs", { method: "POST", body });
}

export function submitEncoding(encoder = "motion", recordings = null) {
  const body = { encoder };
  if (recordings && recordings.length) body.recordings = recordings;
  return api("encoding/jobs", { method: "POST", body });
}

export function getJob(id) {
  return api(`jobs/${id}`);
}

export function cancelJob(id) {
  return api(`jobs/${id}/cancel`, { method: "POST" });
}

// Queue a failed job again; a training or pretraining job continues from its last checkpoint.
export function resumeJob(id) {
  return api(`jobs/${id}/resume`, { method: "POST" });
}

export const FINAL = ["completed", "failed", "cancelled"];

// Calls onMessage(message) for every live message; returns a function that stops following.
export function followJob(id, onMessage, onError) {
  let socket = null;
  let stopped = false;
  let pollTimer = null;
  let version = -1;
  const poll = async () => {
    if (stopped) return;
    try {
      const job = await getJob(id);
      if (job.version !== version) {
        version = job.version;
        onMessage({ type: "state", job });
      }
      if (FINAL.includes(job.status)) return;
    } catch (error) {
      onError?.(error);
    }
    pollTimer = setTimeout(poll, 1000);
  };
  try {
    socket = new WebSocket(wsUrl(`jobs/${id}/ws`));
    socket.onmessage = (event) => {
      try { onMessage(JSON.parse(event.data)); } catch (error) { onError?.(error); }
    };
    socket.onerror = () => { if (!stopped && !pollTimer) poll(); };
    socket.onclose = (event) => { if (!stopped && event.code !== 1000 && !pollTimer) poll(); };
  } catch {
    poll();
  }
  return () => {
    stopped = true;
    clearTimeout(pollTimer);
    if (socket && socket.readyState <= 1) socket.close();
  };
}
