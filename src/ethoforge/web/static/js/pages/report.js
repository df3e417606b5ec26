// A model's training report: per-behavior precision / recall / F1, confusion matrix, per-epoch plots
// (an embedder's: per pretext task, held-out loss and accuracy, and its pretraining curves).

import { api, BASE } from "../api.js";
import { fmt, h } from "../ui.js";
import { taskTable } from "./pretrain.js";

export function reportFiles(model) {
  const files = model.files || model.report_files || {};
  const entries = Array.isArray(files) ? files.map((f) => [f.name || f, f.url]) : Object.entries(files);
  return entries.map(([key, url]) => ({
    name: key,
    url: url || `${BASE}/models/${model.id}/files/${encodeURIComponent(key)}`,
    image: !/csv|yaml|json|bundle|history|report$/.test(key) || String(url).endsWith(".png"),
  }));
}

export async function renderReport(section, modelId) {
  const model = await api(`models/${modelId}`);
  section.append(h("h3", {}, `Report of model ${model.name}`));
  const metrics = model.metrics || {};
  if (model.kind === "embedder") {
    section.append(h("section", { class: "panel" },
      h("p", { class: "muted" }, `Embedder: held-out pretext scores of its best epoch (mask: R²) · registered as ${model.name} (id ${model.id})`),
      taskTable(metrics, "per-task")));
    appendFiles(section, model);
    return model;
  }
  const split = metrics.test ? "test" : "val";
  const perClass = (metrics[split] || {}).per_class || {};
  const rows = Object.entries(perClass);
  section.append(h("section", { class: "panel" },
    h("p", { class: "muted" }, `Scored on the ${split === "test" ? "test" : "validation"} recordings · macro F1 ${fmt((metrics[split] || {}).macro_f1)}`),
    h("table", { id: "per-behavior" },
      h("tr", {}, ["behavior", "precision", "recall", "F1", "frames"].map((t) => h("th", {}, t))),
      rows.map(([name, m]) => h("tr", {}, h("td", {}, name), h("td", {}, fmt(m.precision)), h("td", {}, fmt(m.recall)),
        h("td", {}, fmt(m.f1)), h("td", {}, m.support ?? "–"))))));
  const splitNames = metrics.split || (model.config || {}).split || {};
  const named = [["train", "Trained on"], ["val", "Validated on"], ["test", "Tested on"]].filter(([k]) => Array.isArray(splitNames[k]) && splitNames[k].length);
  if (named.length) {
    section.append(h("dl", { class: "panel split-list", id: "report-split" }, named.flatMap(([k, label]) =>
      [h("dt", {}, label), h("dd", { dataset: { split: k } }, splitNames[k].join(", "))]).concat(
      splitNames.kind ? [h("dt", {}, "Split"), h("dd", { dataset: { split: "kind" } },
        splitNames.kind === "blocks" ? `by time blocks (${splitNames.gap} frames left out at each boundary)` : "by recording")] : [])));
  }
  appendFiles(section, model);
  return model;
}

function appendFiles(section, model) {
  const files = reportFiles(model);
  const images = files.filter((f) => f.image);
  const others = files.filter((f) => !f.image);
  images.sort((a, b) => (b.name.includes("confusion") ? 1 : 0) - (a.name.includes("confusion") ? 1 : 0));
  section.append(h("div", { class: "report-images", id: "report-images" },
    images.map((f) => h("figure", {}, h("img", { src: f.url, alt: f.name, loading: "lazy" }), h("figcaption", { class: "muted" }, f.name)))));
  if (others.length) section.append(h("p", {}, "Files: ", others.map((f) => [h("a", { href: f.url, download: "" }, f.name), " "])));
}
