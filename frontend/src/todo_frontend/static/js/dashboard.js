// The dashboard page: the task list and the assistant, wired so the list redraws as soon as
// the assistant changes a task.

import { createChat } from "./chat.js";
import { createTaskList } from "./tasks.js";

const tasks = createTaskList({
  root: document.getElementById("task-list"),
  addForm: document.getElementById("add-task"),
  statusLine: document.getElementById("task-status"),
  editTemplate: document.getElementById("task-edit-template"),
});
createChat({ onTasksChanged: tasks.refresh });
