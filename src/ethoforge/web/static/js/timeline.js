// The zoomable timeline: one coloured lane per behavior and per animal, drawn on a canvas.
// A recording of several animals shows a lane per behavior for each of them (in the
// recording's order), after the lanes of bouts that name no animal.

import { COLORS } from "./ui.js";
import { isPending } from "./editor.js";

const LABEL_W = 120;
const RULER_H = 18;
const LANE_H = 20;
const OVERVIEW_H = 10;

export class Timeline {
  constructor(canvas, { behaviors, nFrames, onSeek, individuals = [] }) {
    this.canvas = canvas;
    this.behaviors = behaviors;
    this.individuals = individuals.length > 1 ? individuals : [];
    this.drawnLanes = [];
    this.nFrames = nFrames;
    this.viewStart = 0;
    this.viewLen = Math.min(nFrames, 600);
    canvas.addEventListener("mousedown", (e) => {
      const frame = this.frameAt(e.offsetX, e.offsetY);
      if (frame !== null) onSeek(frame);
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const frame = this.frameAt(e.offsetX, RULER_H + 1) ?? this.viewStart;
      this.zoom(e.deltaY < 0 ? 0.8 : 1.25, frame);
      this.onZoom?.();
    }, { passive: false });
  }

  // Lanes for the animals in `agents` (bouts' and the selected one) and every animal of the recording.
  lanes(agents) {
    const known = this.individuals;
    const list = [...new Set([...agents, ...known])].sort((a, b) => agentOrder(a, b, known));
    if (!list.length) list.push(null);
    return list.flatMap((agent) => this.behaviors.map((behavior, i) => ({ agent, behavior, color: COLORS[i % COLORS.length] })));
  }

  // Where frame `frame` starts and where lane `index` is centred, in CSS pixels of the canvas.
  xOf(frame) {
    return LABEL_W + ((frame - this.viewStart) / this.viewLen) * ((this.canvas.clientWidth || 800) - LABEL_W);
  }

  laneCentre(index) {
    return RULER_H + index * LANE_H + LANE_H / 2;
  }

  zoom(factor, around) {
    const len = Math.round(Math.min(this.nFrames, Math.max(20, this.viewLen * factor)));
    const centre = around ?? this.viewStart + this.viewLen / 2;
    const ratio = (centre - this.viewStart) / this.viewLen;
    this.viewLen = len;
    this.viewStart = Math.round(Math.max(0, Math.min(this.nFrames - len, centre - ratio * len)));
  }

  follow(frame) {
    if (frame < this.viewStart || frame >= this.viewStart + this.viewLen) {
      this.viewStart = Math.max(0, Math.min(this.nFrames - this.viewLen, frame - Math.floor(this.viewLen * 0.1)));
    }
  }

  frameAt(x, y) {
    const width = this.canvas.clientWidth - LABEL_W;
    if (x < LABEL_W) return null;
    if (y > this.canvas.clientHeight - OVERVIEW_H) {
      return Math.floor(((x - LABEL_W) / width) * this.nFrames);
    }
    return Math.min(this.nFrames - 1, Math.floor(this.viewStart + ((x - LABEL_W) / width) * this.viewLen));
  }

  draw({ model, playhead, agent, pending }) {
    const lanes = this.lanes([...model.agents(), agent]);
    this.drawnLanes = lanes;
    this.canvas.dataset.lanes = JSON.stringify(lanes.map((lane) => [lane.agent, lane.behavior]));
    const ratio = window.devicePixelRatio || 1;
    const cssW = this.canvas.clientWidth || 800;
    const cssH = RULER_H + lanes.length * LANE_H + OVERVIEW_H + 6;
    if (this.canvas.height !== Math.round(cssH * ratio) || this.canvas.width !== Math.round(cssW * ratio)) {
      this.canvas.width = Math.round(cssW * ratio);
      this.canvas.height = Math.round(cssH * ratio);
      this.canvas.style.height = `${cssH}px`;
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#15181d";
    ctx.fillRect(0, 0, cssW, cssH);
    const width = cssW - LABEL_W;
    const x = (frame) => LABEL_W + ((frame - this.viewStart) / this.viewLen) * width;
    const viewStop = this.viewStart + this.viewLen;

    // ruler
    ctx.fillStyle = "#9aa4b2";
    ctx.font = "11px system-ui, sans-serif";
    const step = niceStep(this.viewLen / 8);
    for (let f = Math.ceil(this.viewStart / step) * step; f < viewStop; f += step) {
      ctx.fillRect(x(f), RULER_H - 5, 1, 5);
      ctx.fillText(String(f), x(f) + 2, 11);
    }
    const visible = model.visible();
    lanes.forEach((lane, index) => {
      const top = RULER_H + index * LANE_H;
      ctx.fillStyle = index % 2 ? "#1b1f26" : "#1f242c";
      ctx.fillRect(LABEL_W, top, width, LANE_H);
      ctx.fillStyle = lane.color;
      ctx.fillRect(0, top + 4, 6, LANE_H - 8);
      ctx.fillStyle = lane.agent === agent ? "#e6e9ee" : "#8a93a0";
      const name = lane.agent ? `${lane.agent} · ${lane.behavior}` : this.individuals.length ? `any · ${lane.behavior}` : lane.behavior;
      ctx.fillText(fit(ctx, name, LABEL_W - 14), 10, top + 14);
      for (const bout of visible) {
        if (bout.behavior !== lane.behavior || bout.agent !== lane.agent) continue;
        if (bout.stop <= this.viewStart || bout.start >= viewStop) continue;
        const left = Math.max(LABEL_W, x(bout.start));
        const right = Math.min(cssW, x(bout.stop));
        const w = Math.max(1, right - left);
        ctx.globalAlpha = isPending(bout) ? 0.45 : 1;
        ctx.fillStyle = lane.color;
        ctx.fillRect(left, top + 3, w, LANE_H - 6);
        ctx.globalAlpha = 1;
        if (isPending(bout)) {
          ctx.strokeStyle = lane.color;
          ctx.setLineDash([3, 2]);
          ctx.strokeRect(left + 0.5, top + 3.5, w - 1, LANE_H - 7);
          ctx.setLineDash([]);
        }
        if (bout.confirmed) {
          ctx.strokeStyle = "#ffffff";
          ctx.lineWidth = 2;
          ctx.strokeRect(left + 1, top + 2, w - 2, LANE_H - 4);
          ctx.lineWidth = 1;
        }
      }
    });
    // pending mark
    if (pending && pending.frame >= this.viewStart && pending.frame < viewStop) {
      const lo = Math.min(pending.frame, playhead);
      const hi = Math.max(pending.frame, playhead) + 1;
      ctx.fillStyle = "rgba(255,255,255,0.18)";
      ctx.fillRect(x(lo), RULER_H, Math.max(1, x(hi) - x(lo)), lanes.length * LANE_H);
    }
    // playhead
    if (playhead >= this.viewStart && playhead < viewStop) {
      const px = x(playhead);
      const pw = Math.max(1, width / this.viewLen);
      ctx.fillStyle = "rgba(255, 230, 80, 0.35)";
      ctx.fillRect(px, RULER_H, pw, lanes.length * LANE_H);
      ctx.fillStyle = "#ffe650";
      ctx.fillRect(px, 0, 1.5, RULER_H + lanes.length * LANE_H);
    }
    // overview of the whole recording
    const oy = cssH - OVERVIEW_H - 2;
    ctx.fillStyle = "#2a303a";
    ctx.fillRect(LABEL_W, oy, width, OVERVIEW_H);
    ctx.fillStyle = "#9aa4b2";
    ctx.fillText("overview", 10, oy + 9);
    for (const bout of visible) {
      const color = COLORS[this.behaviors.indexOf(bout.behavior) % COLORS.length] || "#888";
      ctx.fillStyle = color;
      ctx.fillRect(LABEL_W + (bout.start / this.nFrames) * width, oy, Math.max(1, ((bout.stop - bout.start) / this.nFrames) * width), OVERVIEW_H);
    }
    ctx.strokeStyle = "#ffe650";
    ctx.strokeRect(LABEL_W + (this.viewStart / this.nFrames) * width, oy - 1, Math.max(2, (this.viewLen / this.nFrames) * width), OVERVIEW_H + 2);
  }
}

// No animal first, then the recording's animals in its order, then any others by name.
function agentOrder(a, b, known = []) {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  return String(a).localeCompare(String(b));
}

// `text`, cut to `width` pixels with an ellipsis.
function fit(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
