// Models: list with kind and metrics, activate, details (config, report, data), delete with confirmation,
// download; and the form that pretrains an embedder.

import { api, BASE, items } from "../api.js";
import { clear, fmt, h, notify, showError } from "../ui.js";
import { modelScores } from "./datasets.js";
import { pretrainForm } from "./pretrain.js";
import { renderReport } from "./report.js";

export async function renderModels(root, params) {
  const [datasets, recordings] = await Promise.all([api("datasets").then((a) => items(a, "datasets")),
    api("recordings").then((a) => items(a, "recordings"))]);
  const wanted = datasets.find((d) => String(d.id) === params.get("dataset") || d.name === params.get("dataset"));
  const models = items(await api(wanted ? `models?dataset=${encodeURIComponent(wanted.name)}` : "models"), "models");
  const details = h("section", { id: "model-details" });
  const table = h("table", { id: "models-table" },
    h("tr", {}, ["model", "kind", "dataset", "family", "precision", "recall", "F1", "created", ""].map((t) => h("th", {}, t))));
  for (const model of models) {
    const dataset = datasets.find((d) => d.id === model.dataset_id || d.name === model.dataset);
    const scores = modelScores(model, dataset ? dataset.behaviors : null);
    table.append(h("tr", { dataset: { model: model.id, kind: model.kind || "classifier" } },
      h("td", {}, model.name, " ", model.active ? h("span", { class: "badge active" }, "active") : null),
      h("td", { class: "kind" }, model.kind || "classifier"), h("td", {}, model.dataset || ""), h("td", {}, model.family),
      h("td", {}, fmt(scores && scores.precision, 2)), h("td", {}, fmt(scores && scores.recall, 2)), h("td", {}, fmt(scores && scores.f1, 2)),
      h("td", {}, (model.created_at || "").replace("T", " ")),
      h("td", {},
        h("button", { class: "activate", disabled: model.active, onclick: async () => {
          try { await api(`models/${model.id}/activate`, { method: "POST" }); notify(`${model.name} is now active`); rerender(); } catch (error) { showError(error); }
        } }, "Activate"), " ",
        h("button", { class: "details", onclick: async () => {
          clear(details);
          try {
            const full = await renderReport(details, model.id);
            details.append(h("section", { class: "panel" }, h("h3", {}, "Configuration and data"),
              h("pre", { class: "log" }, JSON.stringify({ config: full.config, data: full.data || full.split || (full.config || {}).split }, null, 2))));
            details.scrollIntoView();
          } catch (error) { showError(error); }
        } }, "Details"), " ",
        h("a", { href: `${BASE}/models/${model.id}/bundle.zip`, download: "" }, "Download"), " ",
        h("button", { class: "danger delete", onclick: async () => {
          if (!confirm(`Delete model ${model.name}? Its bundle and report are removed for good.`)) return;
          try { await api(`models/${model.id}`, { method: "DELETE" }); notify(`${model.name} deleted`); rerender(); } catch (error) { showError(error); }
        } }, "Delete"))));
  }
  function rerender() {
    clear(root);
    renderModels(root, params).catch(showError);
  }
  root.append(h("div", { class: "toolbar" }, h("h2", {}, "Models"), wanted ? h("span", { class: "muted" }, `of dataset ${wanted.name}`) : null),
    h("section", { class: "panel" }, models.length ? table : "No models yet: train one on the Train page, or pretrain an embedder below."), details,
    pretrainForm(wanted ? [wanted] : datasets, recordings));
}
