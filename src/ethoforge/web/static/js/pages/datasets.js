// Datasets: one card per dataset — the hub: its running job, human bouts per behavior (warned
// under the guide's 100), the active model's precision / recall / F1, and Label, Review & Correct,
// Train, Infer and Manage — plus "Create dataset".

import { api, items } from "../api.js";
import { submitEncoding } from "../jobs.js";
import { COLORS, field, fmt, fmtDuration, go, h, notify, showError } from "../ui.js";
import { statusWords } from "./monitor.js";

const GUIDE_BOUTS = 100; // bouts per behavior the labeling guide asks for before a model is trusted

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

// Precision / recall / F1 averaged over the behaviors (the "none" class left out).
export function modelScores(model, behaviors) {
  const metrics = model && model.metrics ? model.metrics : {};
  const split = metrics.test || metrics.val || metrics;
  const perClass = split.per_class || {};
  const names = (behaviors || Object.keys(perClass)).filter((b) => b !== "none" && perClass[b]);
  if (!names.length) return null;
  const mean = (k) => names.reduce((s, b) => s + (perClass[b][k] ?? 0), 0) / names.length;
  return { precision: mean("precision"), recall: mean("recall"), f1: mean("f1"), perClass, on: metrics.test ? "test" : "validation" };
}

export async function renderDatasets(root) {
  const [datasetsAnswer, recordingsAnswer, modelsAnswer, jobsAnswer] = await Promise.all([api("datasets"), api("recordings"),
    api("models"), api("jobs?status=pending&status=preparing&status=training")]);
  const datasets = items(datasetsAnswer, "datasets");
  const recordings = items(recordingsAnswer, "recordings");
  const models = items(modelsAnswer, "models");
  const activeJobs = items(jobsAnswer, "jobs");
  const dialog = createDialog(recordings);
  const withVideo = recordings.filter((r) => r.has_video);
  const encode = withVideo.length
    ? h("button", { id: "encode-videos", title: "Compute the motion features of every video (a job; cached, resumable)",
      onclick: async () => {
        try { const job = await submitEncoding("motion"); go(`/jobs/${job.id}`); } catch (error) { showError(error); }
      } }, `Encode ${withVideo.length} video${withVideo.length > 1 ? "s" : ""}`)
    : null;
  root.append(h("div", { class: "toolbar" }, h("h2", {}, "Datasets"), encode,
    h("button", { id: "new-dataset", class: "primary", onclick: () => dialog.showModal(), "aria-label": "create dataset" }, "+ New dataset")),
  dialog);
  const cards = h("div", { class: "cards" });
  for (const dataset of datasets) {
    const mine = models.filter((m) => m.kind !== "embedder" && (m.dataset_id === dataset.id || m.dataset === dataset.name));
    const latest = mine.find((m) => m.active) || mine.sort((a, b) => b.id - a.id)[0];
    const scores = latest ? modelScores(latest, dataset.behaviors) : null;
    const members = recordings.filter((r) => dataset.recordings.includes(r.name));
    const counts = dataset.bouts_per_behavior || {};
    const nBouts = Object.values(counts).reduce((sum, n) => sum + n, 0);
    const few = dataset.behaviors.filter((b) => (counts[b] ?? 0) < GUIDE_BOUTS);
    const job = activeJobs.find((j) => j.dataset_id === dataset.id);
    cards.append(h("article", { class: "card", dataset: { dataset: dataset.name } },
      h("h3", {}, dataset.name, h("span", { class: "muted" }, `${dataset.recordings.length} recordings`)),
      h("div", { class: "bout-counts" }, dataset.behaviors.map((b, i) => h("span", {
        class: `chip${(counts[b] ?? 0) < GUIDE_BOUTS ? " few" : ""}`, style: `border-left-color:${COLORS[i % COLORS.length]}`,
        dataset: { behavior: b, bouts: String(counts[b] ?? 0) } }, `${b} · ${counts[b] ?? 0}`))),
      h("div", { class: "muted" }, `${nBouts} labelled bouts`),
      few.length ? h("div", { class: "warning", role: "note" },
        `Fewer than ${GUIDE_BOUTS} labelled bouts for ${few.join(", ")}: label more before trusting a model.`) : null,
      job ? jobLine(job) : null,
      scores
        ? h("div", { class: "metrics", title: `model ${latest.name}, on ${scores.on}` },
          h("div", {}, h("b", {}, fmt(scores.precision, 2)), "precision"),
          h("div", {}, h("b", {}, fmt(scores.recall, 2)), "recall"),
          h("div", {}, h("b", {}, fmt(scores.f1, 2)), "F1"))
        : h("div", { class: "muted" }, "no model trained yet"),
      h("div", { class: "actions" },
        h("a", { href: `#/label?dataset=${dataset.id}` }, h("button", { tabindex: "-1" }, "Label")),
        h("a", { href: `#/review?dataset=${dataset.id}` }, h("button", { tabindex: "-1" }, "Review & Correct")),
        h("a", { href: `#/train?dataset=${dataset.id}` }, h("button", { tabindex: "-1" }, "Train")),
        h("a", { href: `#/inference?dataset=${dataset.id}` }, h("button", { tabindex: "-1" }, "Infer")),
        h("a", { href: `#/models?dataset=${dataset.id}` }, h("button", { tabindex: "-1" }, "Models")),
        h("button", { class: "manage", onclick: () => manageDialog(dataset, recordings).showModal() }, "Manage"))));
  }
  cards.append(h("div", { class: "card add", role: "button", tabindex: "0", "aria-label": "create dataset",
    onclick: () => dialog.showModal(), onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") dialog.showModal(); } }, "+"));
  root.append(cards);
  if (!recordings.length) {
    root.append(h("p", { class: "panel" }, "No recordings in this project yet: import pose files with ",
      h("code", {}, "ethoforge import poses PATH"), " first."));
  }
}

function createDialog(recordings) {
  const name = h("input", { id: "dataset-name", required: true, placeholder: "e.g. mice", autocomplete: "off" });
  const behaviors = h("input", { id: "dataset-behaviors", required: true, placeholder: "attack;grooming;rearing" });
  const folders = h("textarea", { id: "dataset-folders", rows: 2, placeholder: "/data/cohort1 (one folder per line)" });
  const checks = recordings.map((r) => h("input", { type: "checkbox", value: r.name, name: "recording" }));
  const message = h("p", { class: "error", id: "dataset-error", role: "alert" });
  const form = h("form", { method: "dialog", id: "dataset-form" },
    h("h3", {}, "Create dataset"),
    field("Name", name, "One word: letters, digits, _ or -, starting with a letter."),
    field("Behaviors", behaviors, "1–20 behavior names separated by ';' (mutually exclusive; keys 1, 2, … in that order)."),
    h("div", { class: "field" }, h("span", { class: "label" }, "Recordings"),
      h("div", { class: "checklist" }, recordings.map((r, i) => h("label", {}, checks[i], ` ${r.name} (${r.n_frames} frames)`))),
      h("small", { class: "help" }, "Imported recordings to label in this dataset.")),
    field("Folders", folders, "Or folders: every imported recording whose pose file lies in them."),
    message,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "primary", id: "create-dataset" }, "Create"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  const dialog = h("dialog", { id: "dataset-dialog" }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const list = behaviors.value.split(";").map((s) => s.trim()).filter(Boolean);
    if (!NAME.test(name.value.trim())) {
      message.textContent = "The name must be one word of letters, digits, _ or -, starting with a letter.";
      return;
    }
    if (list.length < 1 || list.length > 20) {
      message.textContent = `A dataset needs 1–20 behaviors separated by ';' (got ${list.length}).`;
      return;
    }
    const chosen = checks.filter((c) => c.checked).length;
    if (!chosen && !folders.value.trim()) {
      message.textContent = "A dataset needs recordings: tick at least one, or name a folder of imported pose files.";
      return;
    }
    const body = {
      name: name.value.trim(), behaviors: list,
      recordings: checks.filter((c) => c.checked).map((c) => c.value),
      folders: folders.value.split("\n").map((s) => s.trim()).filter(Boolean),
    };
    try {
      const created = await api("datasets", { method: "POST", body });
      dialog.close();
      notify(`dataset ${created.name || body.name} created`);
      go("/datasets", { t: Date.now() });
    } catch (error) {
      message.textContent = error.message;
      showError(error);
    }
  });
  return dialog;
}

// "job #7 training · 40 % · ETA 2 min": the dataset's running or queued job, linking to its monitor.
function jobLine(job) {
  const progress = job.progress || {};
  const parts = [statusWords(job.kind, job.status)];
  if (typeof progress.fraction === "number") parts.push(`${Math.round(progress.fraction * 100)} %`);
  if (progress.eta_s !== undefined && progress.eta_s !== null) parts.push(`ETA ${fmtDuration(progress.eta_s)}`);
  return h("div", { class: "job-line" }, h("a", { href: `#/jobs/${job.id}` }, `job #${job.id}`), ` ${parts.join(" · ")} `,
    h("progress", { max: 1, value: typeof progress.fraction === "number" ? progress.fraction : 0 }));
}

// Manage: rename, change behaviors and recordings, or delete (asks first; labels, recordings and models stay).
function manageDialog(dataset, recordings) {
  const name = h("input", { class: "manage-name", value: dataset.name, autocomplete: "off" });
  const behaviors = h("input", { class: "manage-behaviors", value: dataset.behaviors.join(";") });
  const checks = recordings.map((r) => h("input", { type: "checkbox", value: r.name, checked: dataset.recordings.includes(r.name) }));
  const message = h("p", { class: "error", role: "alert" });
  const dialog = h("dialog", { class: "manage-dialog" });
  const save = async () => {
    message.textContent = "";
    const body = { name: name.value.trim(), behaviors: behaviors.value.split(";").map((s) => s.trim()).filter(Boolean),
      recordings: checks.filter((c) => c.checked).map((c) => c.value) };
    if (!body.recordings.length) {
      message.textContent = "Keep at least one recording in the dataset.";
      return;
    }
    try {
      await api(`datasets/${dataset.id}`, { method: "PATCH", body });
      dialog.close();
      notify(`dataset ${body.name} saved`);
      go("/datasets", { t: Date.now() });
    } catch (error) {
      message.textContent = error.message;
    }
  };
  const remove = async () => {
    if (!confirm(`Delete dataset ${dataset.name}? Its recordings, labels and models stay in the project.`)) return;
    try {
      await api(`datasets/${dataset.id}`, { method: "DELETE" });
      dialog.close();
      notify(`dataset ${dataset.name} deleted`);
      go("/datasets", { t: Date.now() });
    } catch (error) {
      message.textContent = error.message;
    }
  };
  dialog.append(h("form", { method: "dialog", onsubmit: (e) => { e.preventDefault(); save(); } },
    h("h3", {}, `Manage ${dataset.name}`),
    field("Name", name, "One word: letters, digits, _ or -, starting with a letter."),
    field("Behaviors", behaviors, "Separated by ';'. A behavior that still has labelled bouts cannot be dropped."),
    h("div", { class: "field" }, h("span", { class: "label" }, "Recordings"),
      h("div", { class: "checklist" }, recordings.map((r, i) => h("label", {}, checks[i], ` ${r.name}`)))),
    message,
    h("div", { class: "toolbar" },
      h("button", { type: "submit", class: "primary manage-save" }, "Save"),
      h("button", { type: "button", class: "danger manage-delete", onclick: remove }, "Delete dataset"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"))));
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  return dialog;
}
