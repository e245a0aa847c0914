// The task list: add, inline edit, complete toggle, delete and filters. The server renders the
// list (one template for the first paint and every redraw); this module calls the API and then
// fetches the freshly rendered list.

import { api, sessionEnded } from "./api.js";

const FILTERS = ["all", "pending", "completed"];

export function createTaskList({ root, addForm, statusLine, editTemplate }) {
  const requested = new URL(window.location.href).searchParams.get("status");
  let filter = FILTERS.includes(requested) ? requested : "all";
  let latestRefresh = 0;
  let editing = null; // {id, title, description} while an edit form is open

  function announce(message, { error = false } = {}) {
    statusLine.textContent = message;
    statusLine.classList.toggle("error", error);
  }

  function itemOf(id) {
    return root.querySelector(`[data-task-id="${CSS.escape(String(id))}"]`);
  }

  function titleOf(item) {
    return item.querySelector(".task-title").textContent;
  }

  // Where the keyboard was, so a redraw does not throw it back to the top of the page.
  function focusedControl() {
    const active = document.activeElement;
    const item = active && active.closest("[data-task-id]");
    if (!item || !root.contains(item)) return null;
    return { id: item.dataset.taskId, action: active.dataset.action };
  }

  async function refresh() {
    const thisRefresh = ++latestRefresh;
    root.setAttribute("aria-busy", "true");
    let html;
    try {
      const response = await fetch(`/dashboard/tasks?status=${filter}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      if (response.status === 401) return sessionEnded();
      html = await response.text();
    } catch {
      if (thisRefresh === latestRefresh) {
        announce("Can't reach the server. Check your connection and try again.", { error: true });
        root.setAttribute("aria-busy", "false");
      }
      return;
    }
    if (thisRefresh !== latestRefresh) return; // a newer redraw is on its way
    const focus = focusedControl();
    const editorHadFocus = Boolean(root.querySelector(".task-edit")?.contains(document.activeElement));
    root.innerHTML = html;
    root.setAttribute("aria-busy", "false");
    // A redraw caused by the assistant must not throw away an edit in progress.
    if (editing && itemOf(editing.id)) openEditor(itemOf(editing.id), editing, editorHadFocus);
    else editing = null;
    if (focus && !editing) {
      const item = itemOf(focus.id);
      item?.querySelector(`[data-action="${focus.action}"]`)?.focus();
    }
  }

  async function act(work) {
    try {
      await work();
    } catch (error) {
      announce(error.message, { error: true });
    }
    await refresh();
  }

  function openEditor(item, values, takeFocus = true) {
    closeEditor();
    const form = editTemplate.content.firstElementChild.cloneNode(true);
    form.elements.title.value = values.title;
    form.elements.description.value = values.description;
    item.classList.add("editing");
    item.append(form);
    editing = { id: item.dataset.taskId, ...values };
    form.addEventListener("input", () => {
      editing.title = form.elements.title.value;
      editing.description = form.elements.description.value;
    });
    if (takeFocus) form.elements.title.focus();
  }

  function closeEditor() {
    const open = root.querySelector(".task-edit");
    if (!open) return;
    const item = open.closest("[data-task-id]");
    open.remove();
    item.classList.remove("editing");
    editing = null;
    item.querySelector('[data-action="edit"]').focus();
  }

  addForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { title: titleInput, description: descriptionInput } = addForm.elements;
    const title = titleInput.value.trim();
    const description = descriptionInput.value.trim();
    if (!title) return;
    // Cleared at once, so the next task can be typed while this one is saved.
    addForm.reset();
    titleInput.focus();
    act(async () => {
      try {
        await api("tasks", { method: "POST", body: { title, description: description || null } });
      } catch (error) {
        if (!titleInput.value) {
          titleInput.value = title;
          descriptionInput.value = description;
        }
        throw error;
      }
      announce(`Added “${title}”.`);
    });
  });

  root.addEventListener("change", (event) => {
    const toggle = event.target.closest('[data-action="toggle"]');
    if (!toggle) return;
    const item = toggle.closest("[data-task-id]");
    act(async () => {
      const task = await api(`tasks/${item.dataset.taskId}/complete`, { method: "PATCH" });
      announce(`Marked “${task.title}” as ${task.completed ? "done" : "not done"}.`);
    });
  });

  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-filter]");
    if (link) {
      event.preventDefault();
      filter = link.dataset.filter;
      const url = new URL(window.location.href);
      url.searchParams.set("status", filter);
      window.history.replaceState(null, "", url);
      refresh().then(() => root.querySelector(`a[data-filter="${filter}"]`)?.focus());
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const item = button.closest("[data-task-id]");
    switch (button.dataset.action) {
      case "retry":
        refresh();
        break;
      case "edit": {
        const description = item.querySelector(".task-description");
        openEditor(item, { title: titleOf(item), description: description?.textContent ?? "" });
        break;
      }
      case "cancel":
        closeEditor();
        break;
      case "delete": {
        const title = titleOf(item);
        const next = item.nextElementSibling ?? item.previousElementSibling;
        act(async () => {
          await api(`tasks/${item.dataset.taskId}`, { method: "DELETE" });
          announce(`Deleted “${title}”.`);
        }).then(() => {
          const target = next && itemOf(next.dataset.taskId);
          (target?.querySelector('[data-action="toggle"]') ?? addForm.elements.title).focus();
        });
        break;
      }
    }
  });

  root.addEventListener("submit", (event) => {
    const form = event.target.closest(".task-edit");
    if (!form) return;
    event.preventDefault();
    const item = form.closest("[data-task-id]");
    const title = form.elements.title.value.trim();
    const description = form.elements.description.value.trim();
    if (!title) return;
    act(async () => {
      await api(`tasks/${item.dataset.taskId}`, {
        method: "PUT",
        body: { title, description: description || null },
      });
      editing = null;
      announce(`Saved “${title}”.`);
    }).then(() => itemOf(item.dataset.taskId)?.querySelector('[data-action="edit"]')?.focus());
  });

  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest(".task-edit")) closeEditor();
  });

  return { refresh };
}
