#!/usr/bin/env bash
# The Todo Chatbot on Kubernetes, behind `make deploy|rollback|status|undeploy`:
#
#   scripts/k8s.sh deploy                    build both images where the cluster gets them,
#                                            create/update the Secrets, install or upgrade both
#                                            charts (waiting; rolled back on failure)
#   scripts/k8s.sh rollback [backend|frontend|all] [REVISION]
#                                            helm rollback (default: both, to the previous revision)
#   scripts/k8s.sh status                    releases, their history, pods, services and URLs
#   scripts/k8s.sh undeploy                  helm uninstall both; PURGE=1 also deletes the database
#                                            volume and the Secrets
#
# Configuration comes from the environment, else from .env (the same names the services read):
# DATABASE_URL (empty or SQLite: PostgreSQL runs in the cluster), BETTER_AUTH_SECRET (generated
# when empty and kept across runs), BETTER_AUTH_URL, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL,
# AGENT_PROVIDER, LOG_LEVEL; FRONTEND_AUTH_SECRET signs the frontend's session cookie (generated
# and kept when empty; set it to $BETTER_AUTH_SECRET to share one value).
# Where: DEPLOY_TARGET=minikube (the default: starts Minikube if needed and builds the images in
# its Docker) or DEPLOY_TARGET=current (the kubeconfig's current context, any cluster: the images
# are built here, pushed to IMAGE_REGISTRY, e.g. registry.example.com/team, and installed by an
# immutable tag, the image's content digest; `docker login` to it is yours to do).
# Knobs: NAMESPACE (default), HELM_TIMEOUT (5m), MINIKUBE_CPUS (2), MINIKUBE_MEMORY (3072),
# ENV_FILE (.env), DOCKER (docker), DOCKER_BUILD_FLAGS (extra `docker build` flags).
# Running deploy twice changes nothing: same images, same Secrets, and a release whose rendered
# manifest is unchanged is not upgraded (no new revision).
set -euo pipefail
cd "$(dirname "$0")/.."

NAMESPACE=${NAMESPACE:-default}
HELM_TIMEOUT=${HELM_TIMEOUT:-5m}
MINIKUBE_CPUS=${MINIKUBE_CPUS:-2}
MINIKUBE_MEMORY=${MINIKUBE_MEMORY:-3072}
ENV_FILE=${ENV_FILE:-.env}
DEPLOY_TARGET=${DEPLOY_TARGET:-minikube}
IMAGE_REGISTRY=${IMAGE_REGISTRY:-}
DOCKER=${DOCKER:-docker}
DOCKER_BUILD_FLAGS=${DOCKER_BUILD_FLAGS:-}
RELEASES=(backend frontend)
ENV_KEYS=(DATABASE_URL BETTER_AUTH_SECRET BETTER_AUTH_URL OPENAI_API_KEY OPENAI_BASE_URL
  OPENAI_MODEL AGENT_PROVIDER LOG_LEVEL FRONTEND_AUTH_SECRET)
PLACEHOLDERS=" changeme change-me secret test your-secret-here replace-me "

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
chmod 700 "$workdir"

# --- configuration ------------------------------------------------------------------------------

# Variables already in the environment win over .env; only the keys above are read from it.
load_dotenv() {
  [ -f "$ENV_FILE" ] || return 0
  local key line value
  for key in "${ENV_KEYS[@]}"; do
    [ -n "${!key:-}" ] && continue
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?${key}=" "$ENV_FILE" | tail -n 1) || continue
    value=${line#*=}
    value=${value%$'\r'}
    case $value in
      \"*\") value=${value:1:${#value}-2} ;;
      \'*\') value=${value:1:${#value}-2} ;;
    esac
    printf -v "$key" '%s' "$value"
  done
}

random_secret() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

check_secret() {  # name value: the services refuse short or example secrets at start
  local lowered
  lowered=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
  if [ ${#2} -lt 32 ] || [[ $PLACEHOLDERS == *" $lowered "* ]]; then
    die "$1 must be at least 32 random characters (e.g. \`openssl rand -hex 32\`), or unset to generate one"
  fi
}

json_string() {
  local text=${1//\\/\\\\}
  text=${text//\"/\\\"}
  printf '"%s"' "$text"
}

# --- tools --------------------------------------------------------------------------------------

helm_version() { helm version --template '{{.Version}}' 2>/dev/null; }

check_tools() {
  local missing=() version major minor
  command -v "$DOCKER" >/dev/null || missing+=("docker is not installed: https://docs.docker.com/get-docker/")
  case $DEPLOY_TARGET in
    minikube)
      command -v minikube >/dev/null || missing+=("minikube is not installed: https://minikube.sigs.k8s.io/docs/start/") ;;
    current)
      [ -n "$IMAGE_REGISTRY" ] || missing+=("DEPLOY_TARGET=current needs IMAGE_REGISTRY, the registry the cluster pulls from (e.g. registry.example.com/team)") ;;
    *) die "DEPLOY_TARGET is minikube or current (got '$DEPLOY_TARGET')" ;;
  esac
  command -v kubectl >/dev/null || missing+=("kubectl is not installed: https://kubernetes.io/docs/tasks/tools/ (or use \`minikube kubectl --\`)")
  if ! command -v helm >/dev/null; then
    missing+=("helm is not installed (3.12 or newer): https://helm.sh/docs/intro/install/")
  else
    version=$(helm_version)
    IFS=. read -r major minor _ <<<"${version#v}"
    if ! [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || [ "$major" -lt 3 ] ||
      { [ "$major" -eq 3 ] && [ "$minor" -lt 12 ]; }; then
      missing+=("helm ${version:-(unknown version)} is too old: 3.12 or newer is needed (https://helm.sh/docs/intro/install/)")
    fi
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'error: %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

# Helm 3 calls it --atomic; Helm 4 renamed it --rollback-on-failure.
rollback_flag() {
  case $(helm_version) in
    v3.*) echo --atomic ;;
    *) echo --rollback-on-failure ;;
  esac
}

# --- Kubernetes objects -------------------------------------------------------------------------

existing_key() {  # secret key: the value stored in the cluster, or nothing
  local encoded
  encoded=$(kubectl get secret "$1" -n "$NAMESPACE" -o "jsonpath={.data.$2}" 2>/dev/null) || return 0
  [ -n "$encoded" ] && printf '%s' "$encoded" | base64 --decode
}

# Create or update a Secret from files named after its keys; server-side apply changes nothing
# when the data is the same, and keeps the values out of the process list.
apply_secret() {  # name dir
  local args=() file
  for file in "$2"/*; do args+=("--from-file=$(basename "$file")=$file"); done
  kubectl create secret generic "$1" -n "$NAMESPACE" "${args[@]}" --dry-run=client -o yaml |
    kubectl apply --server-side --force-conflicts --field-manager=todo-chatbot-deploy -f - >/dev/null
  note "Secret $1: keys $(cd "$2" && printf '%s ' *)"
}

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; }

secret_checksum() {  # dir: a digest of the keys and values, to annotate the pods with
  local file
  for file in "$1"/*; do printf '%s=%s\n' "$(basename "$file")" "$(cat "$file")"; done | sha256 | cut -c1-16
}

put() { printf '%s' "$3" >"$1/$2"; }  # dir key value

# --- deploy -------------------------------------------------------------------------------------

start_minikube() {
  if minikube status >/dev/null 2>&1; then
    note "Minikube is running"
  else
    step "starting Minikube (${MINIKUBE_CPUS} CPUs, ${MINIKUBE_MEMORY} MB)"
    minikube start --cpus="$MINIKUBE_CPUS" --memory="$MINIKUBE_MEMORY"
  fi
}

# The image each chart runs, as `repository:tag`; set by build_images.
backend_image=todo-backend:phase4
frontend_image=todo-frontend:phase4

build_images() {
  if [ "$DEPLOY_TARGET" = minikube ]; then
    step "building the images in Minikube's Docker"
    local env_script
    env_script=$(minikube docker-env --shell bash) || die "minikube docker-env failed (is the driver docker-compatible?)"
    eval "$env_script"
  else
    step "building the images"
  fi
  local flags
  read -ra flags <<<"$DOCKER_BUILD_FLAGS"
  DOCKER_BUILDKIT=1 "$DOCKER" build "${flags[@]}" -f Dockerfile.backend -t todo-backend:phase4 .
  DOCKER_BUILDKIT=1 "$DOCKER" build "${flags[@]}" -f Dockerfile.frontend -t todo-frontend:phase4 .
  backend_image_id=$("$DOCKER" image inspect --format '{{.Id}}' todo-backend:phase4)
  frontend_image_id=$("$DOCKER" image inspect --format '{{.Id}}' todo-frontend:phase4)
  if [ -n "$IMAGE_REGISTRY" ]; then
    backend_image=$(push_image todo-backend "$backend_image_id")
    frontend_image=$(push_image todo-frontend "$frontend_image_id")
  fi
}

# Push under a tag made of the image's content digest: a tag that never moves, so a release
# names exactly the code it runs and a rollback brings that code back.
push_image() {  # name image-id: prints repository:tag
  local digest=${2#sha256:} reference
  reference=${IMAGE_REGISTRY%/}/$1:${digest:0:12}
  "$DOCKER" tag "$1:phase4" "$reference"
  "$DOCKER" push -q "$reference" >&2 || die "docker push $reference failed (is \`docker login ${IMAGE_REGISTRY%%/*}\` done?)"
  note "pushed $reference" >&2
  echo "$reference"
}

create_secrets() {
  step "Secrets in namespace $NAMESPACE"
  kubectl get namespace "$NAMESPACE" >/dev/null 2>&1 || kubectl create namespace "$NAMESPACE"

  local backend_dir=$workdir/backend-secrets frontend_dir=$workdir/frontend-secrets auth frontend_auth
  mkdir -p "$backend_dir" "$frontend_dir"

  auth=${BETTER_AUTH_SECRET:-$(existing_key backend-secrets auth-secret)}
  [ -n "$auth" ] || { auth=$(random_secret 32); note "generated BETTER_AUTH_SECRET (kept in backend-secrets)"; }
  check_secret BETTER_AUTH_SECRET "$auth"
  put "$backend_dir" auth-secret "$auth"

  if [ -z "${DATABASE_URL:-}" ] || [[ $DATABASE_URL == sqlite* ]]; then
    in_cluster_database=true
    [ -z "${DATABASE_URL:-}" ] || note "DATABASE_URL is SQLite (for one machine): using PostgreSQL in the cluster"
    local password
    password=$(existing_key backend-secrets postgres-password)
    put "$backend_dir" postgres-password "${password:-$(random_secret 24)}"
  else
    in_cluster_database=false
    put "$backend_dir" database-url "$DATABASE_URL"
  fi
  [ -z "${BETTER_AUTH_URL:-}" ] || put "$backend_dir" auth-url "$BETTER_AUTH_URL"
  [ -z "${OPENAI_API_KEY:-}" ] || put "$backend_dir" openai-api-key "$OPENAI_API_KEY"
  apply_secret backend-secrets "$backend_dir"

  frontend_auth=${FRONTEND_AUTH_SECRET:-$(existing_key frontend-secrets auth-secret)}
  [ -n "$frontend_auth" ] || frontend_auth=$(random_secret 32)
  check_secret FRONTEND_AUTH_SECRET "$frontend_auth"
  put "$frontend_dir" auth-secret "$frontend_auth"
  apply_secret frontend-secrets "$frontend_dir"

  backend_secret_checksum=$(secret_checksum "$backend_dir")
  frontend_secret_checksum=$(secret_checksum "$frontend_dir")
}

write_values() {
  case ${OPENAI_BASE_URL:-} in
    *localhost* | *127.0.0.1*) note "OPENAI_BASE_URL points at this machine; from a pod use http://host.minikube.internal:PORT/..." ;;
  esac
  # The pods' annotations change with the image and the Secret, so a rebuilt image or a changed
  # Secret rolls the pods, and an unchanged one does not.
  cat >"$workdir/backend-values.json" <<EOF
{
  "config": {
    "logLevel": $(json_string "${LOG_LEVEL:-info}"),
    "agentProvider": $(json_string "${AGENT_PROVIDER:-auto}"),
    "openaiModel": $(json_string "${OPENAI_MODEL:-gpt-4o-mini}"),
    "openaiBaseUrl": $(json_string "${OPENAI_BASE_URL:-}")
  },
  "image": {"repository": $(json_string "${backend_image%:*}"), "tag": $(json_string "${backend_image##*:}")},
  "postgresql": {"enabled": $in_cluster_database, "auth": {"existingSecret": "backend-secrets"}},
  "podAnnotations": {
    "todo-chatbot/image-id": $(json_string "$backend_image_id"),
    "todo-chatbot/secret-checksum": $(json_string "$backend_secret_checksum")
  }
}
EOF
  cat >"$workdir/frontend-values.json" <<EOF
{
  "config": {"logLevel": $(json_string "${LOG_LEVEL:-info}")},
  "image": {"repository": $(json_string "${frontend_image%:*}"), "tag": $(json_string "${frontend_image##*:}")},
  "podAnnotations": {
    "todo-chatbot/image-id": $(json_string "$frontend_image_id"),
    "todo-chatbot/secret-checksum": $(json_string "$frontend_secret_checksum")
  }
}
EOF
}

# A deployed release whose stored manifest equals what the chart renders now needs no upgrade.
unchanged() {  # release values
  [ "$(helm list -n "$NAMESPACE" --deployed --filter "^$1\$" -q 2>/dev/null)" = "$1" ] || return 1
  local deployed rendered
  deployed=$(helm get manifest "$1" -n "$NAMESPACE" 2>/dev/null) || return 1
  rendered=$(helm template "$1" "helm/$1" -n "$NAMESPACE" -f "$2" --no-hooks --skip-tests) || return 1
  [ "$deployed" = "$rendered" ]
}

install_charts() {
  local release values flag
  flag=$(rollback_flag)
  for release in "${RELEASES[@]}"; do
    values=$workdir/$release-values.json
    if unchanged "$release" "$values"; then
      step "helm: $release is up to date"
      continue
    fi
    step "helm upgrade --install $release (waiting up to $HELM_TIMEOUT; rolled back on failure)"
    helm upgrade --install "$release" "helm/$release" -n "$NAMESPACE" -f "$values" \
      --wait --timeout "$HELM_TIMEOUT" "$flag" ||
      die "helm upgrade of $release failed (an upgrade that never got ready is rolled back); see \`kubectl get events -n $NAMESPACE --sort-by=.lastTimestamp\` and helm/QUICKSTART.md"
  done
}

print_urls() {
  local ip
  if [ "$DEPLOY_TARGET" = current ]; then
    ip=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}' 2>/dev/null)
    ip=${ip:-<node address>}
  else
    ip=$(minikube ip 2>/dev/null || echo "<minikube ip>")
  fi
  step "the Todo Chatbot"
  note "app:      http://$ip:30000"
  note "API docs: http://$ip:30001/docs"
  [ "$DEPLOY_TARGET" = minikube ] || return 0
  if [ "$(uname -s)" = Darwin ] || grep -qi microsoft /proc/version 2>/dev/null; then
    note "macOS / WSL2 with the Docker driver cannot reach Minikube's IP; keep this running instead:"
  else
    note "if that IP is unreachable (Docker driver on macOS or WSL2), keep this running instead:"
  fi
  note "  minikube service frontend -n $NAMESPACE --url    (and: minikube service backend ...)"
}

show_pods() {
  step "pods"
  kubectl get pods -n "$NAMESPACE" -l 'app.kubernetes.io/instance in (backend,frontend)' -o wide
}

deploy() {
  load_dotenv
  check_tools
  [ "$DEPLOY_TARGET" = current ] || start_minikube
  build_images
  create_secrets
  write_values
  install_charts
  print_urls
  show_pods
}

# --- rollback, status, undeploy -----------------------------------------------------------------

rollback() {  # [backend|frontend|all] [REVISION]
  local releases release
  case ${1:-all} in
    all) releases=("${RELEASES[@]}") ;;
    backend | frontend) releases=("$1") ;;
    *) die "rollback which chart? backend, frontend or all (got '$1')" ;;
  esac
  check_tools
  for release in "${releases[@]}"; do
    step "helm rollback $release ${2:-(previous revision)}"
    helm rollback "$release" ${2:+"$2"} -n "$NAMESPACE" --wait --timeout "$HELM_TIMEOUT"
    helm history "$release" -n "$NAMESPACE" --max 5
  done
  show_pods
}

status() {
  check_tools
  step "releases"
  helm list -n "$NAMESPACE"
  local release
  for release in "${RELEASES[@]}"; do
    step "history of $release"
    helm history "$release" -n "$NAMESPACE" --max 5 || note "$release is not installed"
  done
  step "workloads and services"
  kubectl get deployments,statefulsets,services,pvc -n "$NAMESPACE" -l app.kubernetes.io/part-of=todo-chatbot
  show_pods
  print_urls
}

undeploy() {
  check_tools
  local release
  for release in frontend backend; do
    if helm status "$release" -n "$NAMESPACE" >/dev/null 2>&1; then
      step "helm uninstall $release"
      helm uninstall "$release" -n "$NAMESPACE" --wait
    else
      note "$release is not installed"
    fi
  done
  if [ "${PURGE:-0}" = 1 ]; then
    step "deleting the database volume and the Secrets (PURGE=1)"
    kubectl delete pvc data-backend-postgresql-0 -n "$NAMESPACE" --ignore-not-found
    kubectl delete secret backend-secrets frontend-secrets -n "$NAMESPACE" --ignore-not-found
  else
    note "kept: the database volume (data-backend-postgresql-0) and the Secrets; PURGE=1 deletes them"
  fi
  [ "$DEPLOY_TARGET" = current ] ||
    note "Minikube keeps running: \`minikube stop\` stops it, \`minikube delete\` removes it"
}

case ${1:-} in
  deploy) deploy ;;
  rollback) shift; rollback "$@" ;;
  status) status ;;
  undeploy) undeploy ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
