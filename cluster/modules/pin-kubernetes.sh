#!/usr/bin/env bash
# Pin the cluster's Kubernetes release: rewrite cluster/modules/kubernetes/go.mod for VERSION
# (e.g. 1.34.4), with one replace line per staging module read from that release's own go.mod,
# then let `go mod tidy` fill in go.sum. The next cluster-up builds the new binaries.
set -euo pipefail
version=${1:?usage: $0 VERSION (e.g. 1.34.4)}
version=${version#v}
dir=$(cd "$(dirname "$0")/kubernetes" && pwd)
upstream=$(go mod download -json "k8s.io/kubernetes@v$version" | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')
# Upstream's replace block maps each staging module to ./staging/src/<module>.
staging=$(awk '/^replace \(/ {on = 1; next} on && /^\)/ {on = 0} on && $3 ~ /^\.\/staging\// {print $1}' "$upstream" | sort)
{
  sed -n '1,/^go /p' "$dir/go.mod"
  printf '\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$version"
  for module in $staging; do printf '\t%s => %s v0.%s\n' "$module" "$module" "${version#*.}"; done
  printf ')\n\ntool (\n'
  for command in kube-apiserver kube-controller-manager kube-proxy kube-scheduler kubeadm kubectl kubelet; do
    printf '\tk8s.io/kubernetes/cmd/%s\n' "$command"
  done
  printf ')\n'
} >"$dir/go.mod.new"
mv "$dir/go.mod.new" "$dir/go.mod"
(cd "$dir" && go mod tidy)
echo "pinned Kubernetes v$version in $dir/go.mod"
