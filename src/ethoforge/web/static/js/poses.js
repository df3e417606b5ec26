// Poses (and video frames, when the recording has a video) for the labeling view.
// Poses are fetched in blocks of BLOCK frames and cached; drawing happens in requestAnimationFrame.

import { api, BASE } from "./api.js";
import { isDown } from "./connection.js";
import { COLORS } from "./ui.js";

export const BLOCK = 1000;
const MAX_BLOCKS = 24;

export class PoseSource {
  constructor(recording, onBlock) {
    this.recording = recording;
    this.blocks = new Map(); // block index -> {start, frames: Float32Array (n, individuals, keypoints, 2)}
    this.loading = new Map();
    this.onBlock = onBlock;
    this.bounds = null;
    this.image = null; // the last video frame loaded: {index, img}
    this.pendingImage = null; // the video frame being loaded: {frame, img}
    this.failedFrames = new Set(); // frames the server could not give: drawn from the poses
    this.hasVideo = Boolean(recording.video || recording.has_video || recording.video_path);
    this.cropMode = null; // "pose" | "auto": draw the animal-centred crop box of each frame
    this.crops = new Map(); // block index -> boxes [[x0, y0, x1, y1], ...] (video pixels)
  }

  setCropMode(mode) {
    this.cropMode = mode || null;
    this.crops.clear();
    this.onBlock?.(null);
  }

  cropBox(frame) {
    const index = Math.floor(frame / BLOCK);
    const boxes = this.crops.get(index);
    if (boxes) return boxes[frame - index * BLOCK] || null;
    if (boxes === undefined) {
      this.crops.set(index, null); // loading
      const start = index * BLOCK;
      const stop = Math.min(this.recording.n_frames, start + BLOCK);
      const mode = this.cropMode;
      api(`recordings/${this.recording.id}/crops?mode=${mode}&start=${start}&stop=${stop}`)
        .then((answer) => { if (mode === this.cropMode) { this.crops.set(index, answer.boxes); this.onBlock?.(null); } })
        .catch((error) => { this.crops.delete(index); this.cropMode = null; this.onBlock?.(error); });
    }
    return null;
  }

  block(frame) {
    const index = Math.floor(frame / BLOCK);
    const cached = this.blocks.get(index);
    if (cached) return cached;
    this.fetch(index);
    return null;
  }

  prefetch(frame) {
    const index = Math.floor(frame / BLOCK);
    for (const i of [index + 1, index - 1]) {
      if (i >= 0 && i * BLOCK < this.recording.n_frames && !this.blocks.has(i)) this.fetch(i);
    }
  }

  fetch(index) {
    if (this.loading.has(index)) return this.loading.get(index);
    const start = index * BLOCK;
    const stop = Math.min(this.recording.n_frames, start + BLOCK);
    const promise = api(`recordings/${this.recording.id}/poses?start=${start}&stop=${stop}`)
      .then((data) => {
        const block = normalise(data, start, stop);
        this.blocks.set(index, block);
        if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value);
        if (!this.bounds) this.bounds = robustBounds(block);
        this.loading.delete(index);
        this.onBlock?.(null);
        return block;
      })
      .catch((error) => {
        this.loading.delete(index);
        this.onBlock?.(error);
      });
    this.loading.set(index, promise);
    return promise;
  }

  // Draw frame `frame`; returns the index actually drawn (null if its data is not here yet).
  // With a video, a frame is drawn only once the server has decoded that very frame, so the
  // frame number shown always belongs to the picture; a frame the server cannot decode is
  // drawn from the poses alone. `canvas.dataset.videoFrame` names the video frame on screen.
  draw(canvas, frame) {
    const block = this.block(frame);
    this.prefetch(frame);
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    const useVideo = this.hasVideo && !this.failedFrames.has(frame);
    if (useVideo) this._requestImage(frame);
    const videoReady = useVideo && this.image && this.image.index === frame;
    if (useVideo ? !videoReady : !block) return null;
    ctx.fillStyle = "#0d0f12";
    ctx.fillRect(0, 0, w, h);
    let transform = this._transform(w, h);
    if (videoReady) {
      const img = this.image.img;
      const scale = Math.min(w / img.naturalWidth, h / img.naturalHeight);
      const ox = (w - img.naturalWidth * scale) / 2;
      const oy = (h - img.naturalHeight * scale) / 2;
      ctx.drawImage(img, ox, oy, img.naturalWidth * scale, img.naturalHeight * scale);
      transform = { scale, ox, oy, x0: 0, y0: 0 };
      canvas.dataset.videoFrame = String(frame);
      canvas.dataset.videoSrc = img.src;
      canvas.dataset.videoRect = [ox, oy, img.naturalWidth * scale, img.naturalHeight * scale].map((v) => v.toFixed(1)).join(",");
    } else {
      delete canvas.dataset.videoFrame;
      delete canvas.dataset.videoSrc;
      delete canvas.dataset.videoRect;
    }
    if (block) {
      const { individuals, keypoints, data } = block;
      const row = frame - block.start;
      const K = keypoints.length;
      const I = individuals.length;
      for (let i = 0; i < I; i += 1) {
        ctx.fillStyle = COLORS[(i * 2 + 5) % COLORS.length];
        ctx.strokeStyle = ctx.fillStyle;
        let cx = 0; let cy = 0; let n = 0;
        ctx.beginPath();
        for (let k = 0; k < K; k += 1) {
          const offset = ((row * I + i) * K + k) * 2;
          const x = data[offset];
          const y = data[offset + 1];
          if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
          const px = transform.ox + (x - transform.x0) * transform.scale;
          const py = transform.oy + (y - transform.y0) * transform.scale;
          ctx.moveTo(px + 4, py);
          ctx.arc(px, py, 4, 0, Math.PI * 2);
          cx += px; cy += py; n += 1;
        }
        ctx.fill();
        if (n) {
          ctx.font = "12px system-ui, sans-serif";
          ctx.fillText(individuals[i], cx / n + 8, cy / n - 8);
        }
      }
    }
    const box = this.cropMode ? this.cropBox(frame) : null;
    if (box) {
      const [x0, y0, x1, y1] = box;
      ctx.strokeStyle = "#ffd400";
      ctx.lineWidth = 2;
      ctx.strokeRect(transform.ox + (x0 - transform.x0) * transform.scale, transform.oy + (y0 - transform.y0) * transform.scale,
        (x1 - x0) * transform.scale, (y1 - y0) * transform.scale);
      canvas.dataset.cropBox = box.join(",");
    } else {
      delete canvas.dataset.cropBox;
    }
    return frame;
  }

  _transform(w, h) {
    const b = this.bounds || { x0: 0, y0: 0, x1: 1, y1: 1 };
    const scale = Math.min((w - 20) / Math.max(b.x1 - b.x0, 1e-6), (h - 20) / Math.max(b.y1 - b.y0, 1e-6));
    return { scale, x0: b.x0, y0: b.y0, ox: (w - (b.x1 - b.x0) * scale) / 2, oy: (h - (b.y1 - b.y0) * scale) / 2 };
  }

  // Ask the server for video frame `frame` (an older request still loading is dropped).
  _requestImage(frame) {
    if (isDown()) return; // the server is away: no frame requests until it is back
    if (this.pendingImage?.frame === frame || (this.image && this.image.index === frame)) return;
    if (this.pendingImage) {
      this.pendingImage.img.onload = null;
      this.pendingImage.img.onerror = null;
      this.pendingImage.img.src = "";
    }
    const img = new Image();
    this.pendingImage = { frame, img };
    img.onload = () => {
      if (this.pendingImage?.img === img) this.pendingImage = null;
      this.image = { index: frame, img };
      this.onBlock?.(null);
    };
    img.onerror = () => {
      if (this.pendingImage?.img === img) this.pendingImage = null;
      this.failedFrames.add(frame);
      this.onBlock?.(new Error(`frame ${frame} of the video could not be decoded by the server; showing the poses alone`));
    };
    img.src = `${BASE}/recordings/${this.recording.id}/frames/${frame}.jpg`;
  }
}

// Accepts the poses answer of the server and returns a flat Float32Array (frames, individuals, keypoints, xy).
export function normalise(data, start, stop) {
  const individuals = data.individuals || data.individual || ["animal"];
  const keypoints = data.keypoints || data.keypoint || [];
  const position = data.position || data.positions || data.poses;
  const frames = data.frames || data.time || null;
  const n = stop - start;
  const I = individuals.length;
  const K = keypoints.length;
  const out = new Float32Array(n * I * K * 2).fill(NaN);
  const dims = data.dims || ["time", "individual", "keypoint", "space"];
  // position[t] indexed in the order of `dims` (after time)
  const order = dims.filter((d) => d !== "time");
  for (let t = 0; t < Math.min(n, position.length); t += 1) {
    const frame = position[t];
    for (let i = 0; i < I; i += 1) for (let k = 0; k < K; k += 1) for (let s = 0; s < 2; s += 1) {
      const idx = { individual: i, keypoint: k, space: s };
      let value = frame;
      for (const d of order) value = value?.[idx[d]];
      if (value !== null && value !== undefined) out[((t * I + i) * K + k) * 2 + s] = value;
    }
  }
  return { start: frames ? frames[0] ?? start : (data.start ?? start), individuals, keypoints, data: out };
}

function robustBounds(block) {
  const xs = [];
  const ys = [];
  for (let j = 0; j < block.data.length; j += 2) {
    if (Number.isFinite(block.data[j])) { xs.push(block.data[j]); ys.push(block.data[j + 1]); }
  }
  if (!xs.length) return { x0: 0, y0: 0, x1: 1, y1: 1 };
  xs.sort((a, b) => a - b);
  ys.sort((a, b) => a - b);
  const q = (arr, p) => arr[Math.min(arr.length - 1, Math.max(0, Math.floor(p * arr.length)))];
  const x0 = q(xs, 0.01); const x1 = q(xs, 0.99); const y0 = q(ys, 0.01); const y1 = q(ys, 0.99);
  const px = (x1 - x0) * 0.1; const py = (y1 - y0) * 0.1;
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}
