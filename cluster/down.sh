#!/usr/bin/env bash
# Stop the cluster of cluster/up.sh and its registry, and remove what they changed on the
# machine: processes, containers, mounts, network namespaces, iptables chains, bridges, cgroups,
# sysctls and data folders. Safe to run twice, and after a crash or a killed session. The
# binaries' cache stays (cluster/build.sh), so the next cluster-up builds nothing.
set -euo pipefail
# shellcheck source=cluster/lib.sh
source "$(dirname "$0")/lib.sh"

DAEMONS=(kubelet kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd containerd registry)

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

# Processes started by up.sh that its pid files no longer name (e.g. a restarted daemon).
stop_strays() {
  local pid
  for pid in $(pgrep -f -- "$STATE_DIR|$CACHE_DIR|$CONTAINERD_SOCKET" || true); do
    [ "$pid" != $$ ] && kill -9 "$pid" 2>/dev/null || true
  done
}

# Every process of every pod, whichever runtime state is left: the kubelet's cgroups hold them.
# find fails when a cgroup goes away under it (containerd still reaps containers here): that is
# not a failure to stop, and must not end the script under pipefail.
kill_pod_processes() {
  local pid
  { find /sys/fs/cgroup/*/kubepods* -name cgroup.procs -exec cat {} + 2>/dev/null || true; } |
    while read -r pid; do
      kill -9 "$pid" 2>/dev/null || true
    done
}

remove_pod_cgroups() {
  local root
  for root in /sys/fs/cgroup/*/kubepods*; do
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

remove_network_namespaces() {
  local ns
  for ns in /run/netns/cni-*; do
    [ -e "$ns" ] || continue
    umount -l "$ns" 2>/dev/null || true
    rm -f "$ns"
  done
}

# Drop the chains kube-proxy, the kubelet and the CNI plugins made, and every rule that jumps
# to them, leaving everybody else's rules as they were.
remove_iptables_rules() {
  local family rules
  for family in iptables ip6tables; do
    command -v "$family-save" >/dev/null || continue
    rules=$("$family-save" 2>/dev/null) || continue
    grep -qE 'KUBE-|CNI-' <<<"$rules" || continue
    grep -vE 'KUBE-|CNI-' <<<"$rules" | "$family-restore"
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
  local daemon
  for daemon in "${DAEMONS[@]:0:5}"; do stop_daemon "$daemon"; done
  kill_pod_processes
  for daemon in "${DAEMONS[@]:5}"; do stop_daemon "$daemon"; done
  stop_strays
  step "removing what it changed on the machine"
  unmount_below "$STATE_DIR/" "$RUN_DIR/"
  remove_network_namespaces
  remove_pod_cgroups
  ip link del "$POD_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  remove_iptables_rules
  restore_host_settings
  rm -rf "$STATE_DIR" "$RUN_DIR" "$(dirname "$KUBECONFIG_PATH")"
  note "stopped and removed; the binaries stay cached in $CACHE_DIR"
}

main "$@"
