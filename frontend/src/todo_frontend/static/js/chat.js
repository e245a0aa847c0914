// The assistant widget: streamed replies, a short line per tool call, earlier conversations.

import { api, send, userId } from "./api.js";
import { readEvents } from "./sse.js";

const TOOL_VERBS = {
  add_task: "Added",
  complete_task: "Completed",
  delete_task: "Deleted",
  update_task: "Updated",
};
const CONVERSATION_KEY = `todo.chat.${userId}.conversation`;
const OPEN_KEY = `todo.chat.${userId}.open`;

// "Added 'Buy milk'", "Found 3 tasks", or what went wrong.
function describeToolCall({ name, arguments: args = {}, result }) {
  const outcome = result && typeof result === "object" ? result : {};
  const problem = outcome.error ?? outcome.detail;
  if (problem) return `Couldn't ${name.replace(/_/g, " ")}: ${problem}`;
  if (name === "list_tasks") {
    const tasks = Array.isArray(result) ? result : outcome.tasks ?? outcome.result;
    if (!Array.isArray(tasks)) return "Looked up your tasks";
    return `Found ${tasks.length} task${tasks.length === 1 ? "" : "s"}`;
  }
  const verb = TOOL_VERBS[name];
  if (!verb) return `Used ${name}`;
  const title = outcome.title ?? args.title;
  return title ? `${verb} '${title}'` : `${verb} task ${outcome.task_id ?? args.task_id}`;
}

function formatDate(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function createChat({ onTasksChanged }) {
  const launcher = document.getElementById("chat-launcher");
  const panel = document.getElementById("chat");
  const log = document.getElementById("chat-log");
  const hint = log.querySelector(".chat-hint");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const historyToggle = document.getElementById("chat-history-toggle");
  const history = document.getElementById("chat-history");
  let conversationId = Number(localStorage.getItem(CONVERSATION_KEY)) || null;
  let loadedId = null;
  let busy = false;

  function setConversation(id) {
    conversationId = id;
    loadedId = id;
    if (id) localStorage.setItem(CONVERSATION_KEY, String(id));
    else localStorage.removeItem(CONVERSATION_KEY);
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addLine(className, text, before = null) {
    const item = document.createElement("li");
    item.className = className;
    item.textContent = text;
    log.insertBefore(item, before);
    scrollToEnd();
    return item;
  }

  function clearLog() {
    log.replaceChildren(hint);
  }

  function showMessages(messages) {
    clearLog();
    for (const message of messages) {
      addLine(`message ${message.role === "user" ? "user" : "assistant"}`, message.content);
    }
  }

  async function loadConversation(id) {
    try {
      const conversation = await api(`conversations/${id}`);
      showMessages(conversation.messages);
      setConversation(id);
    } catch (error) {
      setConversation(null);
      clearLog();
      if (error.status !== 404) addLine("message error", error.message);
    }
  }

  async function open() {
    panel.hidden = false;
    document.body.classList.add("chat-open");
    launcher.setAttribute("aria-expanded", "true");
    sessionStorage.setItem(OPEN_KEY, "1");
    input.focus();
    if (conversationId && loadedId !== conversationId) await loadConversation(conversationId);
  }

  function close() {
    panel.hidden = true;
    document.body.classList.remove("chat-open");
    launcher.setAttribute("aria-expanded", "false");
    sessionStorage.removeItem(OPEN_KEY);
    launcher.focus();
  }

  function startNew() {
    setConversation(null);
    clearLog();
    closeHistory();
    input.focus();
  }

  function closeHistory() {
    history.hidden = true;
    historyToggle.setAttribute("aria-expanded", "false");
  }

  async function openHistory() {
    history.hidden = false;
    historyToggle.setAttribute("aria-expanded", "true");
    const list = history.querySelector("ul");
    list.replaceChildren();
    let conversations;
    try {
      conversations = await api("conversations");
    } catch (error) {
      list.append(Object.assign(document.createElement("li"), { textContent: error.message }));
      return;
    }
    if (!conversations.length) {
      list.append(Object.assign(document.createElement("li"), { textContent: "No conversations yet." }));
      return;
    }
    for (const conversation of conversations) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.conversationId = conversation.id;
      if (conversation.id === conversationId) button.setAttribute("aria-current", "true");
      const title = document.createElement("span");
      title.textContent = conversation.title || `Conversation ${conversation.id}`;
      const when = document.createElement("time");
      when.dateTime = conversation.updated_at;
      when.textContent = formatDate(conversation.updated_at);
      button.append(title, when);
      const item = document.createElement("li");
      item.append(button);
      list.append(item);
    }
    list.querySelector("button")?.focus();
  }

  // Streams one reply: text as it is produced, a line per tool call, the task list redrawn
  // as soon as a tool changed it.
  async function ask(message) {
    busy = true;
    form.querySelector("button").disabled = true;
    log.setAttribute("aria-busy", "true");
    addLine("message user", message);
    const reply = addLine("message assistant pending", "");
    let text = "";
    let finished = false;
    const fail = (detail) => {
      reply.className = "message error";
      reply.textContent = detail;
      finished = true;
    };
    try {
      const response = await send(`/api/${userId}/chat/stream`, {
        method: "POST",
        body: { conversation_id: conversationId, message },
        accept: "text/event-stream",
      });
      for await (const { event, data } of readEvents(response.body)) {
        if (event === "conversation") setConversation(data.conversation_id);
        else if (event === "delta") {
          text += data.text;
          reply.textContent = text;
          reply.classList.remove("pending");
        } else if (event === "tool_call") {
          addLine("tool", describeToolCall(data), reply);
          if (data.name in TOOL_VERBS) onTasksChanged();
        } else if (event === "done") {
          setConversation(data.conversation_id);
          reply.textContent = data.response || text;
          reply.classList.remove("pending");
          finished = true;
        } else if (event === "error") fail(data.detail);
        scrollToEnd();
      }
      if (!finished) fail("The reply was cut off; please try again.");
    } catch (error) {
      fail(error.message);
    } finally {
      busy = false;
      form.querySelector("button").disabled = false;
      log.setAttribute("aria-busy", "false");
      scrollToEnd();
    }
  }

  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  document.getElementById("chat-close").addEventListener("click", close);
  document.getElementById("chat-new").addEventListener("click", startNew);
  historyToggle.addEventListener("click", () => (history.hidden ? openHistory() : closeHistory()));
  history.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-conversation-id]");
    if (!button) return;
    closeHistory();
    await loadConversation(Number(button.dataset.conversationId));
    input.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!history.hidden) {
      closeHistory();
      historyToggle.focus();
    } else close();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message || busy) return;
    input.value = "";
    ask(message);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  if (sessionStorage.getItem(OPEN_KEY)) open();
}
