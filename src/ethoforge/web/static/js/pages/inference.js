// Inference: a model over recordings or a folder → job with progress → per recording an ethogram and bouts.

import { api, BASE, items } from "../api.js";
import { FINAL, followJob, getJob, submitInference } from "../jobs.js";
import { clear, field, go, h, showError } from "../ui.js";

export async function renderInference(root, params) {
  const [models, recordings] = await Promise.all([api("models?kind=classifier").then((a) => items(a, "models")), api("recordings").then((a) => items(a, "recordings"))]);
  const modelSelect = h("select", { id: "infer-model" }, models.map((m) => h("option", { value: m.id }, `${m.name}${m.active ? " (active)" : ""}`)));
  const checks = recordings.map((r) => h("input", { type: "checkbox", value: r.name, name: "recording" }));
  const folder = h("input", { id: "infer-folder", placeholder: "or a folder of pose files" });
  const progress = h("progress", { id: "infer-progress", max: 1, value: 0 });
  const status = h("span", { id: "infer-status", class: "badge" }, "idle");
  const results = h("section", { id: "infer-results" });
  const form = h("form", { class: "panel", id: "infer-form" },
    h("div", { class: "toolbar" }, h("h2", {}, "Inference"), field("Model", modelSelect)),
    h("div", { class: "field" }, h("span", { class: "label" }, "Recordings"),
      h("div", { class: "checklist" }, recordings.map((r, i) => h("label", {}, checks[i], ` ${r.name}`)))),
    field("Folder", folder, "Every pose file in this folder (inside the allowed folders); new ones are imported first."),
    h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary", id: "run-inference", disabled: !models.length }, "Run"), progress, status));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const chosen = checks.filter((c) => c.checked).map((c) => c.value);
      const dir = folder.value.trim();
      if (!chosen.length && !dir) throw new Error("pick at least one recording (or a folder) to run the model on");
      const job = await submitInference(Number(modelSelect.value), chosen, { folder: dir || null });
      go("/inference", { job: job.id ?? job.job_id });
    } catch (error) {
      showError(error);
    }
  });
  root.append(form, results);
  if (!models.length) results.append(h("p", { class: "panel" }, "No model yet: train one first."));
  const jobId = params.get("job");
  if (!jobId) return undefined;
  const stop = followJob(Number(jobId), (message) => {
    const job = message.job || message;
    if (job.status) { status.textContent = job.status; status.className = `badge ${job.status}`; }
    const p = message.progress || (message.job && message.job.progress) || {};
    if (typeof p.fraction === "number") progress.value = p.fraction;
    if (message.type === "job_complete" || FINAL.includes(job.status)) {
      stop();
      showResults(results, Number(jobId)).catch(showError);
    }
  }, showError);
  return stop;
}

async function showResults(section, jobId) {
  clear(section);
  const job = await getJob(jobId);
  if (job.status !== "completed") {
    section.append(h("p", { class: "panel" }, `Job ${jobId} ${job.status}: ${job.error || ""}`));
    return;
  }
  for (const name of (job.result || {}).recordings || []) {
    const base = `${BASE}/jobs/${jobId}/recordings/${encodeURIComponent(name)}`;
    const answer = await api(`jobs/${jobId}/recordings/${encodeURIComponent(name)}/bouts`);
    section.append(h("article", { class: "panel result", dataset: { recording: name } },
      h("h3", {}, name),
      h("img", { class: "ethogram", src: `${base}/files/ethogram`, alt: `ethogram of ${name}` }),
      h("p", {}, "Download: ",
        h("a", { href: `${base}/files/csv`, download: "" }, "bouts CSV"), " · ",
        h("a", { href: `${base}/files/boris`, download: "" }, "BORIS"), " · ",
        h("a", { href: `${base}/files/nwb`, download: "" }, "NWB"), " · ",
        h("a", { href: `${base}/files/frames`, download: "" }, "per-frame probabilities")),
      h("table", { class: "bouts" }, h("tr", {}, ["behavior", "start frame", "stop frame", "start (s)", "stop (s)", "confidence"].map((t) => h("th", {}, t))),
        answer.bouts.map((b) => h("tr", {}, h("td", {}, b.behavior), h("td", {}, b.start), h("td", {}, b.stop),
          h("td", {}, b.start_s), h("td", {}, b.stop_s), h("td", {}, b.score === null ? "–" : b.score.toFixed(2)))))));
  }
}
