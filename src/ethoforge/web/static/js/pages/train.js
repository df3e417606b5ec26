// Train: the training options with defaults and one-line help; submitting opens the monitor.

import { api, items } from "../api.js";
import { submitTraining } from "../jobs.js";
import { clear as clearChildren, field, go, h, showError } from "../ui.js";

// name, label, default, help, kind
export const OPTIONS = [
  ["sampling", "Method", "balanced", "balanced: class-balanced sampling · weighted: inverse-frequency loss weights · focal: focal loss for rare behaviors", ["balanced", "weighted", "focal"]],
  ["family", "Model family", "gbdt", "gbdt (the default, as on the command line): LightGBM on window features · conv_bilstm: fast sequence model · transformer: attention over time · cbas_head: CBAS-style head (smoothing, differences, BiLSTM, attention)", ["gbdt", "conv_bilstm", "transformer", "cbas_head"]],
  ["features", "Features", "pose", "pose: keypoints · video:motion: the video alone (encode it first) · pose+video:motion: both", ["pose", "video:motion", "pose+video:motion"]],
  ["window", "Window (frames)", 31, "Odd number of frames of context around each labelled frame.", "int"],
  ["batch_size", "Batch size", 256, "Windows per optimisation step; lower it if memory runs out.", "int"],
  ["lr", "Learning rate", 0.002, "AdamW step size; 1e-3 to 3e-3 works for most data.", "float"],
  ["epochs", "Epochs", 30, "Passes over the sampled training windows (early stopping may end sooner).", "int"],
  ["samples_per_epoch", "Samples per epoch", 4096, "Windows drawn per epoch; fewer trains faster.", "int"],
  ["trials", "Trials", 1, "Independent runs with different seeds; the best on validation is kept.", "int"],
  ["split_mode", "Split", "auto", "auto: whole recordings when that works, else time blocks · recordings: whole recordings on each side · blocks: contiguous time blocks of each recording, a gap of a window between training and validation (one or two labelled recordings)", ["auto", "recordings", "blocks"]],
  ["val_fraction", "Validation share", 0.2, "Share of recordings held out for validation (of labelled frames when split by time blocks).", "float"],
  ["test_fraction", "Test share", 0, "Share of recordings held out for the final report (0: report on validation).", "float"],
];

const GBDT_IGNORES = ["window", "batch_size", "lr", "epochs", "samples_per_epoch", "device"];

export async function renderTrain(root, params) {
  const datasets = items(await api("datasets"), "datasets");
  if (!datasets.length) {
    root.append(h("p", { class: "panel" }, "No dataset yet: ", h("a", { href: "#/datasets" }, "create one"), " and label it first."));
    return;
  }
  const datasetSelect = h("select", { id: "train-dataset", name: "dataset" },
    datasets.map((d) => h("option", { value: d.name, selected: String(d.id) === params.get("dataset") || d.name === params.get("dataset") }, d.name)));
  const inputs = {};
  const fields = OPTIONS.map(([name, label, value, help, kind]) => {
    const input = Array.isArray(kind)
      ? h("select", { id: `opt-${name}`, name }, kind.map((v) => h("option", { value: v, selected: v === value }, v)))
      : h("input", { id: `opt-${name}`, name, type: "number", value, step: kind === "int" ? 1 : "any", min: 0 });
    inputs[name] = { input, kind };
    return field(label, input, help);
  });
  // validation / test recordings chosen by name (else the shares above pick them), seed and device
  const splitBox = h("div", { class: "field", id: "split-recordings" });
  const seed = h("input", { id: "opt-seed", type: "number", value: 0, step: 1, min: 0 });
  const device = h("select", { id: "opt-device" }, ["auto", "cpu", "cuda"].map((v) => h("option", { value: v }, v)));
  const roleOf = {};
  const drawSplit = () => {
    const dataset = datasets.find((d) => d.name === datasetSelect.value);
    clearChildren(splitBox);
    for (const key of Object.keys(roleOf)) delete roleOf[key];
    splitBox.append(h("span", { class: "label" }, "Recordings"),
      h("table", { class: "split-table" }, h("tr", {}, ["recording", "train", "validation", "test"].map((t) => h("th", {}, t))),
        (dataset ? dataset.recordings : []).map((name) => {
          const radios = ["train", "val", "test"].map((role) => h("input", { type: "radio", name: `role-${name}`, value: role,
            "data-recording": name, onchange: () => { roleOf[name] = role; } }));
          return h("tr", {}, h("td", {}, name), radios.map((r) => h("td", {}, r)));
        })),
      h("small", { class: "help" }, "Pick the validation and test recordings by name; leave all unpicked to let the shares above choose."));
  };
  datasetSelect.addEventListener("change", drawSplit);
  drawSplit();
  const extra = h("textarea", { id: "opt-extra", rows: 2, placeholder: '{"patience": 8, "augment": "perm_id:p=0.5"}' });
  const activate = h("input", { type: "checkbox", id: "opt-activate", checked: true });
  const form = h("form", { id: "train-form", class: "panel" },
    h("div", { class: "toolbar" }, h("h2", {}, "Train"), datasetSelect),
    h("div", { class: "form-grid" }, fields,
      field("Seed", seed, "Seeds the split shuffle, sampling and initial weights: the same seed gives the same model."),
      field("Device", device, "auto: a CUDA GPU when there is one, else the CPU.")),
    splitBox,
    field("More options (JSON)", extra, "Any other training option by name, e.g. patience, weight_decay, augment, device."),
    h("label", { class: "inline" }, activate, "make the new model the dataset's active model"),
    h("div", { class: "toolbar" }, h("button", { type: "submit", class: "primary", id: "start-training" }, "Start training")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const options = {};
      for (const [name, { input, kind }] of Object.entries(inputs)) {
        if (Array.isArray(kind)) options[name] = input.value;
        else {
          const number = kind === "int" ? parseInt(input.value, 10) : parseFloat(input.value);
          if (!Number.isFinite(number)) throw new Error(`${name} must be a number, got “${input.value}”`);
          options[name] = number;
        }
      }
      options.split = { mode: options.split_mode, val_fraction: options.val_fraction, test_fraction: options.test_fraction };
      const picked = (role) => Object.entries(roleOf).filter(([, r]) => r === role).map(([name]) => name);
      if (Object.keys(roleOf).length) {
        const dataset = datasets.find((d) => d.name === datasetSelect.value);
        if (!picked("val").length) throw new Error("Pick at least one validation recording (or none at all, to let the shares choose).");
        options.split = { mode: options.split_mode, train: dataset.recordings.filter((name) => !["val", "test"].includes(roleOf[name])),
          val: picked("val"), test: picked("test") };
      }
      options.seed = parseInt(seed.value, 10) || 0;
      options.device = device.value;
      delete options.val_fraction;
      delete options.test_fraction;
      delete options.split_mode;
      // options of the torch loop that LightGBM does not use are not sent (the server would warn about them)
      if (options.family === "gbdt") for (const name of GBDT_IGNORES) delete options[name];
      if (extra.value.trim()) {
        let more;
        try { more = JSON.parse(extra.value); } catch (error) { throw new Error(`More options is not valid JSON: ${error.message}`); }
        Object.assign(options, more, more.split ? { split: { ...options.split, ...more.split } } : {});
      }
      options.activate = activate.checked;
      const job = await submitTraining(datasetSelect.value, options);
      go(`/jobs/${job.id ?? job.job_id}`);
    } catch (error) {
      showError(error);
    }
  });
  root.append(form);
}
