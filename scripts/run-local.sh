#!/usr/bin/env bash
# `make run`: both services on this machine, SQLite and the built-in agent, nothing to configure.
# Ctrl-C (or SIGTERM) stops both. Two ports, BACKEND_PORT (8000) and FRONTEND_PORT (3000).
# Runs on bash 3.2 (macOS's) too: no `wait -n`, and no empty array expanded under `set -u`.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
export LOCAL_MODE=true
# Loopback only, whatever HOST .env sets: LOCAL_MODE's fixed secret must not be reachable from
# the network.
export HOST=127.0.0.1
# /metrics on the backend's API port: no third port to find free.
export METRICS_PORT=0
export DATABASE_URL=${DATABASE_URL:-sqlite:///./todo.db}
backend_port=${BACKEND_PORT:-8000}
frontend_port=${FRONTEND_PORT:-3000}

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> stopping"
  if [[ ${#pids[@]} -gt 0 ]]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop INT TERM EXIT

echo "==> backend on http://localhost:$backend_port (API docs: /docs)"
PORT=$backend_port "$UV" run --frozen --package todo-backend todo-backend serve &
pids+=($!)
echo "==> frontend on http://localhost:$frontend_port"
PORT=$frontend_port BACKEND_URL=http://127.0.0.1:$backend_port \
  "$UV" run --frozen --package todo-frontend todo-frontend serve &
pids+=($!)

# Pure bash, no child process: a Ctrl-C while starting reaches the INT trap at once.
healthy() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /api/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 2 status <&3 || status=""
  exec 3<&-
  [[ $status == "HTTP/1.1 200"* ]]
}
both_running() {
  local pid
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
}
# A service that ended (a port in use, or Ctrl-C while starting) ends the run, and the EXIT trap
# stops the other.
for _ in $(seq 300); do
  both_running || exit 1
  if healthy "$backend_port" 2>/dev/null && healthy "$frontend_port" 2>/dev/null; then break; fi
  sleep 0.2
done
echo
echo "    Todo Chatbot is running: open http://localhost:$frontend_port"
echo "    (Ctrl-C stops both services)"
echo
while both_running; do sleep 0.5; done
# The run ends with the status of the service that ended, as `wait -n` would give it.
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || wait "$pid"; done
