// The labeling model: bouts being edited, with no DOM. Frames are 0-based, bouts [start, stop).
//
// Each bout has an origin: "human" (stored manual/confirmed), "predicted" (stored by a model)
// or "new" (added here), plus flags `changed` and `confirmed`. On commit only human, new,
// changed and confirmed bouts are sent; untouched predictions are dropped, and the stored
// predictions a person deleted are sent as rejected so they do not come back.

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
    // the predictions as stored: a stored prediction no longer here untouched was rejected or taken over
    this.storedPredictions = this.bouts.filter((b) => b.origin === "predicted" && isPending(b)).map((b) => ({ ...b }));
    this.history = []; // undo stack: snapshots of the bouts before each edit, with what the edit was
    this.future = []; // redo stack
    this.mutations = 0;
    this.dirty = false;
    this.threshold = 1; // predictions scored above this are hidden
    this.lastCut = []; // bouts the last drawn or moved bout cut: [{behavior, agent, before: [start, stop], after: [[start, stop]…]}]
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

  // Stored predictions a person deleted (or replaced by a changed or confirmed copy): the commit
  // sends them so the server removes them for good instead of showing them again as pending.
  rejectedPredictions() {
    const pendingNow = new Set(this.bouts.filter(isPending).map(_identity));
    return this.storedPredictions.filter((b) => !pendingNow.has(_identity(b)))
      .map((b) => ({ behavior: b.behavior, start: b.start, stop: b.stop, agent: b.agent, source: "predicted" }));
  }

  snapshot() {
    return this.bouts.map((b) => ({ ...b }));
  }

  // ---------------------------------------------------------------- edits
  // Every edit goes through _edit: it keeps the bouts as they were for undo (Ctrl+Z / Backspace)
  // and clears the redo stack (Ctrl+Shift+Z), so undo always reverts the last edit, whatever kind.
  _edit(what, change) {
    const before = this.snapshot();
    const result = change();
    if (!result) return result;
    this.history.push({ what, bouts: before });
    if (this.history.length > 500) this.history.shift();
    this.future = [];
    this.mutations += 1;
    this.dirty = true;
    return result;
  }

  undo() {
    const entry = this.history.pop();
    if (!entry) return null;
    this.future.push({ what: entry.what, bouts: this.snapshot() });
    this.bouts = entry.bouts;
    this.mutations += 1;
    this.dirty = true;
    return entry.what;
  }

  redo() {
    const entry = this.future.pop();
    if (!entry) return null;
    this.history.push({ what: entry.what, bouts: this.snapshot() });
    this.bouts = entry.bouts;
    this.mutations += 1;
    this.dirty = true;
    return entry.what;
  }

  add(behavior, first, last, agent = null) {
    const start = Math.max(0, Math.min(first, last));
    const stop = Math.min(this.nFrames, Math.max(first, last) + 1);
    return this._edit(`add ${behavior} [${start}, ${stop})`, () => {
      const bout = makeBout({ behavior, start, stop, agent, source: "manual", origin: "new" });
      this._giveWay(bout);
      this.bouts.push(bout);
      return bout;
    });
  }

  remove(bout) {
    if (!bout) return false;
    return this._edit(`delete ${bout.behavior} [${bout.start}, ${bout.stop})`, () => {
      this.bouts = this.bouts.filter((b) => b.key !== bout.key);
      return true;
    });
  }

  relabel(bout, behavior) {
    if (!bout || bout.behavior === behavior) return false;
    return this._edit(`relabel ${bout.behavior} as ${behavior}`, () => {
      this._replace(bout, { behavior, changed: true });
      return true;
    });
  }

  confirm(bout) {
    if (!bout) return false;
    return this._edit(`confirm ${bout.behavior} [${bout.start}, ${bout.stop})`, () => {
      this._replace(bout, { confirmed: true });
      return true;
    });
  }

  // Edits replace a bout by a changed copy (same key), so undo snapshots stay as they were.
  _replace(bout, fields) {
    const copy = { ...bout, ...fields };
    this.bouts = this.bouts.map((b) => (b.key === bout.key ? copy : b));
    return copy;
  }

  // `[`: the selected bout (if `frame` is before its end), else the bout under the playhead,
  // else the next one, starts at `frame`; the neighbours it now covers give way.
  setStart(frame, agent, selected = null) {
    const bout = (selected && this.visible().includes(selected) && frame < selected.stop ? selected : null)
      || this.at(frame, agent)
      || this.visible().filter((b) => b.start > frame && (agent === undefined || b.agent === agent))
        .sort((a, b) => a.start - b.start)[0];
    if (!bout || bout.start === frame) return null;
    return this._edit(`move the start of ${bout.behavior} to ${frame}`, () => {
      const moved = this._replace(bout, { start: frame, changed: true });
      this._giveWay(moved);
      return moved;
    });
  }

  // `]`: the selected bout (if `frame` is not before its start), else the bout under the playhead,
  // else the previous one, ends with `frame` (stop = frame + 1); the neighbours it now covers give way.
  setStop(frame, agent, selected = null) {
    const bout = (selected && this.visible().includes(selected) && frame >= selected.start ? selected : null)
      || this.at(frame, agent)
      || this.visible().filter((b) => b.stop <= frame && (agent === undefined || b.agent === agent))
        .sort((a, b) => b.stop - a.stop)[0];
    if (!bout || bout.stop === frame + 1) return null;
    return this._edit(`move the end of ${bout.behavior} to ${frame}`, () => {
      const moved = this._replace(bout, { stop: frame + 1, changed: true });
      this._giveWay(moved);
      return moved;
    });
  }

  // Neighbours of the same animal overlapping `bout` shrink, split or go; `lastCut` says which.
  _giveWay(bout) {
    const kept = [];
    this.lastCut = [];
    for (const other of this.bouts) {
      if (other.key === bout.key || other.agent !== bout.agent || other.stop <= bout.start || other.start >= bout.stop) {
        kept.push(other);
        continue;
      }
      let parts = [];
      if (other.start < bout.start && other.stop > bout.stop) {
        parts = [{ ...other, stop: bout.start }, makeBout({ ...other, start: bout.stop })];
      } else if (other.start < bout.start) {
        parts = [{ ...other, stop: bout.start }];
      } else if (other.stop > bout.stop) {
        parts = [{ ...other, start: bout.stop }];
      } // else fully covered: dropped
      kept.push(...parts);
      this.lastCut.push({ behavior: other.behavior, agent: other.agent, before: [other.start, other.stop],
        after: parts.map((p) => [p.start, p.stop]) });
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
    this.history = [];
    this.future = [];
    this.dirty = true;
  }
}

function _identity(bout) {
  return `${bout.behavior}|${bout.agent ?? ""}|${bout.start}|${bout.stop}`;
}

// "groom [100, 140) → [100, 120)" for each bout an edit cut; "" when it cut none.
export function describeCuts(cuts) {
  return cuts.map((c) => `${c.behavior}${c.agent ? ` (${c.agent})` : ""} [${c.before[0]}, ${c.before[1]}) → ` +
    (c.after.length ? c.after.map(([a, b]) => `[${a}, ${b})`).join(" + ") : "removed")).join("; ");
}

export function commitSource(bout) {
  if (bout.origin === "predicted") return bout.changed ? "manual" : "confirmed";
  if (bout.origin === "new") return "manual";
  return bout.changed && bout.source === "confirmed" ? "manual" : bout.source === "predicted" ? "confirmed" : bout.source;
}
