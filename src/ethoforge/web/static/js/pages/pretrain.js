// Pretrain an embedder (self-supervised, no labels): recordings or a dataset, preset, epochs and
// pretext tasks; submitting starts a `pretrain` job and opens its monitor.

import { submitPretraining } from "../jobs.js";
import { clear, field, fmt, go, h, showError } from "../ui.js";

export const TASKS = [
  ["cons", "group consistency: were some animals swapped in from elsewhere? (two or more animals)"],
  ["order", "temporal order: is the spliced second half later in time?"],
  ["shift", "shift: are some animals delayed or ahead? (two or more animals)"],
  ["warp", "warp: is the window played faster or slower?"],
  ["mask", "mask: reconstruct hidden keypoints"],
];

export function pretrainForm(datasets, recordings) {
  const withPoses = recordings.filter((r) => r.has_poses !== false);
  const source = h("select", { id: "pretrain-source" }, h("option", { value: "" }, "all recordings"),
    datasets.map((d) => h("option", { value: d.name }, `dataset ${d.name}`)));
  const picks = h("div", { id: "pretrain-recordings", class: "checks" });
  const drawPicks = () => {
    clear(picks);
    const dataset = datasets.find((d) => d.name === source.value);
    const names = dataset ? dataset.recordings : withPoses.map((r) => r.name);
    picks.append(...names.map((name) => h("label", { class: "inline" },
      h("input", { type: "checkbox", value: name, dataset: { recording: name } }), name)));
  };
  source.addEventListener("change", drawPicks);
  drawPicks();
  const preset = h("select", { id: "pretrain-preset" }, h("option", { value: "small" }, "small"), h("option", { value: "lisbet" }, "lisbet"));
  const epochs = h("input", { id: "pretrain-epochs", type: "number", value: 10, min: 1, step: 1 });
  const tasks = h("div", { id: "pretrain-tasks", class: "checks" }, TASKS.map(([name, help]) => h("label", { class: "inline", title: help },
    h("input", { type: "checkbox", value: name, checked: true }), name)));
  const name = h("input", { id: "pretrain-name", type: "text", maxlength: 128, placeholder: "default: <dataset>-embedder-<id>" });
  const extra = h("textarea", { id: "pretrain-extra", rows: 2, placeholder: '{"window": 64, "train_sample": 0.05, "augment": "perm_id:p=0.5"}' });
  const form = h("form", { id: "pretrain-form", class: "panel" },
    h("h3", {}, "Pretrain an embedder"),
    h("p", { class: "muted" }, "Self-supervised: no labels needed. The embedder is registered as a model of kind embedder, "
      + "for fine-tuning (train --init-from), embedding features and behavior discovery."),
    h("div", { class: "form-grid" },
      field("Recordings", source, "A dataset's recordings, or every recording; tick some below to use only those."),
      field("Preset", preset, "small: 32 × 4 layers × 4 heads × 64, for the CPU · lisbet: 64 × 8 layers × 8 heads × 256"),
      field("Epochs", epochs, "Each epoch draws a share of all windows per task (train_sample) and scores held-out samples.")),
    picks,
    h("div", { class: "field" }, h("span", { class: "label" }, "Pretext tasks"), tasks,
      h("small", { class: "help" }, "All ticked: every task the data allow (cons and shift need two animals).")),
    field("Name", name, "Registry name of the embedder (optional)."),
    field("More options (JSON)", extra, "Any other pretraining option by name: window, emb_dim, layers, heads, hidden, train_sample, batch_size, lr, seed, device…"),
    h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary", id: "start-pretraining" }, "Start pretraining")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const params = { preset: preset.value, epochs: parseInt(epochs.value, 10) };
      if (!Number.isFinite(params.epochs)) throw new Error(`Epochs must be a whole number, got “${epochs.value}”`);
      const ticked = [...tasks.querySelectorAll("input:checked")].map((input) => input.value);
      if (!ticked.length) throw new Error("Tick at least one pretext task.");
      if (ticked.length < TASKS.length) params.tasks = ticked;
      const chosen = [...picks.querySelectorAll("input:checked")].map((input) => input.value);
      if (chosen.length) params.recordings = chosen;
      if (name.value.trim()) params.model_name = name.value.trim();
      if (extra.value.trim()) {
        let more;
        try { more = JSON.parse(extra.value); } catch (error) { throw new Error(`More options is not valid JSON: ${error.message}`); }
        Object.assign(params, more);
      }
      const job = await submitPretraining(source.value || null, params);
      go(`/jobs/${job.id}`);
    } catch (error) {
      showError(error);
    }
  });
  return form;
}

// Per pretext task: train loss, held-out loss and held-out accuracy (mask: R²), from an epoch's
// metrics (a job's progress) or an embedder's registered metrics (held-out only).
export function taskTable(metrics, id) {
  const tasks = TASKS.map(([task]) => task).filter((task) => metrics && metrics[`val_${task}_loss`] !== undefined);
  return h("table", { id, class: "task-metrics" },
    h("tr", {}, ["task", "train loss", "held-out loss", "held-out accuracy"].map((t) => h("th", {}, t))),
    tasks.map((task) => h("tr", { dataset: { task } }, h("td", {}, task), h("td", {}, fmt(metrics[`${task}_loss`])),
      h("td", {}, fmt(metrics[`val_${task}_loss`])), h("td", { class: "accuracy" }, fmt(metrics[`val_${task}_accuracy`])))));
}
