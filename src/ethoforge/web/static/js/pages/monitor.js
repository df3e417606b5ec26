// Training monitor (status, progress with ETA, live loss / F1 chart, cancel, resume, logs, report) and the job list.

import { api, items } from "../api.js";
import { FINAL, cancelJob, followJob, getJob, resumeJob } from "../jobs.js";
import { fmt, fmtDuration, h, showError } from "../ui.js";
import { taskTable } from "./pretrain.js";
import { renderReport } from "./report.js";

// What a job is doing, in words of its kind: a pre-label job is never "training".
const ACTIVE_WORDS = { train: "training", infer: "running inference", prelabel: "pre-labelling", pretrain: "pretraining" };

export function statusWords(kind, status) {
  if (status === "training") return ACTIVE_WORDS[kind] || "running";
  if (status === "pending") return "queued";
  return status;
}

// "queued: 2nd in line, after job #4 (training, 40 %)" from the list of jobs (oldest first in the queue).
export function queueNote(job, jobs) {
  const active = jobs.filter((j) => ["preparing", "training"].includes(j.status));
  const ahead = jobs.filter((j) => j.status === "pending" && j.id < job.id);
  const running = active.map((j) => `job #${j.id} (${statusWords(j.kind, j.status)}${j.progress && typeof j.progress.fraction === "number" ? `, ${Math.round(j.progress.fraction * 100)} %` : ""})`);
  const place = ahead.length + 1;
  const waits = running.length ? `waiting for ${running.join(", ")}` : "waiting for a worker to pick it up";
  return `queued: ${place}${["th", "st", "nd", "rd"][place % 10 < 4 && Math.floor(place / 10) !== 1 ? place % 10 : 0]} in line, ${waits}`;
}

export async function renderJobs(root) {
  const jobs = items(await api("jobs"), "jobs");
  const list = h("table", { id: "jobs-table" }, h("tr", {}, ["job", "kind", "status", "progress", "created"].map((t) => h("th", {}, t))),
    jobs.map((j) => h("tr", {}, h("td", {}, h("a", { href: `#/jobs/${j.id}` }, `#${j.id}`)), h("td", {}, j.kind),
      h("td", {}, h("span", { class: `badge ${j.status}` }, statusWords(j.kind, j.status))),
      h("td", {}, j.status === "completed" ? "100 %" : j.progress && j.progress.fraction !== undefined ? `${Math.round(j.progress.fraction * 100)} %` : "–"),
      h("td", {}, j.created_at || ""))));
  root.append(h("div", { class: "toolbar" }, h("h2", {}, "Jobs")), h("section", { class: "panel" }, jobs.length ? list : "No jobs yet."));
}

export async function renderMonitor(root, jobId) {
  const job = await getJob(jobId);
  const badge = h("span", { id: "job-status", class: `badge ${job.status}`, dataset: { status: job.status } }, statusWords(job.kind, job.status));
  const queue = h("span", { id: "job-queue", class: "muted" });
  const bar = h("progress", { id: "job-progress", max: 1, value: 0 });
  const eta = h("span", { id: "job-eta", class: "muted" });
  const stepText = h("span", { id: "job-step", class: "muted" });
  const cancel = h("button", { id: "cancel-job", class: "danger", onclick: async () => {
    if (!confirm(job.kind === "encode" ? `Cancel job ${jobId}? What is encoded so far is kept; resume it later.`
      : `Cancel job ${jobId}? Its partial model is discarded.`)) return;
    try { await cancelJob(jobId); } catch (error) { showError(error); }
  } }, "Cancel");
  // as the server's JobInfo.resumable (status messages carry only the status)
  const resumable = (status) => status === "failed" || (status === "cancelled" && job.kind === "encode");
  const resume = h("button", { id: "resume-job", hidden: !resumable(job.status),
    title: job.kind === "encode" ? "skip what is encoded, continue from the last finished chunk" : "continue from the last checkpoint",
    onclick: async () => {
      resume.disabled = true;
      try {
        await resumeJob(jobId);
        window.dispatchEvent(new HashChangeEvent("hashchange"));  // render the monitor again and follow the job
      } catch (error) { resume.disabled = false; showError(error); }
    } }, "Resume");
  const chart = h("canvas", { id: "job-chart", width: 720, height: 240, "aria-label": "loss and F1 per epoch" });
  const log = h("pre", { class: "log", id: "job-log" }, job.log || "");
  const errorBox = h("p", { id: "job-error", class: "error" });
  const report = h("section", { id: "job-report" });
  const tasks = h("div", { id: "job-tasks", hidden: job.kind !== "pretrain" });  // pretext tasks of the last epoch
  root.append(
    h("div", { class: "toolbar" }, h("h2", {}, `${{ train: "Training", prelabel: "Pre-label", encode: "Encoding", pretrain: "Pretraining" }[job.kind] || "Inference"} job #${jobId}`), badge, cancel, resume),
    h("section", { class: "panel" }, h("div", { class: "toolbar" }, bar, stepText, eta, queue), errorBox, chart, tasks),
    h("section", { class: "panel" }, h("h3", {}, "Log"), log),
    report);

  const trials = Number((job.params || {}).trials) || 1;
  let status = job.status;
  const showQueue = () => api("jobs").then((answer) => {
    if (status === "pending") queue.textContent = queueNote(job, items(answer, "jobs"));
  }).catch(() => {});
  const history = [];
  const seen = new Set();
  let reported = false;
  let logTimer = null;

  const addEpoch = (row) => {
    const key = `${row.trial ?? 0}:${row.epoch}`;
    if (seen.has(key)) return;
    seen.add(key);
    history.push(row);
    drawChart(chart, history);
  };

  const apply = (current) => {
    if (current.status) {
      status = current.status;
      badge.textContent = statusWords(job.kind, current.status);
      badge.className = `badge ${current.status}`;
      badge.dataset.status = current.status;
      cancel.disabled = FINAL.includes(current.status);
      cancel.hidden = FINAL.includes(current.status);
      resume.hidden = !resumable(current.status);
      if (current.status === "pending") showQueue(); else queue.textContent = "";
    }
    const progress = current.progress || {};
    const final = FINAL.includes(status);
    if (status === "completed") bar.value = 1;
    else if (typeof progress.fraction === "number") bar.value = progress.fraction;
    // an ETA only while the job runs: a finished, failed or cancelled job has none
    if (final) eta.textContent = status === "completed" ? "done" : "";
    else if (progress.eta_s !== undefined && progress.eta_s !== null) eta.textContent = `ETA ${fmtDuration(progress.eta_s)}`;
    if (progress.epoch !== undefined || (progress.metrics || {}).round !== undefined) stepText.textContent = stepLabel(progress, trials);
    else if (progress.stage) stepText.textContent = progress.stage;
    for (const row of progress.history || []) addEpoch(row);
    if (job.kind === "pretrain" && progress.metrics) {
      tasks.replaceChildren(taskTable(progress.metrics, "task-metrics"));
      tasks.dataset.epoch = String(progress.epoch ?? "");
    }
    if (current.log !== undefined) { log.textContent = current.log; log.scrollTop = log.scrollHeight; }
    if (current.error) errorBox.textContent = current.error;
  };
  apply(job);

  const refreshLog = () => {
    clearTimeout(logTimer);
    logTimer = setTimeout(() => getJob(jobId).then(apply).catch(showError), 300);
  };
  const finish = async (current) => {
    if (reported) return;
    reported = true;
    if (current.status === "completed") {
      bar.value = 1;
      eta.textContent = "done";
    }
    const final = await getJob(jobId);
    apply(final);
    const modelId = (final.result || {}).model_id;
    if (final.status === "completed" && ["train", "pretrain"].includes(final.kind) && modelId !== undefined) {
      await renderReport(report, modelId);
    } else if (final.status === "completed" && final.kind === "encode") {
      const done = ((final.result || {}).recordings || []).map((r) => `${r.recording}: ${r.frames} frames${r.cached ? " (cached)" : ""}`);
      report.append(h("p", { class: "panel", id: "encode-result" }, `Encoded with ${(final.result || {}).encoder}: ${done.join(", ")}.`));
    } else if (final.status === "completed" && !["train", "pretrain"].includes(final.kind)) {
      report.append(h("p", { class: "panel" }, "Results: ", h("a", { href: `#/inference?job=${jobId}` }, "open them on the Inference page"), "."));
    }
  };

  if (FINAL.includes(job.status)) {
    await finish(job);
    return () => {};
  }
  const stop = followJob(jobId, (message) => {
    switch (message.type) {
      case "state": apply(message.job); if (FINAL.includes(message.job.status)) finish(message.job).catch(showError); break;
      case "status_change": apply({ status: message.status }); refreshLog(); break;
      case "progress": apply({ progress: message.progress }); refreshLog(); break;
      case "epoch_complete": addEpoch(message.metrics); break;
      case "job_complete": apply({ status: message.status, error: message.error }); finish(message).catch(showError); break;
      default: break;
    }
  }, showError);
  return () => { stop(); clearTimeout(logTimer); };
}

// "trial 2/3 · epoch 4/20" (the trial only when there are several); for gbdt, whose progress
// comes in boosting rounds, "trial 1/2 · round 120/300 · val loss 0.214"
export function stepLabel(progress, trials = 1) {
  const metrics = progress.metrics || {};
  const boosting = metrics.round !== undefined;
  const trial = metrics.trial ?? progress.trial ?? 0;
  const what = boosting
    ? `round ${metrics.round}/${metrics.rounds}${Number.isFinite(metrics.val_loss) ? ` · val loss ${metrics.val_loss.toFixed(3)}` : ""}`
    : metrics.boosting_rounds !== undefined // a finished gbdt trial
      ? `${metrics.boosting_rounds} boosting rounds kept${Number.isFinite(metrics.val_macro_f1) ? ` · val F1 ${metrics.val_macro_f1.toFixed(3)}` : ""}`
      : `epoch ${progress.epoch}${progress.epochs ? `/${progress.epochs}` : ""}`;
  const n = Math.max(trials, trial + 1);
  return n > 1 ? `trial ${trial + 1}/${n} · ${what}` : what;
}

// Loss (left axis) and validation macro-F1 (right axis, 0–1) per epoch; each trial is its own set
// of lines over the same epoch axis (solid, dashed, dotted…), never joined to the next trial's.
export function drawChart(canvas, history) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width;
  const H = canvas.height;
  const pad = { l: 46, r: 46, t: 14, b: 26 };
  ctx.fillStyle = "#15181d";
  ctx.fillRect(0, 0, W, H);
  const rows = history.map((r, i) => ({ i, trial: r.trial ?? 0, epoch: Number.isFinite(r.epoch) ? r.epoch : i,
    loss: r.train_loss ?? r.loss, val: r.val_loss, f1: r.val_macro_f1 ?? r.f1 }));
  const trialIds = [...new Set(rows.map((r) => r.trial))];
  const n = Math.max(...rows.map((r) => r.epoch + 1), 2);
  const losses = rows.flatMap((r) => [r.loss, r.val]).filter(Number.isFinite);
  const maxLoss = Math.max(...losses, 0.1) * 1.1;
  const x = (epoch) => pad.l + (epoch / (n - 1)) * (W - pad.l - pad.r);
  const yLoss = (v) => pad.t + (1 - v / maxLoss) * (H - pad.t - pad.b);
  const yF1 = (v) => pad.t + (1 - v) * (H - pad.t - pad.b);
  ctx.strokeStyle = "#2a303a";
  ctx.strokeRect(pad.l, pad.t, W - pad.l - pad.r, H - pad.t - pad.b);
  ctx.fillStyle = "#9aa4b2";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`loss ${fmt(maxLoss, 2)}`, 2, pad.t + 8);
  ctx.fillText("F1 1.0", W - pad.r + 4, pad.t + 8);
  ctx.fillText("epoch", W / 2, H - 6);
  const dashes = [[], [6, 4], [2, 3], [8, 3, 2, 3]];
  const line = (trialRows, key, y, color, dash) => {
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.setLineDash(dash);
    ctx.beginPath();
    let started = false;
    for (const r of trialRows) {
      if (!Number.isFinite(r[key])) continue;
      if (started) ctx.lineTo(x(r.epoch), y(r[key])); else { ctx.moveTo(x(r.epoch), y(r[key])); started = true; }
    }
    ctx.stroke();
    ctx.setLineDash([]);
    for (const r of trialRows) if (Number.isFinite(r[key])) ctx.fillRect(x(r.epoch) - 2, y(r[key]) - 2, 4, 4);
  };
  trialIds.forEach((trial, k) => {
    const trialRows = rows.filter((r) => r.trial === trial);
    const dash = dashes[k % dashes.length];
    line(trialRows, "loss", yLoss, "#4f8cff", dash);
    line(trialRows, "val", yLoss, "#f58231", dash);
    line(trialRows, "f1", yF1, "#3cb44b", dash);
  });
  // the legend names the lines drawn (a pretraining job has losses, no F1)
  const series = [["train loss", "#4f8cff", "loss"], ["val loss", "#f58231", "val"], ["val macro F1", "#3cb44b", "f1"]];
  series.filter(([, , key]) => !rows.length || rows.some((r) => Number.isFinite(r[key]))).forEach(([label, color], k) => {
    ctx.fillStyle = color;
    ctx.fillText(label, pad.l + 8 + k * 100, pad.t + 14);
  });
  if (trialIds.length > 1) {
    ctx.fillStyle = "#9aa4b2";
    ctx.fillText(trialIds.map((t, k) => `trial ${t + 1} ${["solid", "dashed", "dotted", "dash-dot"][k % 4]}`).join(" · "), pad.l + 8, pad.t + 28);
  }
  canvas.dataset.epochs = String(rows.length);
  canvas.dataset.trials = String(trialIds.length);
  canvas.dataset.lines = JSON.stringify(trialIds.map((t) => rows.filter((r) => r.trial === t).map((r) => r.epoch)));
}

