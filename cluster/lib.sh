# Shared by the cluster scripts (sourced, not run): where things live, the cluster's fixed
# addresses, and how long steps show their progress.
# shellcheck shell=bash disable=SC2034  # the scripts that source this file use its names

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(dirname "$CLUSTER_DIR")

# Built binaries and images, kept across clusters and checkouts (keyed by version).
CACHE_DIR=${TODO_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/todo-cluster}
# Everything a running cluster writes on the machine; `cluster-down` removes both.
STATE_DIR=/var/lib/todo-cluster
RUN_DIR=/run/todo-cluster
LOG_DIR=$STATE_DIR/logs
PKI_DIR=$STATE_DIR/pki
# What a person or a test points kubectl and `make deploy` at.
KUBECONFIG_PATH=$CHECKOUT/.cluster/kubeconfig

NODE_NAME=todo-node
# The node's address lives on a bridge of our own, so nothing of the machine's network is used.
NODE_BRIDGE=todo-node0
NODE_IP=10.254.0.1
POD_BRIDGE=todo-cni0
POD_CIDR=10.244.0.0/24
# The pods' CNI network: its name marks its iptables rules and address records.
CNI_NETWORK=todo-cluster
SERVICE_CIDR=10.96.0.0/16
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
REGISTRY=127.0.0.1:5000
# The registry's one user; its password is made by up.sh into this root-only file.
REGISTRY_USERNAME=todo-cluster
REGISTRY_CREDENTIALS=$STATE_DIR/registry-credentials
CONTAINERD_SOCKET=$RUN_DIR/containerd/containerd.sock
# What up.sh made on the machine, and the iptables chains that were there before it: down.sh
# removes what the first lists and nothing the second names.
MADE_FILE=$STATE_DIR/made
IPTABLES_BEFORE_FILE=$STATE_DIR/iptables-before
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker || true)}

# step, note and die: the progress output every script of the project prints.
# shellcheck source=scripts/output.sh
source "$CHECKOUT/scripts/output.sh"

seconds_since() { echo $(($(date +%s) - $1)); }

# Run a long command with its output in a log file, printing its name and elapsed time every
# 20 s, so a cold build never looks hung; on failure, show the log's end.
with_progress() {  # name log command...
  local name=$1 log=$2 start pid
  shift 2
  start=$(date +%s)
  "$@" >"$log" 2>&1 &
  pid=$!
  while ! wait_for_exit "$pid" 20; do
    note "... $name: $(seconds_since "$start")s"
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    die "$name failed after $(seconds_since "$start")s (log: $log)"
  fi
  note "$name: done in $(seconds_since "$start")s"
}

wait_for_exit() {  # pid seconds: true once the process has exited
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.5
  done
  return 1
}

# Wait until a command succeeds, up to a number of seconds.
wait_until() {  # seconds description command...
  local deadline=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out waiting for $what"
    sleep 0.5
  done
}

# The version a wrapper module pins for a module, read from its go.mod (the one place it is named).
pinned_version() {  # dir module
  awk -v m="$2" '$1 == m && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == m {print $3; exit}' "$1/go.mod"
}

KUBERNETES_VERSION=$(pinned_version "$CLUSTER_DIR/modules/kubernetes" k8s.io/kubernetes)

# Where a component's binaries are cached: keyed by its version and a digest of its module
# files, so a changed pin or source builds anew and an unchanged one is reused.
component_module_dir() {  # name
  case $1 in
    storage-provisioner) echo "$CLUSTER_DIR/storage-provisioner" ;;
    *) echo "$CLUSTER_DIR/modules/$1" ;;
  esac
}

component_version() {  # name
  local dir
  dir=$(component_module_dir "$1")
  case $1 in
    kubernetes) pinned_version "$dir" k8s.io/kubernetes ;;
    etcd) pinned_version "$dir" go.etcd.io/etcd/server/v3 ;;
    coredns) pinned_version "$dir" github.com/coredns/coredns ;;
    storage-provisioner) echo local ;;
  esac
}

component_dir() {  # name
  local dir digest
  dir=$(component_module_dir "$1")
  digest=$(cat "$dir"/go.mod "$dir"/go.sum "$dir"/*.go 2>/dev/null | sha256sum | cut -c1-12)
  echo "$CACHE_DIR/$1-$(component_version "$1")-$digest"
}
