"""A small OpenAI-compatible chat-completions server for tests of the LLM path.

It speaks the real protocol over a real socket (JSON and server-sent-event streams, tool calls),
so the Agents SDK and the openai client run unmodified against it. Its behaviour is scripted
per test: `respond` decides each answer from the request, as a model would from its context."""

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


@dataclass
class ToolCall:
    """A tool call; `arguments` as a string is sent as is (a model's malformed JSON)."""

    name: str
    arguments: dict[str, Any] | str


@dataclass
class Reply:
    """One model answer: text, tool calls, or an HTTP failure or a stall."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    fail_status: int | None = None
    stall_seconds: float = 0.0


Responder = Callable[[dict[str, Any]], Reply]


def user_id_from(body: dict[str, Any]) -> str:
    """The user id our agent puts into its instructions (the system message)."""
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    match = re.search(r"The user's id is (\w+)", system)
    assert match, system
    return match[1]


def last_message(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = body["messages"][-1]
    return message


def text_of(message: dict[str, Any]) -> str:
    """A message's text: the protocol allows a string or a list of content parts."""
    content = message.get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return str(content)


def add_then_confirm(body: dict[str, Any]) -> Reply:
    """The classic two-step: call add_task for the user's words, then confirm with text."""
    last = last_message(body)
    if last["role"] == "tool":
        result = json.loads(text_of(last))
        return Reply(text=f"Added task {result['task_id']}: '{result['title']}'.")
    words = re.sub(r"^add a task to ", "", text_of(last), flags=re.IGNORECASE)
    title = words[:1].upper() + words[1:]
    return Reply(tool_calls=[ToolCall("add_task", {"user_id": user_id_from(body), "title": title})])


class OpenAITestServer:
    def __init__(self, respond: Responder = add_then_confirm) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []
        self.traces: list[dict[str, Any]] = []  # what the Agents SDK exported, when pointed here
        self.port = 0
        self.app = self._build_app()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> Response:
            body = await request.json()
            self.requests.append(body)
            reply = self.respond(body)
            if reply.stall_seconds:
                await asyncio.sleep(reply.stall_seconds)
            if reply.fail_status:
                return JSONResponse(
                    {"error": {"message": "scripted failure", "type": "server_error"}},
                    status_code=reply.fail_status,
                )
            if body.get("stream"):
                return StreamingResponse(_chunks(body, reply), media_type="text/event-stream")
            return JSONResponse(_completion(body, reply))

        @app.post("/v1/traces/ingest")
        async def traces_ingest(request: Request) -> Response:
            """OpenAI's trace store, for proving what the SDK would send there."""
            self.traces.append(await request.json())
            return Response(status_code=204)

        return app

    @contextmanager
    def running(self) -> Iterator["OpenAITestServer"]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the OpenAI test server did not start"
            time.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:8]}",
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments_text(call.arguments)},
            }
            for call in reply.tool_calls
        ]
    return message


def _arguments_text(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [
            {
                "index": 0,
                "message": _message(reply),
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(),
    }


async def _chunks(body: dict[str, Any], reply: Reply) -> AsyncIterator[bytes]:
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*", reply.text):
        yield chunk({"content": piece})
    for index, call in enumerate(_message(reply).get("tool_calls", [])):
        yield chunk({"tool_calls": [{"index": index, **call}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if body.get("stream_options", {}).get("include_usage"):
        yield f"data: {json.dumps({**base, 'choices': [], 'usage': _usage()})}\n\n".encode()
    yield b"data: [DONE]\n\n"
