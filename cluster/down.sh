#!/usr/bin/env bash
# Stop the cluster of cluster/up.sh and its registry, and remove what they changed on the
# machine: processes, containers, mounts, network namespaces, iptables chains, bridges, cgroups,
# sysctls and data folders. Only what up.sh recorded that it made, or what its own daemons
# recorded under its own folders (runc's state of its containers), is touched: another
# Kubernetes on the machine keeps its processes, pods, chains and namespaces. Safe to run twice,
# and after a crash or a killed session. The binaries' cache stays (cluster/build.sh), so the
# next cluster-up builds nothing.
set -euo pipefail
# shellcheck source=cluster/lib.sh
source "$(dirname "$0")/lib.sh"

DAEMONS=(kubelet kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd containerd registry)
# This cluster's containers as runc recorded them (read before anything stops: their shims
# delete the records once they exit), and their containerd shims, found while stopping them.
CONTAINER_CGROUPS=()
POD_NETWORK_NAMESPACES=()
SHIMS=()

# Stop a daemon started by up.sh, but only if its pid is still that daemon: a pid file can
# outlive its process (and the pid be reused) after a killed session.
stop_daemon() {  # name
  local pidfile=$RUN_DIR/$1.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if grep -qaF "$STATE_DIR" "/proc/$pid/cmdline" 2>/dev/null || grep -qaF "$CACHE_DIR" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 15 || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# What up.sh recorded that it made, of one kind (bridge, cgroups, docker-login).
made() {  # kind
  [ -f "$MADE_FILE" ] || return 0
  awk -v kind="$1" '$1 == kind {print $2}' "$MADE_FILE"
}

# runc's record of each container of this cluster (under the runc root that up.sh gave
# containerd): its cgroups and, for a pod's sandbox, the pod's network namespace.
read_containers() {
  local state
  for state in $(find "$RUN_DIR/runc" -mindepth 3 -maxdepth 3 -name state.json 2>/dev/null || true); do
    mapfile -t -O "${#CONTAINER_CGROUPS[@]}" CONTAINER_CGROUPS < <(jq -r '.cgroup_paths[]' "$state")
    mapfile -t -O "${#POD_NETWORK_NAMESPACES[@]}" POD_NETWORK_NAMESPACES < <(jq -r \
      '.config.namespaces[] | select(.type == "NEWNET") | .path // empty | select(test("^(/var)?/run/netns/"))' "$state")
  done
}

# Every process in the cgroups of this cluster's containers (their init and whatever was
# exec'd into them); their shims are the parents of those processes, stopped with containerd.
kill_containers() {
  local cgroup pid parent
  for cgroup in "${CONTAINER_CGROUPS[@]}"; do
    [ -f "$cgroup/cgroup.procs" ] || continue
    while read -r pid; do
      parent=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      if [ -n "$parent" ] && grep -qaF "$CONTAINERD_SOCKET" "/proc/$parent/cmdline" 2>/dev/null; then
        SHIMS+=("$parent")
      fi
      kill -9 "$pid" 2>/dev/null || true
    # A cgroup whose last process has just exited goes away while it is read: nothing to kill.
    done < <(cat "$cgroup/cgroup.procs" 2>/dev/null || true)
  done
}

kill_shims() {
  local pid
  for pid in "${SHIMS[@]}"; do
    grep -qaF "$CONTAINERD_SOCKET" "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  done
}

# The containers' cgroups and their pods' cgroups (rmdir leaves a cgroup that still has
# members or children); the kubelet's kubepods tree as well if up.sh found none before.
remove_pod_cgroups() {
  local cgroup root
  for cgroup in "${CONTAINER_CGROUPS[@]}"; do
    rmdir "$cgroup" "$(dirname "$cgroup")" 2>/dev/null || true
  done
  [ "$(made cgroups)" = kubepods ] || return 0
  for root in /sys/fs/cgroup/*/kubepods; do
    [ -d "$root" ] || continue
    find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

unmount_below() {  # dir...: every mount under the folders, deepest first
  local dir mounts
  for dir in "$@"; do
    mounts=$(awk -v d="$dir" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
    [ -z "$mounts" ] || xargs -r -n 1 umount -l <<<"$mounts" 2>/dev/null || true
  done
}

# The network namespaces of this cluster's pods (runc recorded each sandbox's), and the CNI
# plugins' records of the addresses they gave out on this cluster's network.
remove_network_namespaces() {
  local ns
  for ns in "${POD_NETWORK_NAMESPACES[@]}"; do
    umount -l "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
  rm -rf "/var/lib/cni/networks/$CNI_NETWORK"
  rm -f "/var/lib/cni/results/$CNI_NETWORK"-*
}

# Drop the iptables chains this cluster made and every rule that jumps to them: the KUBE-*
# chains of its kube-proxy and kubelet and the CNI-HOSTPORT-* chains of its pods (those that
# did not exist before up.sh), and every rule and chain of its CNI network (named in their
# comments). Everybody else's rules stay as they were.
remove_iptables_rules() {
  local family rules kept
  [ -f "$IPTABLES_BEFORE_FILE" ] || return 0
  for family in iptables ip6tables; do
    command -v "$family-save" >/dev/null || continue
    rules=$("$family-save" 2>/dev/null) || continue
    kept=$(FAMILY=$family BEFORE=$IPTABLES_BEFORE_FILE NETWORK="name: \\\"$CNI_NETWORK\\\"" awk '
      function target(rule,   n, f, k) {
        n = split(rule, f, " ")
        for (k = 1; k < n; k++) if (f[k] == "-j" || f[k] == "-g") return f[k + 1]
        return ""
      }
      BEGIN {
        while ((getline line < ENVIRON["BEFORE"]) > 0) {
          split(line, f, " ")
          if (f[1] == ENVIRON["FAMILY"]) existed[f[2] " " f[3]] = 1
        }
      }
      /^\*/ { table = substr($1, 2) }
      { lines[NR] = $0; table_of[NR] = table }
      /^:(KUBE-|CNI-HOSTPORT-)/ && !((table " " substr($1, 2)) in existed) { ours[table " " substr($1, 2)] = 1 }
      index($0, ENVIRON["NETWORK"]) {
        named[NR] = 1
        jump = target($0)
        if (jump ~ /^CNI-/ && !((table " " jump) in existed)) ours[table " " jump] = 1
      }
      END {
        for (i = 1; i <= NR; i++) {
          $0 = lines[i]
          t = table_of[i]
          if (i in named || ($1 ~ /^:/ && (t " " substr($1, 2)) in ours) || ($1 == "-A" && (t " " $2) in ours) || (t " " target($0)) in ours) continue
          print lines[i]
        }
      }' <<<"$rules")
    [ "$kept" = "$rules" ] || "$family-restore" <<<"$kept"
  done
}

restore_host_settings() {
  local file=$STATE_DIR/host-settings kind name value
  [ -f "$file" ] || return 0
  while read -r kind name value; do
    case $kind in
      sysctl) echo "$value" >"/proc/sys/$name" ;;
      propagation) [ "$value" = shared ] || mount --make-rprivate "$name" ;;
    esac
  done <"$file"
}

main() {
  [ "$(id -u)" = 0 ] || die "cluster-down needs root"
  step "stopping the cluster"
  local daemon name
  read_containers
  for daemon in "${DAEMONS[@]:0:5}"; do stop_daemon "$daemon"; done
  kill_containers
  for daemon in "${DAEMONS[@]:5}"; do stop_daemon "$daemon"; done
  kill_shims
  step "removing what it changed on the machine"
  unmount_below "$STATE_DIR/" "$RUN_DIR/"
  remove_network_namespaces
  remove_pod_cgroups
  for name in $(made bridge); do ip link del "$name" 2>/dev/null || true; done
  for name in $(made docker-login); do "$DOCKER" logout "$name" >/dev/null 2>&1 || true; done
  remove_iptables_rules
  restore_host_settings
  rm -rf "$STATE_DIR" "$RUN_DIR" "$(dirname "$KUBECONFIG_PATH")"
  note "stopped and removed; the binaries stay cached in $CACHE_DIR"
}

main "$@"
