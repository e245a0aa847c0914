"""A stand-in for the language model behind an AI tool, where no model is reachable: an
OpenAI-compatible Chat Completions endpoint (`POST /v1/chat/completions`, streamed or not) on
127.0.0.1 that plays the model's part of scripted exchanges, and nothing else.

Each script maps what the user asks to the kubectl command a model would have kubectl-ai run.
The first request of an exchange (the user's words last) is answered with a call of kubectl-ai's
`kubectl` tool (its arguments `command` and `modifies_resource`, as kubectl-ai's tool definition
asks); the next (kubectl-ai's tool output last) with a final answer that quotes that output. The
tool runs in kubectl-ai, against the real cluster: the stand-in only decides what to ask for.

    with StandInModel({"show all pods": "kubectl get pods"}) as model:
        run kubectl-ai with OPENAI_ENDPOINT=model.base_url ...
"""

import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The tool kubectl-ai offers the model (pkg/tools/kubectl_tool.go) and its argument.
KUBECTL_TOOL = "kubectl"
READ_ONLY_VERBS = ("get", "describe", "logs", "top", "auth", "explain", "api-resources")


class StandInModel:
    """The OpenAI-compatible server; `requests` keeps every request body it answered."""

    def __init__(self, scripts: Mapping[str, str]) -> None:
        self.scripts = dict(scripts)
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What OPENAI_ENDPOINT is set to (the OpenAI client appends `chat/completions`)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "StandInModel":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        """The assistant message for a request: a tool call, or the final answer."""
        self.requests.append(body)
        offered = {tool["function"]["name"]: tool["function"] for tool in body.get("tools", [])}
        if "command" not in offered.get(KUBECTL_TOOL, {}).get("parameters", {}).get(
            "properties", {}
        ):
            raise RequestError(f"no `{KUBECTL_TOOL}` tool with a `command` argument was offered")
        last = body["messages"][-1]
        if last["role"] == "tool":
            return {"role": "assistant", "content": final_answer(body["messages"])}
        if last["role"] != "user":
            raise RequestError(f"nothing to answer after a {last['role']!r} message")
        asked = message_text(last)
        commands = [command for request, command in self.scripts.items() if request in asked]
        if len(commands) != 1:
            raise RequestError(f"no scripted command for {asked!r}")
        (command,) = commands
        modifies = "no" if command.split()[1] in READ_ONLY_VERBS else "yes"
        arguments = json.dumps({"command": command, "modifies_resource": modifies})
        call_id = f"call_{len(self.requests)}"
        return {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": KUBECTL_TOOL, "arguments": arguments},
                }
            ],
        }


class RequestError(Exception):
    """A request the stand-in cannot answer as the model would (an HTTP 400 for the client)."""


def message_text(message: dict[str, Any]) -> str:
    """A message's content, a string or a list of text parts."""
    content = message.get("content") or ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def final_answer(messages: list[dict[str, Any]]) -> str:
    """The answer after a tool ran: the command (from the assistant's call) and its output."""
    output = json.loads(message_text(messages[-1]))
    call = messages[-2]["tool_calls"][0]["function"]
    command = json.loads(call["arguments"])["command"]
    parts = [f"I ran `{command}`."]
    for field, label in (("stdout", "Its output"), ("stderr", "Its errors"), ("error", "Failed")):
        if output.get(field):
            parts.append(f"{label}:\n```\n{output[field].rstrip()}\n```")
    return "\n\n".join(parts)


def completion(message: dict[str, Any], model: str) -> dict[str, Any]:
    finish = "tool_calls" if "tool_calls" in message else "stop"
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def completion_chunks(message: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """The same answer streamed: the whole delta in one chunk, then the finish reason (the
    OpenAI client's accumulator reports a tool call finished when the next chunk arrives)."""
    chunk_id = f"chatcmpl-{time.monotonic_ns()}"
    finish = "tool_calls" if "tool_calls" in message else "stop"
    delta: dict[str, Any] = {"role": "assistant"}
    if "tool_calls" in message:
        delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
    else:
        delta["content"] = message["content"]
    base = {"id": chunk_id, "object": "chat.completion.chunk", "created": int(time.time())}
    return [
        {**base, "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {**base, "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
    ]


def _handler(model: StandInModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                message = model.reply(body)
            except RequestError as error:
                self._json(400, {"error": {"message": str(error), "type": "invalid_request"}})
                return
            if not body.get("stream"):
                self._json(200, completion(message, body["model"]))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in completion_chunks(message, body["model"]):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the requests are kept in `model.requests`."""

    return Handler
