#!/usr/bin/env bash
# Build the test cluster's binaries from Go modules (pinned by the go.mod and go.sum files in
# cluster/modules/ and cluster/storage-provisioner/) into the cache, unless that exact version is
# there already: a second run builds nothing. A cold build takes tens of minutes on 2 cores.
#
#   cluster/build.sh          build what is missing; print where each component is
set -euo pipefail
# shellcheck source=cluster/lib.sh
source "$(dirname "$0")/lib.sh"

build_component() {  # name module-dir ldflags packages...: one package is built as the binary <name>
  local name=$1 dir=$2 ldflags=$3 out output
  shift 3
  out=$(component_dir "$name")
  if [ -f "$out/.built" ]; then
    note "$name: cached in $out"
    return
  fi
  command -v go >/dev/null || die "building $name needs Go (https://go.dev/dl/); nothing is cached yet"
  rm -rf "$out.partial"
  mkdir -p "$out.partial" "$CACHE_DIR/logs"
  output=$out.partial/
  [ $# -gt 1 ] || output=$out.partial/$name
  with_progress "building $name $(component_version "$name")" "$CACHE_DIR/logs/build-$name.log" \
    env CGO_ENABLED=0 go build -C "$dir" -buildvcs=false -trimpath -tags selinux,notest \
    -ldflags "-s -w $ldflags" -o "$output" "$@"
  touch "$out.partial/.built"
  rm -rf "$out"
  mv "$out.partial" "$out"
}

# Upstream stamps the release into these variables; unstamped binaries report v0.0.0.
kubernetes_ldflags() {
  local v=$KUBERNETES_VERSION minor package flags=""
  minor=$(cut -d. -f2 <<<"$v")
  for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $package.gitVersion=$v -X $package.gitMajor=1 -X $package.gitMinor=$minor"
    flags+=" -X $package.gitTreeState=clean -X $package.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

step "cluster binaries (cache: $CACHE_DIR)"
start=$(date +%s)
build_component kubernetes "$CLUSTER_DIR/modules/kubernetes" "$(kubernetes_ldflags)" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubectl
build_component etcd "$CLUSTER_DIR/modules/etcd" "" go.etcd.io/etcd/server/v3
build_component coredns "$CLUSTER_DIR/modules/coredns" "" github.com/coredns/coredns
build_component storage-provisioner "$CLUSTER_DIR/storage-provisioner" "" .
note "binaries ready in $(seconds_since "$start")s"
