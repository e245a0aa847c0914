#!/usr/bin/env bash
# `make run`: both services on this machine, SQLite and the built-in agent, nothing to configure.
# Ctrl-C (or SIGTERM) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
export LOCAL_MODE=true
# Loopback only: LOCAL_MODE's fixed secret must not be reachable from the network.
export HOST=127.0.0.1
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

# Pure bash, no child process: a Ctrl-C while starting reaches the INT trap at once.
healthy() {
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /api/health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 2 status <&3 || status=""
  exec 3<&-
  [[ $status == "HTTP/1.1 200"* ]]
}
for _ in $(seq 300); do
  # A service that died (a port in use, or Ctrl-C while starting) ends the run, via the EXIT trap.
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || exit 1; done
  if healthy "$backend_port" 2>/dev/null && healthy "$frontend_port" 2>/dev/null; then break; fi
  sleep 0.2
done
echo
echo "    Todo Chatbot is running: open http://localhost:$frontend_port"
echo "    (Ctrl-C stops both services)"
echo
wait -n "${pids[@]}"
