// The assistant as OpenAI's ChatKit web component (CHAT_UI=chatkit). Its script comes from
// OpenAI's CDN; it talks to our /chatkit, which the frontend forwards to the backend as the
// signed-in user. The session cookie goes along; the CSRF header is added here.

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

function withCsrf(url, options = {}) {
  const headers = new Headers(options.headers);
  headers.set("X-CSRF-Token", csrfToken);
  return fetch(url, { ...options, headers, credentials: "same-origin" });
}

export async function mountChatKit({ root, onTasksChanged }) {
  await customElements.whenDefined("openai-chatkit");
  const chatkit = document.createElement("openai-chatkit");
  chatkit.setOptions({
    api: { url: "/chatkit", domainKey: root.dataset.domainKey, fetch: withCsrf },
  });
  // A turn may have added, finished or removed tasks: redraw the list when it ends.
  chatkit.addEventListener("chatkit.response.end", () => onTasksChanged());
  root.replaceChildren(chatkit); // in place of the note that it is loading
}
