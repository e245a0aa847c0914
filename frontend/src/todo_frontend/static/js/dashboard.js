// The dashboard page: the task list, the user's time zone and the assistant (our widget, or
// ChatKit's component with CHAT_UI=chatkit), wired so the list redraws as soon as the assistant
// changes a task or the time zone changes.

import { createChat } from "./chat.js";
import { mountChatKit } from "./chatkit.js";
import { createTaskList } from "./tasks.js";
import { createTimeZonePicker } from "./timezone.js";

const tasks = createTaskList({
  root: document.getElementById("task-list"),
  addForm: document.getElementById("add-task"),
  searchForm: document.getElementById("task-search"),
  statusLine: document.getElementById("task-status"),
  editTemplate: document.getElementById("task-edit-template"),
});
const timeZoneForm = document.getElementById("timezone-form");
if (timeZoneForm) {
  createTimeZonePicker({ form: timeZoneForm, announce: tasks.announce, onChanged: tasks.changeTimeZone });
}
const chatkitRoot = document.getElementById("chatkit");
if (chatkitRoot) {
  mountChatKit({ root: chatkitRoot, onTasksChanged: tasks.refresh });
} else {
  createChat({ onTasksChanged: tasks.refresh });
}
