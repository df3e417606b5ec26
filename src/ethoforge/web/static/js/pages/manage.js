// Manage recordings: undo an import mistake — rename, set the true frame rate, delete (confirmed).

import { api, items } from "../api.js";
import { clear, h, notify, showError } from "../ui.js";

export async function renderManage(root) {
  const recordings = items(await api("recordings"), "recordings");
  const table = h("table", { id: "recordings-table" },
    h("tr", {}, ["id", "name", "frames", "fps", "bouts", ""].map((t) => h("th", {}, t))));
  for (const rec of recordings) {
    const name = h("input", { class: "rename", value: rec.name, "aria-label": `new name of ${rec.name}`, size: 40 });
    const fps = h("input", { class: "fps", type: "number", min: "0.001", step: "any", value: rec.fps,
      "aria-label": `frame rate of ${rec.name}` });
    table.append(h("tr", { dataset: { recording: rec.name } },
      h("td", {}, String(rec.id)), h("td", {}, name), h("td", {}, rec.n_frames.toLocaleString()),
      h("td", {}, fps), h("td", {}, String(rec.n_bouts)),
      h("td", {},
        h("button", { class: "save", onclick: () => save(rec, name.value.trim(), Number(fps.value)) }, "Save"), " ",
        h("button", { class: "danger delete", onclick: () => remove(rec) }, "Delete"))));
  }

  async function save(rec, newName, newFps) {
    const body = {};
    if (newName && newName !== rec.name) body.name = newName;
    if (newFps && newFps !== rec.fps) body.fps = newFps;
    if (!Object.keys(body).length) return;
    try {
      let done;
      try {
        done = await api(`recordings/${rec.id}`, { method: "PATCH", body });
      } catch (error) {
        if (error.status !== 409 || body.fps === undefined || !confirm(`${error.message}\n\nDrop those bouts?`)) throw error;
        done = await api(`recordings/${rec.id}`, { method: "PATCH", body: { ...body, confirm: true } });
      }
      const moved = done.bouts_rescaled !== undefined ? `; ${done.bouts_rescaled} bouts moved to the same seconds` : "";
      notify(`${done.name}: ${done.fps} fps${moved}`);
      rerender();
    } catch (error) { showError(error); }
  }

  async function remove(rec) {
    const question = rec.n_bouts
      ? `Delete recording ${rec.name} and its ${rec.n_bouts} bouts? Its labels are lost for good.`
      : `Delete recording ${rec.name}?`;
    if (!confirm(question)) return;
    try {
      await api(`recordings/${rec.id}?confirm=true`, { method: "DELETE" });
      notify(`${rec.name} deleted`);
      rerender();
    } catch (error) { showError(error); }
  }

  function rerender() {
    clear(root);
    renderManage(root).catch(showError);
  }

  root.append(h("div", { class: "toolbar" }, h("h2", {}, "Manage recordings")),
    h("p", { class: "muted" }, "Rename a recording, set its true frame rate (labels keep their times in seconds) or delete it."),
    h("section", { class: "panel" }, recordings.length ? table : "No recordings yet: `ethoforge import poses FILES`."));
}
