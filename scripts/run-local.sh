#!/usr/bin/env bash
# `make run`: both services on this machine, SQLite and the built-in agent, nothing to configure.
# Ctrl-C (or SIGTERM) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
export LOCAL_MODE=true
export DATABASE_URL=${DATABASE_URL:-sqlite:///./todo.db}
backend_port=${BACKEND_PORT:-8000}
frontend_port=${FRONTEND_PORT:-3000}

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> stopping"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "==> backend on http://localhost:$backend_port (API docs: /docs)"
PORT=$backend_port "$UV" run --frozen --package todo-backend todo-backend serve &
pids+=($!)
echo "==> frontend on http://localhost:$frontend_port"
PORT=$frontend_port BACKEND_URL=http://127.0.0.1:$backend_port \
  "$UV" run --frozen --package todo-frontend todo-frontend serve &
pids+=($!)

for _ in $(seq 100); do
  if python3 - "$frontend_port" "$backend_port" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
for port in sys.argv[1:]:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
PY
  sleep 0.2
done
echo
echo "    Todo Chatbot is running: open http://localhost:$frontend_port"
echo "    (Ctrl-C stops both services)"
echo
wait -n "${pids[@]}"
