// Review & Correct: pick a model, pre-label the recording in a background job, then correct.

import { api, items } from "../api.js";
import { FINAL, followJob, submitInference } from "../jobs.js";
import { go, h, showError } from "../ui.js";
import { statusWords } from "./monitor.js";

export async function reviewControls(root, toolbar, { dataset, recording, params, open }) {
  const models = prelabelModels(items(await api("models?kind=classifier"), "models"), dataset);
  const chosen = models.find((m) => String(m.id) === params.get("model")) || models.find((m) => m.active && m.dataset === dataset.name) || models[0];
  const modelSelect = h("select", { id: "model-select", "aria-label": "model",
    onchange: () => go("/review", { dataset: dataset.id, recording: recording.id, model: modelSelect.value }) },
  models.map((m) => h("option", { value: m.id, selected: chosen && m.id === chosen.id },
    `${m.name}${m.active && m.dataset === dataset.name ? " (active)" : ""}${m.dataset !== dataset.name ? ` (from dataset ${m.dataset ?? "none"})` : ""}`)));
  const progress = h("progress", { id: "prelabel-progress", max: 1, value: 0, hidden: true });
  const jobStatus = h("span", { id: "prelabel-status", class: "muted" });
  const slider = h("input", { id: "confidence-filter", type: "range", min: 0, max: 1, step: 0.01, value: 1,
    "aria-label": "hide predicted bouts with a confidence above" });
  const sliderOut = h("output", { id: "confidence-value" }, "1.00");
  const prelabelButton = h("button", { id: "prelabel", class: "primary", disabled: !chosen, onclick: () => prelabel() }, "Pre-label");
  const openButton = h("button", { id: "open-predictions", onclick: () => openNow() }, "Open with stored predictions");
  toolbar.append(modelSelect, prelabelButton, openButton, progress, jobStatus,
    h("label", { class: "inline" }, "show confidence ≤ ", slider, sliderOut));
  if (!chosen) {
    root.append(h("p", { class: "panel" }, `No model for dataset ${dataset.name} yet: `, h("a", { href: `#/train?dataset=${dataset.id}` }, "train one"), "."));
  }
  const uncertain = h("section", { class: "panel", id: "uncertain" }, h("h3", {}, "Most uncertain first"),
    h("p", { class: "muted" }, "Recordings and stretches ranked by how unsure the model is (1 − top probability)."));
  root.append(uncertain);

  let editorApi = null;
  slider.addEventListener("input", () => {
    sliderOut.textContent = Number(slider.value).toFixed(2);
    if (editorApi) {
      editorApi.model.threshold = Number(slider.value);
      editorApi.schedule();
    }
  });

  async function openNow() {
    editorApi = await open();
    editorApi.model.threshold = Number(slider.value);
    if (params.get("frame")) editorApi.seek(Number(params.get("frame")));
    editorApi.schedule();
  }

  async function prelabel() {
    prelabelButton.disabled = true;
    progress.hidden = false;
    try {
      const job = await submitInference(Number(chosen.id), [recording.name], { prelabel: true });
      const jobId = job.id ?? job.job_id;
      jobStatus.textContent = `job ${jobId}: pending`;
      await new Promise((resolve, reject) => {
        const stop = followJob(jobId, (message) => {
          const current = message.job || message;
          if (current.status) jobStatus.textContent = `job ${jobId}: ${statusWords("prelabel", current.status)}`;
          const fraction = (message.progress || (message.job && message.job.progress) || {}).fraction;
          if (typeof fraction === "number") progress.value = fraction;
          if (message.type === "job_complete" || FINAL.includes(current.status)) {
            stop();
            if (current.status === "completed") resolve();
            else reject(new Error(`pre-labelling job ${jobId} ${current.status}: ${current.error || message.error || "no reason given"}`));
          }
        }, reject);
      });
      progress.value = 1;
      await openNow();
      for (const old of uncertain.querySelectorAll("h4, ol, p.note")) old.remove();
      await loadUncertain(uncertain, dataset, chosen);
    } catch (error) {
      showError(error);
    } finally {
      prelabelButton.disabled = false;
    }
  }

  if (chosen) loadUncertain(uncertain, dataset, chosen);
  return { openNow };
}

// Classifiers that can pre-label this dataset: its own first, then those of other datasets that
// know exactly its behaviors (the behaviors a model scores are the keys of its per-class metrics).
export function prelabelModels(models, dataset) {
  const wanted = [...dataset.behaviors].sort().join("|");
  const behaviorsOf = (m) => {
    const metrics = m.metrics || {};
    const perClass = (metrics.test || metrics.val || metrics).per_class || {};
    return Object.keys(perClass).filter((b) => b !== "none").sort().join("|");
  };
  const classifiers = models.filter((m) => (m.kind ?? "classifier") === "classifier");
  const own = classifiers.filter((m) => m.dataset === dataset.name);
  const others = classifiers.filter((m) => m.dataset !== dataset.name && behaviorsOf(m) === wanted);
  return [...own, ...others];
}

async function loadUncertain(section, dataset, model) {
  try {
    const answer = await api(`datasets/${dataset.id}/uncertainty?model_id=${model.id}`);
    const recs = answer.recordings || [];
    const stretches = answer.stretches || [];
    if (!recs.length) {
      section.append(h("p", { class: "muted note" }, "No predictions of this model yet: pre-label recordings to rank them."));
      return;
    }
    section.append(h("h4", {}, "Recordings"), h("ol", { class: "ranked" }, recs.map((r) => h("li", {},
      h("a", { href: `#/review?dataset=${dataset.id}&recording=${r.recording_id}&model=${model.id}` }, r.recording),
      ` — mean uncertainty ${r.uncertainty.toFixed(3)}`))));
    section.append(h("h4", {}, "Stretches"), h("ol", { class: "ranked", id: "uncertain-stretches" }, stretches.map((s) => h("li", {},
      h("a", { href: `#/review?dataset=${dataset.id}&recording=${s.recording_id}&model=${model.id}&frame=${s.start}` },
        `${s.recording} frames ${s.start}–${s.stop - 1}`), ` — ${s.uncertainty.toFixed(3)}`))));
  } catch (error) {
    showError(error);
  }
}
