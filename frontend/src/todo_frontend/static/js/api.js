// Calls to the frontend's /api proxy. The session cookie carries the token (JavaScript never
// sees it); state-changing calls carry the page's CSRF token in a header.

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
export const userId = document.body.dataset.userId;

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export function sessionEnded() {
  window.location.assign("/sign-in?reason=expired");
}

async function errorOf(response) {
  let detail = `The request failed (${response.status}).`;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // Not JSON: keep the generic message.
  }
  return new ApiError(detail, response.status);
}

// fetch() with the CSRF header; throws ApiError with a readable message on any failure.
export async function send(path, { method = "GET", body, accept = "application/json" } = {}) {
  const headers = { Accept: accept, "X-CSRF-Token": csrfToken };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("Can't reach the server. Check your connection and try again.", 0);
  }
  if (response.status === 401) {
    sessionEnded();
    throw new ApiError("Your session has ended.", 401);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function api(path, options) {
  const response = await send(`/api/${userId}/${path}`, options);
  return response.status === 204 ? null : response.json();
}
