#!/usr/bin/env bash
# A kubeconfig for AI tools (kubectl-ai, kagent's CLI, an MCP host that runs kubectl), behind
# `make ai-kubeconfig`: the admin kubeconfig lets a tool read every Secret (the JWT secret, the
# database password) and delete anything it is talked into; this one cannot.
#
# It creates (or updates) the ServiceAccount todo-ai-operator and a Role bound to it in the
# release's namespace: read pods, their logs, events, Services, Deployments, ReplicaSets,
# StatefulSets, HorizontalPodAutoscalers and PersistentVolumeClaims; get, patch and scale the
# Deployments backend and frontend (resource changes). Nothing cluster-wide, no Secrets, no
# ConfigMaps, no deletes, no exec, no port-forward. Its token is a TokenRequest that expires; run
# the target again for a new one. `kubectl delete serviceaccount todo-ai-operator -n NAMESPACE`
# revokes every token at once.
#
# Knobs: NAMESPACE (default), AI_TOKEN_DURATION (8h; the API server may cap it),
# AI_KUBECONFIG (.cluster/ai-kubeconfig). The cluster is the current kubeconfig context's.
set -euo pipefail
cd "$(dirname "$0")/.."

NAMESPACE=${NAMESPACE:-default}
AI_TOKEN_DURATION=${AI_TOKEN_DURATION:-8h}
AI_KUBECONFIG=${AI_KUBECONFIG:-.cluster/ai-kubeconfig}
ACCOUNT=todo-ai-operator

# shellcheck source=scripts/output.sh
source scripts/output.sh

command -v kubectl >/dev/null || die "kubectl is not installed: https://kubernetes.io/docs/tasks/tools/"
[[ $AI_TOKEN_DURATION =~ ^[0-9]+(s|m|h)$ ]] ||
  die "AI_TOKEN_DURATION must be a duration such as 30m or 8h, not '$AI_TOKEN_DURATION'"
kubectl get namespace "$NAMESPACE" >/dev/null ||
  die "namespace '$NAMESPACE' not found in the current context: deploy first (make deploy) or set NAMESPACE"

step "ServiceAccount $ACCOUNT and its Role in namespace $NAMESPACE"
kubectl apply --server-side --force-conflicts --field-manager=todo-chatbot-ai -f - <<EOF
apiVersion: v1
kind: ServiceAccount
metadata:
  name: $ACCOUNT
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: todo-chatbot
# Its tokens are handed out by TokenRequest only, never mounted into a pod.
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: $ACCOUNT
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: todo-chatbot
rules:
  - apiGroups: [""]
    resources: [pods, pods/log, events, services, persistentvolumeclaims]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments, replicasets, statefulsets]
    verbs: [get, list, watch]
  - apiGroups: [autoscaling]
    resources: [horizontalpodautoscalers]
    verbs: [get, list, watch]
  # Changes to the two Deployments only: scale, or patch (resources, env). Helm owns them, so a
  # change that should last belongs in helm/*/values.yaml (helm/AI-OPERATIONS.md).
  - apiGroups: [apps]
    resources: [deployments, deployments/scale]
    resourceNames: [backend, frontend]
    verbs: [get, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: $ACCOUNT
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: todo-chatbot
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: $ACCOUNT
subjects:
  - kind: ServiceAccount
    name: $ACCOUNT
    namespace: $NAMESPACE
EOF

step "a token for $AI_TOKEN_DURATION and the kubeconfig"
read -r token expires < <(kubectl create token "$ACCOUNT" -n "$NAMESPACE" \
  --duration "$AI_TOKEN_DURATION" -o jsonpath='{.status.token} {.status.expirationTimestamp}{"\n"}')
[ -n "$token" ] && [ -n "$expires" ] || die "the API server returned no token for $ACCOUNT"
cluster_field() { kubectl config view --minify --flatten -o "jsonpath={.clusters[0].cluster.$1}"; }
server=$(cluster_field server)
ca_data=$(cluster_field certificate-authority-data)
[ -n "$ca_data" ] || die "the current context's cluster has no CA certificate to put into the kubeconfig"

mkdir -p "$(dirname "$AI_KUBECONFIG")"
partial=$AI_KUBECONFIG.partial
(
  umask 077
  cat >"$partial" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: todo-chatbot
    cluster:
      server: $server
      certificate-authority-data: $ca_data
users:
  - name: $ACCOUNT
    user:
      token: $token
contexts:
  - name: $ACCOUNT
    context:
      cluster: todo-chatbot
      user: $ACCOUNT
      namespace: $NAMESPACE
current-context: $ACCOUNT
EOF
)
chmod 600 "$partial"
mv "$partial" "$AI_KUBECONFIG"
note "wrote $AI_KUBECONFIG (mode 0600): ServiceAccount $ACCOUNT, namespace $NAMESPACE"
note "its token expires at $expires (run \`make ai-kubeconfig\` again for a new one)"
note "use it: kubectl-ai --kubeconfig $AI_KUBECONFIG ...  or  KUBECONFIG=$AI_KUBECONFIG kubectl ..."
