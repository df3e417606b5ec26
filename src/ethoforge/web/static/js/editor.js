// The labeling model: bouts being edited, with no DOM. Frames are 0-based, bouts [start, stop).
//
// Each bout has an origin: "human" (stored manual/confirmed), "predicted" (stored by a model)
// or "new" (added here), plus flags `changed` and `confirmed`. On commit only human, new,
// changed and confirmed bouts are sent; untouched predictions are dropped.

let nextKey = 1;

export function makeBout(fields) {
  return {
    key: nextKey++, behavior: fields.behavior, start: fields.start, stop: fields.stop,
    agent: fields.agent ?? null, target: fields.target ?? null, score: fields.score ?? null,
    annotator: fields.annotator ?? null, source: fields.source ?? "manual",
    origin: fields.origin ?? (fields.source === "predicted" ? "predicted" : "human"),
    changed: Boolean(fields.changed), confirmed: Boolean(fields.confirmed) || fields.source === "confirmed",
  };
}

export function isPending(bout) {
  // a prediction nobody has looked at yet
  return bout.origin === "predicted" && !bout.changed && !bout.confirmed;
}

export class LabelModel {
  constructor({ behaviors, nFrames, bouts = [], review = false }) {
    this.behaviors = behaviors;
    this.nFrames = nFrames;
    this.review = review;
    this.bouts = bouts.map((b) => makeBout(b));
    this.added = []; // undo stack of {key, snapshot, mutation}
    this.mutations = 0;
    this.dirty = false;
    this.threshold = 1; // predictions scored above this are hidden
  }

  // ---------------------------------------------------------------- queries
  visible() {
    return this.bouts.filter((b) => !(isPending(b) && b.score !== null && b.score > this.threshold));
  }

  at(frame, agent) {
    const hits = this.visible().filter((b) => b.start <= frame && frame < b.stop);
    return hits.find((b) => b.agent === agent) || hits[0] || null;
  }

  agents() {
    const seen = new Set(this.bouts.map((b) => b.agent));
    return [...seen];
  }

  // Bouts to commit: everything a person made or looked at. Returns plain API bouts.
  toCommit() {
    return this.bouts
      .filter((b) => !isPending(b))
      .sort((a, b) => a.start - b.start || a.behavior.localeCompare(b.behavior))
      .map((b) => ({
        behavior: b.behavior, start: b.start, stop: b.stop, agent: b.agent, target: b.target,
        source: commitSource(b), score: commitSource(b) === "confirmed" ? b.score : null,
        annotator: b.annotator,
      }));
  }

  snapshot() {
    return this.bouts.map((b) => ({ ...b }));
  }

  // ---------------------------------------------------------------- edits
  _touch() {
    this.mutations += 1;
    this.dirty = true;
  }

  add(behavior, first, last, agent = null) {
    const start = Math.max(0, Math.min(first, last));
    const stop = Math.min(this.nFrames, Math.max(first, last) + 1);
    const snapshot = this.snapshot();
    const bout = makeBout({ behavior, start, stop, agent, source: "manual", origin: "new" });
    this._giveWay(bout);
    this.bouts.push(bout);
    this._touch();
    this.added.push({ key: bout.key, snapshot, mutation: this.mutations });
    return bout;
  }

  // Backspace: undo the last bout added (with the neighbours it trimmed, if nothing else changed since).
  undoAdd() {
    while (this.added.length) {
      const entry = this.added.pop();
      if (!this.bouts.some((b) => b.key === entry.key)) continue;
      if (entry.mutation === this.mutations) this.bouts = entry.snapshot;
      else this.bouts = this.bouts.filter((b) => b.key !== entry.key);
      this._touch();
      return true;
    }
    return false;
  }

  remove(bout) {
    if (!bout) return false;
    this.bouts = this.bouts.filter((b) => b.key !== bout.key);
    this._touch();
    return true;
  }

  relabel(bout, behavior) {
    if (!bout || bout.behavior === behavior) return false;
    bout.behavior = behavior;
    bout.changed = true;
    this._touch();
    return true;
  }

  confirm(bout) {
    if (!bout) return false;
    bout.confirmed = true;
    this._touch();
    return true;
  }

  // `[`: the selected bout (if `frame` is before its end), else the bout under the playhead,
  // else the next one, starts at `frame`; the neighbours it now covers give way.
  setStart(frame, agent, selected = null) {
    const bout = (selected && this.visible().includes(selected) && frame < selected.stop ? selected : null)
      || this.at(frame, agent)
      || this.visible().filter((b) => b.start > frame && (agent === undefined || b.agent === agent))
        .sort((a, b) => a.start - b.start)[0];
    if (!bout || bout.start === frame) return null;
    bout.start = frame;
    bout.changed = true;
    this._giveWay(bout);
    this._touch();
    return bout;
  }

  // `]`: the selected bout (if `frame` is not before its start), else the bout under the playhead,
  // else the previous one, ends with `frame` (stop = frame + 1); the neighbours it now covers give way.
  setStop(frame, agent, selected = null) {
    const bout = (selected && this.visible().includes(selected) && frame >= selected.start ? selected : null)
      || this.at(frame, agent)
      || this.visible().filter((b) => b.stop <= frame && (agent === undefined || b.agent === agent))
        .sort((a, b) => b.stop - a.stop)[0];
    if (!bout || bout.stop === frame + 1) return null;
    bout.stop = frame + 1;
    bout.changed = true;
    this._giveWay(bout);
    this._touch();
    return bout;
  }

  // Neighbours of the same animal overlapping `bout` shrink, split or go.
  _giveWay(bout) {
    const kept = [];
    for (const other of this.bouts) {
      if (other.key === bout.key || other.agent !== bout.agent || other.stop <= bout.start || other.start >= bout.stop) {
        kept.push(other);
      } else if (other.start < bout.start && other.stop > bout.stop) {
        kept.push({ ...other, stop: bout.start }, makeBout({ ...other, start: bout.stop }));
      } else if (other.start < bout.start) {
        kept.push({ ...other, stop: bout.start });
      } else if (other.stop > bout.stop) {
        kept.push({ ...other, start: bout.stop });
      } // else fully covered: dropped
    }
    this.bouts = kept;
  }

  // Tab / Shift+Tab targets: predictions in review mode, any bout when labeling.
  jumpTargets() {
    const list = this.visible().filter((b) => !this.review || b.origin === "predicted");
    return list.sort((a, b) => a.start - b.start);
  }

  next(frame) {
    return this.jumpTargets().find((b) => b.start > frame) || null;
  }

  previous(frame) {
    return this.jumpTargets().filter((b) => b.start < frame).pop() || null;
  }

  byKey(key) {
    return key === null ? null : this.bouts.find((b) => b.key === key) || null;
  }

  // ---------------------------------------------------------------- drafts
  toDraft() {
    return this.bouts.map(({ key, ...rest }) => rest);
  }

  loadDraft(bouts) {
    this.bouts = bouts.map((b) => makeBout(b));
    this.added = [];
    this.dirty = true;
  }
}

export function commitSource(bout) {
  if (bout.origin === "predicted") return bout.changed ? "manual" : "confirmed";
  if (bout.origin === "new") return "manual";
  return bout.changed && bout.source === "confirmed" ? "manual" : bout.source === "predicted" ? "confirmed" : bout.source;
}
