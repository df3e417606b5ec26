// Label and Review & Correct: the frame-exact labeling editor.

import { api, items } from "../api.js";
import { LabelModel, describeCuts, isPending } from "../editor.js";
import { onReconnect } from "../connection.js";
import { clearDraft, draftSlot, flushServer, loadDraft, otherDrafts, saveLocal, saveServer } from "../drafts.js";
import { PoseSource } from "../poses.js";
import { Timeline } from "../timeline.js";
import { COLORS, clear, go, h, notify, showError } from "../ui.js";
import { reviewControls } from "./review.js";

const KEY_HELP = [
  ["← / →", "previous / next frame (by the step)"],
  ["↑ / ↓", "double / halve the step"],
  ["1–9, 0", "behavior key at the start frame, again at the end frame: makes a bout"],
  ["Esc", "cancel a started bout; unselect"],
  ["Delete", "remove the bout under the playhead"],
  ["Backspace / Ctrl+Z", "undo the last edit (add, delete, relabel, confirm, move, cut)"],
  ["Ctrl+Shift+Z", "redo"],
  ["+ / −", "zoom the timeline in / out"],
  ["A", "next animal (its lanes): new bouts are that animal's; “any” names none"],
  ["Ctrl+S", "commit"],
];
const REVIEW_HELP = [
  ["Tab / Shift+Tab", "next / previous predicted bout"],
  ["[ / ]", "move start / end of the selected bout (the last one jumped to or edited; else the one under the playhead) to the playhead: neighbours give way"],
  ["1–9, 0", "on a bout: relabel it"],
  ["Enter", "confirm the bout (white border)"],
];

export async function renderLabel(root, params, { review = false } = {}) {
  const datasets = items(await api("datasets"), "datasets");
  if (!datasets.length) {
    root.append(h("section", { class: "panel" }, h("p", {}, "No dataset yet. "), h("a", { href: "#/datasets" }, "Create one first.")));
    return;
  }
  const dataset = datasets.find((d) => String(d.id) === params.get("dataset") || d.name === params.get("dataset")) || datasets[0];
  const recordings = items(await api("recordings"), "recordings").filter((r) => dataset.recordings.includes(r.name));
  const listed = recordings.find((r) => String(r.id) === params.get("recording") || r.name === params.get("recording")) || recordings[0];
  const recording = listed ? { ...listed, ...(await api(`recordings/${listed.id}`)) } : null;
  const page = review ? "/review" : "/label";

  const datasetSelect = h("select", { id: "dataset-select", "aria-label": "dataset",
    onchange: () => go(page, { dataset: datasetSelect.value }) },
  datasets.map((d) => h("option", { value: d.id, selected: d.id === dataset.id }, d.name)));
  const recordingSelect = h("select", { id: "recording-select", "aria-label": "recording",
    onchange: () => go(page, { dataset: dataset.id, recording: recordingSelect.value, model: params.get("model") }) },
  recordings.map((r) => h("option", { value: r.id, selected: recording && r.id === recording.id }, `${r.name} (${r.n_frames} frames)`)));
  const toolbar = h("div", { class: "toolbar page-toolbar", id: "page-toolbar" }, h("h2", {}, review ? "Review & Correct" : "Label"),
    datasetSelect, recordingSelect);
  root.append(toolbar);
  if (!recording) {
    root.append(h("p", { class: "panel" }, `Dataset ${dataset.name} has no recordings.`));
    return;
  }
  const editorHost = h("div", { id: "editor-host" });
  root.append(editorHost);
  if (review) {
    await reviewControls(root, toolbar, { dataset, recording, params, open: (labels) => openEditor(editorHost, { dataset, recording, labels, review: true }) });
  } else {
    const editorApi = await openEditor(editorHost, { dataset, recording, review: false });
    if (params.get("frame")) editorApi.seek(Number(params.get("frame")));
  }
}

async function fetchLabels(recording) {
  const answer = await api(`recordings/${recording.id}/labels`);
  return { bouts: items(answer, "bouts"), etag: answer.__etag || answer.etag || String(answer.version ?? "") };
}

export async function openEditor(host, { dataset, recording, review, labels }) {
  clear(host);
  document.onkeydown = null;
  const stored = labels || (await fetchLabels(recording));
  const model = new LabelModel({
    behaviors: dataset.behaviors, nFrames: recording.n_frames, review,
    bouts: stored.bouts.filter((b) => dataset.behaviors.includes(b.behavior)),
  });
  // bouts of behaviors this dataset does not have (another dataset's): not edited here, but sent
  // back with every commit, which replaces all the recording's human bouts
  let foreign = stored.bouts.filter((b) => !dataset.behaviors.includes(b.behavior));
  const state = { playhead: 0, step: 1, agent: null, pending: null, selected: null, drawn: null, etag: stored.etag, frameRequested: false };
  const agents = [null, ...(recording.individuals || [])];

  const slot = draftSlot(dataset.id, review); // one draft per page kind and dataset: none replaces another
  const draft = await loadDraft(recording.id, slot);
  const banner = h("div", { class: "draft-banner", id: "draft-banner", hidden: true, role: "status" });
  if (draft) {
    model.loadDraft(draft.bouts);
    state.playhead = Math.min(draft.playhead || 0, recording.n_frames - 1);
    state.etag = draft.base_etag ?? state.etag;
    banner.hidden = false;
    banner.append(`Restored your unsaved work from ${new Date(draft.saved_at).toLocaleString()} (not committed yet). `,
      h("button", { id: "discard-draft", onclick: async () => {
        if (!confirm("Discard the unsaved labels of this recording? This cannot be undone.")) return;
        try { await clearDraft(recording.id, slot); } catch (error) { showError(error); }
        openEditor(host, { dataset, recording, review });
      } }, "Discard draft"));
  }

  const elsewhere = await otherDraftsNote(recording, slot);
  const poseCanvas = h("canvas", { id: "pose-canvas", width: 640, height: 420, "aria-label": "poses of the current frame" });
  const frameOut = h("output", { id: "frame-display", "aria-live": "off" }, "–");
  const stepOut = h("span", { id: "step-display" });
  const agentOut = h("span", { id: "agent-display" });
  const pendingOut = h("span", { id: "pending-display" });
  const boutOut = h("div", { id: "bout-display", class: "muted" });
  const status = h("span", { id: "save-status", class: "muted" });
  const cutOut = h("div", { id: "cut-display", class: "muted", role: "status" });
  const commitButton = h("button", { id: "commit", class: "primary", onclick: () => commit() }, "Commit");
  const timelineCanvas = h("canvas", { id: "timeline", tabindex: "-1", "aria-label": "timeline" });
  const legend = h("div", { class: "legend" }, dataset.behaviors.map((b, i) =>
    h("span", { class: "chip", style: `border-color:${COLORS[i % COLORS.length]}` }, `${i < 10 ? (i + 1) % 10 : `⇧${(i + 1) % 10}`} ${b}`)));
  const help = h("dl", { class: "keys" }, [...KEY_HELP, ...(review ? REVIEW_HELP : [])].flatMap(([k, d]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, d)]));
  const editor = h("div", { id: "editor", class: "editor", tabindex: "0", "aria-label": "labeling editor: use the keyboard", dataset: { review: String(review) } },
    banner, elsewhere,
    h("div", { class: "editor-top" },
      h("div", { class: "viewer" }, poseCanvas,
        h("div", { class: "frame-line" }, frameOut, " · step ", stepOut, " · animal ", agentOut, " ", pendingOut),
        recording.video_note ? h("p", { id: "video-note", class: "warning", role: "note" },
          `No video shown: ${recording.video_note}. Showing the poses alone.`) : null),
      h("aside", { class: "side" }, legend, boutOut, cutOut, h("div", { class: "commit-line" }, commitButton, status), help)),
    h("div", { class: "timeline-scroll", id: "timeline-scroll" }, timelineCanvas));
  host.append(editor);

  const poses = new PoseSource(recording, (error) => { if (error) showError(error); schedule(); });
  if (recording.has_video) { // draw the animal-centred crop the video encoders can use (--crop pose | auto)
    const cropSelect = h("select", { id: "crop-select", "aria-label": "show crop", onchange: () => { poses.setCropMode(cropSelect.value); editor.focus(); } },
      [["", "no crop shown"], ...(recording.has_poses ? [["pose", "crop: pose"]] : []), ["auto", "crop: auto"]]
        .map(([value, text]) => h("option", { value }, text)));
    editor.querySelector(".frame-line")?.append(" ", cropSelect);
  }
  const timeline = new Timeline(timelineCanvas, { behaviors: dataset.behaviors, nFrames: recording.n_frames, individuals: recording.individuals || [], onSeek: (f) => { seek(f); editor.focus(); } });
  timeline.onZoom = () => schedule();
  host.editorApi = { model, state, schedule: () => schedule(), seek: (f) => seek(f), timeline };

  function schedule() {
    if (state.frameRequested) return;
    state.frameRequested = true;
    requestAnimationFrame(render);
  }

  function render() {
    state.frameRequested = false;
    const drawn = poses.draw(poseCanvas, state.playhead);
    if (drawn !== null) {
      state.drawn = drawn;
      const seconds = (drawn / recording.fps).toFixed(3);
      frameOut.textContent = `frame ${drawn} / ${recording.n_frames - 1} · ${seconds} s`;
      frameOut.dataset.frame = String(drawn);
      poseCanvas.dataset.frame = String(drawn);
    } else {
      frameOut.textContent = `loading frame ${state.playhead}…`;
    }
    stepOut.textContent = String(state.step);
    agentOut.textContent = state.agent ?? "any";
    pendingOut.textContent = state.pending ? `· marking ${state.pending.behavior} from frame ${state.pending.frame} (press its key again at the end frame)` : "";
    const bout = model.at(state.playhead, state.agent);
    const selected = model.byKey(state.selected);
    boutOut.textContent = (bout
      ? `${bout.behavior} [${bout.start}, ${bout.stop}) ${bout.agent ? `· ${bout.agent} ` : ""}· ${describe(bout)}`
      : "no bout under the playhead")
      + (selected && selected !== bout ? ` · selected: ${selected.behavior} [${selected.start}, ${selected.stop})` : "");
    boutOut.dataset.selected = selected ? `${selected.behavior} [${selected.start}, ${selected.stop})` : "";
    timeline.follow(state.playhead);
    timeline.draw({ model, playhead: state.playhead, agent: state.agent, pending: state.pending });
    status.textContent = model.dirty ? "unsaved changes (kept as a draft)" : "all changes committed";
    editor.dataset.bouts = String(model.visible().length);
  }

  function seek(frame) {
    state.playhead = Math.max(0, Math.min(recording.n_frames - 1, frame));
    schedule();
  }

  function changed() {
    const draftNow = { dataset: dataset.id, review, recording: recording.id, base_etag: state.etag, saved_at: Date.now(),
      playhead: state.playhead, bouts: model.toDraft() };
    saveLocal(recording.id, slot, draftNow);
    saveServer(recording.id, slot, draftNow, (error) => showError(error));
    schedule();
  }

  function behaviorOf(event) {
    const match = /^Digit(\d)$/.exec(event.code) || /^Numpad(\d)$/.exec(event.code);
    if (!match) return null;
    const digit = Number(match[1]);
    const index = (digit === 0 ? 9 : digit - 1) + (event.shiftKey ? 10 : 0);
    return dataset.behaviors[index] ?? null;
  }

  function onKey(event) {
    const target = event.target;
    const inControl = target instanceof HTMLElement && target.closest("input, select, textarea, button, a, dialog");
    if (inControl) {
      if (event.key === "Escape") editor.focus();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      commit();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (event.shiftKey) redo(); else undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const behavior = behaviorOf(event);
    let handled = true;
    if (behavior) {
      const bout = model.at(state.playhead, state.agent);
      if (review && !state.pending && bout) {
        if (model.relabel(bout, behavior)) notify(`relabelled as ${behavior}`);
        state.selected = bout.key;
        changed();
      } else if (state.pending && state.pending.behavior === behavior) {
        model.add(behavior, state.pending.frame, state.playhead, state.agent);
        state.pending = null;
        showCuts();
        changed();
      } else {
        state.pending = { behavior, frame: state.playhead };
      }
    } else {
      switch (event.key) {
        case "ArrowRight": seek(state.playhead + state.step); break;
        case "ArrowLeft": seek(state.playhead - state.step); break;
        case "ArrowUp": state.step = Math.min(4096, state.step * 2); break;
        case "ArrowDown": state.step = Math.max(1, Math.floor(state.step / 2)); break;
        case "Escape": state.pending = null; state.selected = null; break;
        case "Delete": if (model.remove(model.at(state.playhead, state.agent))) changed(); break;
        case "Backspace": undo(); break;
        case "+": case "=": timeline.zoom(0.5, state.playhead); break;
        case "-": case "_": timeline.zoom(2, state.playhead); break;
        case "a": case "A": state.agent = agents[(agents.indexOf(state.agent) + 1) % agents.length]; break;
        case "Home": seek(0); break;
        case "End": seek(recording.n_frames - 1); break;
        case "Tab": {
          const bout = event.shiftKey ? model.previous(state.playhead) : model.next(state.playhead);
          if (bout) { state.selected = bout.key; seek(bout.start); } else notify(event.shiftKey ? "no bout before this frame" : "no bout after this frame");
          break;
        }
        case "[": case "]": {
          const moved = event.key === "[" ? model.setStart(state.playhead, state.agent, model.byKey(state.selected))
            : model.setStop(state.playhead, state.agent, model.byKey(state.selected));
          if (moved) { state.selected = moved.key; showCuts(); changed(); }
          break;
        }
        case "Enter": {
          const bout = model.at(state.playhead, state.agent);
          if (model.confirm(bout)) { state.selected = bout.key; changed(); }
          break;
        }
        default: handled = false;
      }
    }
    if (handled) {
      event.preventDefault();
      schedule();
    }
  }
  function undo() {
    const what = model.undo();
    cutOut.textContent = "";
    if (what) { notify(`undone: ${what}`); changed(); } else notify("nothing left to undo");
  }

  function redo() {
    const what = model.redo();
    cutOut.textContent = "";
    if (what) { notify(`redone: ${what}`); changed(); } else notify("nothing to redo");
  }

  // an edit that cut other bouts says which, and how (Ctrl+Z puts them back)
  function showCuts() {
    const text = describeCuts(model.lastCut);
    cutOut.textContent = text ? `cut: ${text} (Ctrl+Z undoes)` : "";
    if (text) notify(`cut ${text}`);
  }

  document.onkeydown = onKey;
  onReconnect(() => schedule()); // draw again (video frame, poses) once the server is back
  window.onbeforeunload = () => {
    if (!model.dirty) return undefined;
    const draftNow = { dataset: dataset.id, review, recording: recording.id, base_etag: state.etag, saved_at: Date.now(),
      playhead: state.playhead, bouts: model.toDraft() };
    saveLocal(recording.id, slot, draftNow);
    return undefined; // the draft is safe; no need to nag
  };

  async function commit(force = false) {
    commitButton.disabled = true;
    try {
      await flushServer(recording.id, slot, { dataset: dataset.id, review, recording: recording.id, base_etag: state.etag,
        saved_at: Date.now(), playhead: state.playhead, bouts: model.toDraft() }).catch(() => {});
      if (force) { // the user chose to replace the newer version (of this dataset's behaviors)
        const latest = await fetchLabels(recording);
        state.etag = latest.etag;
        foreign = latest.bouts.filter((b) => !dataset.behaviors.includes(b.behavior));
      }
      const bouts = model.toCommit();
      const headers = state.etag ? { "If-Match": state.etag } : {};
      const body = { bouts: [...bouts, ...foreign], rejected_predictions: model.rejectedPredictions() };
      const answer = await api(`recordings/${recording.id}/labels`, { method: "PUT", body, headers });
      await clearDraft(recording.id, slot).catch((error) => showError(error));
      notify(`committed ${bouts.length} bouts`);
      const fresh = await fetchLabels(recording);
      fresh.etag = answer.__etag || fresh.etag;
      banner.hidden = true;
      const playhead = state.playhead;
      await openEditor(host, { dataset, recording, review, labels: review ? fresh : undefined });
      host.editorApi.seek(playhead);
      host.querySelector("#save-status").textContent = `committed ${bouts.length} bouts`;
      host.dataset.commits = String(Number(host.dataset.commits || 0) + 1); // one more commit stored
    } catch (error) {
      if (error.status === 409 || error.status === 412) {
        showError(new Error(`Commit refused: someone else committed labels for ${recording.name} after you opened it. ` +
          "Your work is kept as a draft. Press “Overwrite with mine” to replace their version with yours, or discard your draft to see theirs."));
        commitButton.after(h("button", { id: "force-commit", onclick: (e) => { e.target.remove(); commit(true); } }, "Overwrite with mine"));
      } else {
        showError(error);
      }
    } finally {
      commitButton.disabled = false;
    }
  }

  editor.focus();
  schedule();
  return host.editorApi;
}

// A line naming the recording's uncommitted drafts made elsewhere (the other page, another
// dataset), each with a link that opens it, so no draft is out of sight; null when none.
async function otherDraftsNote(recording, slot) {
  const others = await otherDrafts(recording.id, slot);
  if (!others.length) return null;
  let names = new Map();
  try { names = new Map(items(await api("datasets"), "datasets").map((d) => [d.id, d.name])); } catch { /* ids will do */ }
  return h("div", { class: "draft-banner", id: "other-drafts", role: "status" },
    "Also not committed for this recording: ",
    others.flatMap((d, i) => [i ? "; " : "", h("a", {
      href: `#/${d.review ? "review" : "label"}?dataset=${d.dataset}&recording=${recording.id}`,
      dataset: { slot: d.slot },
    }, `${d.bouts} bouts on ${d.review ? "Review & Correct" : "Label"} of dataset ${names.get(d.dataset) ?? d.dataset}`),
    d.saved_at ? ` (${new Date(d.saved_at).toLocaleString()})` : ""]), ".");
}

function describe(bout) {
  if (isPending(bout)) return `predicted, confidence ${bout.score === null ? "?" : bout.score.toFixed(2)} (Enter confirms)`;
  if (bout.origin === "predicted") return bout.changed ? "prediction you changed" : "prediction you confirmed";
  if (bout.origin === "new") return "added now, not committed";
  return `${bout.source}${bout.changed ? ", changed" : ""}`;
}
