// The task list: add, inline edit, complete toggle, delete, filters, search and sort. The server
// renders the list (one template for the first paint and every redraw); this module calls the API
// and then fetches the freshly rendered list. The filters live in the page's URL, with the API's
// parameter names, so a reload or a shared link shows the same list.

import { api, sessionEnded } from "./api.js";
import { dueAtOf, localInputValue, tagsOf } from "./task_fields.js";

const EDITED_FIELDS = ["title", "description", "due", "priority", "tags"];
const SEARCH_PAUSE_MS = 300; // search once typing pauses, not at every key
const NARROWING_PARAMETERS = ["priority", "tag", "overdue", "q"];

// The add or edit form's values as the API takes them: the title and details, and of the due
// date (typed in the account's time zone `zone`), priority and tags only those changed from
// `initial` (the values the form opened with).
// So an edit leaves alone what the assistant changed meanwhile, and a backend older than these
// fields (during a rolling upgrade) still takes a task that has none.
function taskOf(values, initial, zone) {
  const description = values.description.trim();
  const task = { title: values.title.trim(), description: description || null };
  if (values.due !== initial.due) task.due_at = dueAtOf(values.due, zone);
  if (values.priority !== initial.priority) task.priority = values.priority;
  const tags = tagsOf(values.tags);
  if (tags.join(" ") !== tagsOf(initial.tags).join(" ")) task.tags = tags;
  return task;
}

// The tags typed so far as the chips they will become, under the tags field.
function previewTags(form) {
  const chips = tagsOf(form.elements.tags.value).map((tag) =>
    Object.assign(document.createElement("span"), { className: "chip small", textContent: `#${tag}` }),
  );
  form.querySelector(".tag-preview").replaceChildren(...chips);
}

function valuesOf(form) {
  return Object.fromEntries(EDITED_FIELDS.map((name) => [name, form.elements[name].value]));
}

export function createTaskList({ root, addForm, searchForm, statusLine, editTemplate }) {
  let latestRefresh = 0;
  let editing = null; // {id, initial, values} while an edit form is open
  let searchTimer = 0;
  const blankTask = valuesOf(addForm); // what the add form holds before anything is typed

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

  // A selector for a control of the list that finds its twin after a redraw.
  function selectorOf(control) {
    const item = control.closest("[data-task-id]");
    if (item) return `[data-task-id="${CSS.escape(item.dataset.taskId)}"] [data-action="${control.dataset.action}"]`;
    if (control.dataset.chip) return chipSelector(control.dataset.chip, control.dataset.value);
    if (control.dataset.filter) return `a[data-filter="${control.dataset.filter}"]`;
    return null;
  }

  function chipSelector(kind, value) {
    return `[data-chip="${kind}"][data-value="${CSS.escape(value)}"]`;
  }

  async function refresh() {
    const thisRefresh = ++latestRefresh;
    root.setAttribute("aria-busy", "true");
    let html;
    try {
      const response = await fetch(`/dashboard/tasks${window.location.search}`, {
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
    // Where the keyboard was, so a redraw does not throw it back to the top of the page.
    const active = document.activeElement;
    const focus = root.contains(active) ? selectorOf(active) : null;
    const editorHadFocus = Boolean(root.querySelector(".task-edit")?.contains(active));
    root.innerHTML = html;
    root.setAttribute("aria-busy", "false");
    // A redraw caused by the assistant must not throw away an edit in progress.
    if (editing && itemOf(editing.id)) {
      openEditor(itemOf(editing.id), editing.initial, { takeFocus: editorHadFocus, values: editing.values });
    } else {
      editing = null;
    }
    if (focus && !editing) root.querySelector(focus)?.focus();
  }

  async function act(work) {
    try {
      await work();
    } catch (error) {
      announce(error.message, { error: true });
    }
    await refresh();
  }

  // Show the list for the page URL changed by `change(parameters)`, and say what it holds.
  async function filter(change, focusAfter) {
    const url = new URL(window.location.href);
    change(url.searchParams);
    window.history.replaceState(null, "", url);
    await refresh();
    if (focusAfter) root.querySelector(focusAfter)?.focus();
    const shown = root.querySelectorAll("[data-task-id]").length;
    if (!root.querySelector('[role="alert"]')) {
      announce(shown === 1 ? "Showing 1 task." : `Showing ${shown} tasks.`);
    }
  }

  function toggleValue(parameters, name, value) {
    const values = parameters.getAll(name);
    parameters.delete(name);
    const kept = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
    for (const v of kept) parameters.append(name, v);
  }

  // `values`: what was typed before a redraw, when it differs from the task's `initial` values.
  function openEditor(item, initial, { takeFocus = true, values = initial } = {}) {
    closeEditor();
    const form = editTemplate.content.firstElementChild.cloneNode(true);
    for (const name of EDITED_FIELDS) form.elements[name].value = values[name];
    item.classList.add("editing");
    item.append(form);
    editing = { id: item.dataset.taskId, initial, values: valuesOf(form) };
    previewTags(form);
    form.addEventListener("input", () => {
      editing.values = valuesOf(form);
      previewTags(form);
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
    const typed = valuesOf(addForm);
    const task = taskOf(typed, blankTask, root.dataset.timeZone);
    if (!task.title) return;
    // Cleared at once, so the next task can be typed while this one is saved.
    addForm.reset();
    previewTags(addForm);
    addForm.elements.title.focus();
    act(async () => {
      try {
        await api("tasks", { method: "POST", body: task });
      } catch (error) {
        if (!addForm.elements.title.value) {
          for (const name of EDITED_FIELDS) addForm.elements[name].value = typed[name];
          previewTags(addForm);
        }
        throw error;
      }
      announce(`Added “${task.title}”.`);
    });
  });

  addForm.elements.tags.addEventListener("input", () => previewTags(addForm));

  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  searchForm.elements.q.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(search, SEARCH_PAUSE_MS);
  });
  searchForm.elements.sort.addEventListener("change", () => {
    filter((parameters) => parameters.set("sort", searchForm.elements.sort.value));
  });

  function search() {
    window.clearTimeout(searchTimer);
    const words = searchForm.elements.q.value.trim();
    if (words === (new URL(window.location.href).searchParams.get("q") ?? "")) return;
    filter((parameters) => (words ? parameters.set("q", words) : parameters.delete("q")));
  }

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
      const status = link.dataset.filter;
      filter((parameters) => parameters.set("status", status), `a[data-filter="${status}"]`);
      return;
    }
    const chip = event.target.closest("button[data-chip]");
    if (chip) {
      const { chip: kind, value } = chip.dataset;
      filter((parameters) => toggleValue(parameters, kind, value), chipSelector(kind, value));
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const item = button.closest("[data-task-id]");
    switch (button.dataset.action) {
      case "retry":
        refresh();
        break;
      case "filter-tag": {
        const tag = button.dataset.value;
        filter((parameters) => {
          if (!parameters.getAll("tag").includes(tag)) parameters.append("tag", tag);
        }, chipSelector("tag", tag));
        break;
      }
      case "clear-filters":
        searchForm.elements.q.value = "";
        filter((parameters) => {
          for (const name of NARROWING_PARAMETERS) parameters.delete(name);
        }, `a[data-filter][aria-current="page"]`);
        break;
      case "edit": {
        const description = item.querySelector(".task-description");
        openEditor(item, {
          title: titleOf(item),
          description: description?.textContent ?? "",
          due: localInputValue(item.dataset.dueAt, root.dataset.timeZone),
          priority: item.dataset.priority,
          tags: item.dataset.tags,
        });
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
    const task = taskOf(valuesOf(form), editing.initial, root.dataset.timeZone);
    if (!task.title) return;
    act(async () => {
      await api(`tasks/${item.dataset.taskId}`, { method: "PUT", body: task });
      editing = null;
      announce(`Saved “${task.title}”.`);
    }).then(() => itemOf(item.dataset.taskId)?.querySelector('[data-action="edit"]')?.focus());
  });

  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest(".task-edit")) closeEditor();
  });

  // The account's time zone is now `zone`: the forms read and write due dates in it, and the
  // list shows them in it.
  async function changeTimeZone(zone) {
    root.dataset.timeZone = zone;
    await refresh();
  }

  return { refresh, announce, changeTimeZone };
}
