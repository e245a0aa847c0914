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
#   scripts/k8s.sh backup                    pg_dump of the in-cluster PostgreSQL into backups/
#   BACKUP=FILE scripts/k8s.sh restore       pg_restore of such a dump into the running release
#
# Configuration comes from the environment, else from .env (the same names the services read):
# DATABASE_URL (empty or SQLite: PostgreSQL runs in the cluster), BETTER_AUTH_SECRET (generated
# when empty and kept across runs), BETTER_AUTH_URL, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL,
# AGENT_PROVIDER, LOG_LEVEL; FRONTEND_AUTH_SECRET signs the frontend's session cookie (generated
# and kept when empty; set it to $BETTER_AUTH_SECRET to share one value).
# Chart settings beyond these go in values files: BACKEND_VALUES=file.yaml and
# FRONTEND_VALUES=file.yaml are given to their chart after the script's own values, so they win,
# for this deploy only (pass them again on the next one).
# Images: built here with Docker and tagged `<version>-<first 12 hex digits of the image ID>`, a
# tag that never moves, so each release revision names its own code and a rollback runs it again.
# Where: DEPLOY_TARGET=minikube (the default: starts Minikube if needed and loads the images into
# it with `minikube image load`) or DEPLOY_TARGET=current (the kubeconfig's current context, any
# cluster: the images are pushed to IMAGE_REGISTRY, e.g. registry.example.com/team; `docker login`
# to it is yours to do).
# Knobs: NAMESPACE (default), HELM_TIMEOUT (5m), MINIKUBE_CPUS (2), MINIKUBE_MEMORY (3072),
# ENV_FILE (.env), DOCKER (docker), DOCKER_BUILD_FLAGS (extra `docker build` flags),
# BACKUP_DIR (backups).
# Running deploy twice changes nothing: same images, same Secrets, and a release whose rendered
# manifest is unchanged is not upgraded (no new revision).
set -euo pipefail
# Files the user names are relative to where they ran the command.
for name in BACKEND_VALUES FRONTEND_VALUES BACKUP; do
  case ${!name:-} in
    '' | /*) ;;
    *) printf -v "$name" '%s/%s' "$PWD" "${!name}" ;;
  esac
done
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
BACKEND_VALUES=${BACKEND_VALUES:-}
FRONTEND_VALUES=${FRONTEND_VALUES:-}
BACKUP_DIR=${BACKUP_DIR:-backups}
# The project's version, from the one place that states it.
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
RELEASES=(backend frontend)
ENV_KEYS=(DATABASE_URL BETTER_AUTH_SECRET BETTER_AUTH_URL OPENAI_API_KEY OPENAI_BASE_URL
  OPENAI_MODEL AGENT_PROVIDER LOG_LEVEL FRONTEND_AUTH_SECRET)
PLACEHOLDERS=" changeme change-me secret test your-secret-here replace-me "

# shellcheck source=scripts/output.sh
source scripts/output.sh

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

# The services' rule for BETTER_AUTH_SECRET (common/src/todo_common/secrets.py), checked before
# anything is applied: long, varied, no placeholder and not the public local-mode secret.
LOCAL_MODE_SECRET=local-mode-secret-not-for-production-use-0000
check_secret() {  # name value
  local lowered distinct
  lowered=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
  distinct=$(printf '%s' "$2" | fold -w1 | LC_ALL=C sort -u | wc -l | tr -d ' ')
  if [ ${#2} -lt 32 ] || [[ $PLACEHOLDERS == *" $lowered "* ]] || [ "$distinct" -lt 10 ] ||
    [ "$2" = "$LOCAL_MODE_SECRET" ]; then
    die "$1 must be at least 32 random characters, 10 or more of them different, and not the local-mode secret (e.g. \`openssl rand -hex 32\`), or unset to generate one"
  fi
}

json_string() {
  local text=${1//\\/\\\\}
  text=${text//\"/\\\"}
  printf '"%s"' "$text"
}

# --- tools --------------------------------------------------------------------------------------

helm_version() { helm version --template '{{.Version}}' 2>/dev/null; }

version_of() {  # tool: its version as the tool prints it, or nothing
  case $1 in
    docker) "$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null ;;
    kubectl) kubectl version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' ;;
    helm) helm_version ;;
    minikube) minikube version --short 2>/dev/null ;;
  esac
}

at_least() {  # version major minor: true when version (v1.2.3 or 1.2.3) is major.minor or newer
  local major minor
  IFS=. read -r major minor _ <<<"${1#v}"
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  [ "$major" -gt "$2" ] || { [ "$major" -eq "$2" ] && [ "$minor" -ge "$3" ]; }
}

# Every tool the command needs, each with its version; all that are missing or too old are named
# together, each with where to get it.
check_tools() {  # tools...
  local tool command version problems=() found=()
  for tool in "$@"; do
    command=$tool
    [ "$tool" = docker ] && command=$DOCKER
    if ! command -v "$command" >/dev/null; then
      problems+=("$tool is not installed: $(install_hint "$tool")")
      continue
    fi
    version=$(version_of "$tool")
    found+=("$tool ${version:-(version unknown)}")
    case $tool in
      helm) at_least "$version" 3 12 ||
        problems+=("helm ${version:-(unknown version)} is too old: 3.12 or newer is needed ($(install_hint helm))") ;;
      kubectl) at_least "$version" 1 25 ||
        problems+=("kubectl ${version:-(unknown version)} is too old: 1.25 or newer is needed ($(install_hint kubectl))") ;;
    esac
  done
  [ ${#found[@]} -eq 0 ] || note "tools: $(printf '%s; ' "${found[@]}")"
  if [ ${#problems[@]} -gt 0 ]; then
    printf 'error: %s\n' "${problems[@]}" >&2
    exit 1
  fi
}

# Where to get each tool (bash 3.2, macOS's, has no associative arrays).
install_hint() {
  case $1 in
    docker) echo "https://docs.docker.com/get-docker/ (Docker Desktop on macOS and Windows/WSL2; Docker Engine on Linux)" ;;
    kubectl) echo "https://kubernetes.io/docs/tasks/tools/ (brew install kubectl; \`minikube kubectl --\` is not on PATH)" ;;
    helm) echo "https://helm.sh/docs/intro/install/ (brew install helm)" ;;
    minikube) echo "https://minikube.sigs.k8s.io/docs/start/ (brew install minikube)" ;;
  esac
}

# The tools a deploy needs for its target.
check_deploy_tools() {
  case $DEPLOY_TARGET in
    minikube) check_tools docker kubectl helm minikube ;;
    current)
      [ -n "$IMAGE_REGISTRY" ] ||
        die "DEPLOY_TARGET=current needs IMAGE_REGISTRY, the registry the cluster pulls from (e.g. registry.example.com/team)"
      check_tools docker kubectl helm ;;
    *) die "DEPLOY_TARGET is minikube or current (got '$DEPLOY_TARGET')" ;;
  esac
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
  [ -z "$encoded" ] || printf '%s' "$encoded" | base64 --decode
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

# The image each chart runs, as `repository:tag`, and its image ID; set by build_images.
backend_image='' frontend_image='' backend_image_id='' frontend_image_id=''

build_images() {
  step "building the images (version $VERSION)"
  local flags
  read -ra flags <<<"$DOCKER_BUILD_FLAGS"
  DOCKER_BUILDKIT=1 "$DOCKER" build "${flags[@]}" --build-arg "VERSION=$VERSION" \
    -f Dockerfile.backend -t "todo-backend:$VERSION" .
  DOCKER_BUILDKIT=1 "$DOCKER" build "${flags[@]}" --build-arg "VERSION=$VERSION" \
    -f Dockerfile.frontend -t "todo-frontend:$VERSION" .
  backend_image_id=$("$DOCKER" image inspect --format '{{.Id}}' "todo-backend:$VERSION")
  frontend_image_id=$("$DOCKER" image inspect --format '{{.Id}}' "todo-frontend:$VERSION")
  backend_image=$(ship_image todo-backend "$backend_image_id")
  frontend_image=$(ship_image todo-frontend "$frontend_image_id")
}

# Tag the image with `<version>-<first 12 hex digits of its ID>`, a tag that never moves, so a
# release revision names exactly the code it runs and a rollback brings that code back; then put
# it where the cluster finds it: loaded into Minikube, or pushed to IMAGE_REGISTRY.
ship_image() {  # name image-id: prints repository:tag
  local id=${2#sha256:} reference
  reference=$1:$VERSION-${id:0:12}
  [ "$DEPLOY_TARGET" = minikube ] || reference=${IMAGE_REGISTRY%/}/$reference
  "$DOCKER" tag "$1:$VERSION" "$reference"
  if [ "$DEPLOY_TARGET" = minikube ]; then
    minikube image load "$reference" >&2 || die "minikube image load $reference failed"
    note "loaded $reference into Minikube" >&2
  else
    "$DOCKER" push -q "$reference" >&2 || die "docker push $reference failed (is \`docker login ${IMAGE_REGISTRY%%/*}\` done?)"
    note "pushed $reference" >&2
  fi
  echo "$reference"
}

create_secrets() {
  step "Secrets in namespace $NAMESPACE"
  # A namespace made here runs under Pod Security `restricted`, enforced: the charts comply.
  if ! kubectl get namespace "$NAMESPACE" >/dev/null 2>&1; then
    kubectl create namespace "$NAMESPACE"
    kubectl label namespace "$NAMESPACE" pod-security.kubernetes.io/enforce=restricted \
      pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/audit=restricted >/dev/null
  fi

  local backend_dir=$workdir/backend-secrets frontend_dir=$workdir/frontend-secrets auth frontend_auth proxy
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
  # One key in both Secrets (generated once, then kept): the frontend signs its visitors'
  # addresses with it, the backend checks them.
  proxy=$(existing_key backend-secrets proxy-secret)
  [ -n "$proxy" ] || proxy=$(random_secret 32)
  put "$backend_dir" proxy-secret "$proxy"
  apply_secret backend-secrets "$backend_dir"

  frontend_auth=${FRONTEND_AUTH_SECRET:-$(existing_key frontend-secrets auth-secret)}
  [ -n "$frontend_auth" ] || frontend_auth=$(random_secret 32)
  check_secret FRONTEND_AUTH_SECRET "$frontend_auth"
  put "$frontend_dir" auth-secret "$frontend_auth"
  put "$frontend_dir" proxy-secret "$proxy"
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

user_values_file() {  # release: the user's values file for it, or nothing
  case $1 in
    backend) echo "$BACKEND_VALUES" ;;
    frontend) echo "$FRONTEND_VALUES" ;;
  esac
}

check_user_values() {
  local release file
  for release in "${RELEASES[@]}"; do
    file=$(user_values_file "$release")
    [ -n "$file" ] || continue
    [ -f "$file" ] && [ -r "$file" ] || die "$(tr '[:lower:]' '[:upper:]' <<<"$release")_VALUES: no readable file '$file'"
    note "$release: your values from $file (they win over the script's)"
  done
}

# A deployed release whose stored manifest equals what the chart renders now needs no upgrade.
unchanged() {  # release values-args...
  local release=$1
  shift
  [ "$(helm list -n "$NAMESPACE" --deployed --filter "^$release\$" -q 2>/dev/null)" = "$release" ] || return 1
  local deployed rendered
  deployed=$(helm get manifest "$release" -n "$NAMESPACE" 2>/dev/null) || return 1
  rendered=$(helm template "$release" "helm/$release" -n "$NAMESPACE" "$@" --no-hooks --skip-tests) || return 1
  [ "$deployed" = "$rendered" ]
}

install_charts() {
  local release flag user_values values=()
  flag=$(rollback_flag)
  for release in "${RELEASES[@]}"; do
    # The script's values, then the user's (BACKEND_VALUES, FRONTEND_VALUES), which win.
    values=(-f "$workdir/$release-values.json")
    user_values=$(user_values_file "$release")
    [ -z "$user_values" ] || values+=(-f "$user_values")
    if unchanged "$release" "${values[@]}"; then
      step "helm: $release is up to date"
      continue
    fi
    step "helm upgrade --install $release (waiting up to $HELM_TIMEOUT; rolled back on failure)"
    helm upgrade --install "$release" "helm/$release" -n "$NAMESPACE" "${values[@]}" \
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
  check_user_values
  check_deploy_tools
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
  check_tools kubectl helm
  for release in "${releases[@]}"; do
    step "helm rollback $release ${2:-(previous revision)}"
    helm rollback "$release" ${2:+"$2"} -n "$NAMESPACE" --wait --timeout "$HELM_TIMEOUT"
    helm history "$release" -n "$NAMESPACE" --max 5
  done
  show_pods
  show_builds
}

# Which code each release answers with: its health endpoint's version and build, asked through
# the API server's proxy to the Service (so only Ready pods answer, and no node address is needed).
show_builds() {
  step "which code answers"
  local release health
  for release in "${RELEASES[@]}"; do
    health=$(kubectl get --raw "/api/v1/namespaces/$NAMESPACE/services/http:$release:http/proxy/api/health" \
      2>/dev/null) || { note "$release: no answer"; continue; }
    note "$release: version $(json_field version "$health"), build $(json_field build "$health")"
  done
}

json_field() {  # name json: a string field of a flat JSON object
  sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" <<<"$2"
}

status() {
  check_tools kubectl helm
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
  show_builds
  print_urls
}

undeploy() {
  check_tools kubectl helm
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

# --- backup and restore (the in-cluster PostgreSQL) ---------------------------------------------

DATABASE_POD=backend-postgresql-0

# Run a shell command in the database container, connected as the chart's user to its database.
in_database() {  # command [kubectl exec flags...]
  local command=$1
  shift
  kubectl exec "$@" -n "$NAMESPACE" "$DATABASE_POD" -c postgresql -- sh -c \
    "export PGPASSWORD=\"\$POSTGRES_PASSWORD\" PGHOST=127.0.0.1 PGUSER=\"\$POSTGRES_USER\" PGDATABASE=\"\$POSTGRES_DB\"; $command"
}

# Backups are of the database the chart runs; an external one (DATABASE_URL, e.g. Neon) has its
# provider's backups, and is left alone.
require_in_cluster_database() {  # what
  if ! kubectl get statefulset backend-postgresql -n "$NAMESPACE" >/dev/null 2>&1; then
    note "the release in namespace $NAMESPACE has no in-cluster PostgreSQL (an external DATABASE_URL,"
    note "or nothing deployed): $1 nothing; use your database provider's backups"
    exit 0
  fi
}

backup() {
  check_tools kubectl
  require_in_cluster_database "backed up"
  mkdir -p "$BACKUP_DIR"
  local file partial
  file=$BACKUP_DIR/todo-$NAMESPACE-$(date -u +%Y%m%dT%H%M%SZ).dump
  partial=$file.partial
  step "pg_dump of the in-cluster PostgreSQL (namespace $NAMESPACE)"
  # One transaction's snapshot: consistent while the app keeps writing. Holds password hashes.
  (umask 077 && in_database 'pg_dump --format=custom --no-owner' >"$partial") ||
    { rm -f "$partial"; die "pg_dump in $DATABASE_POD failed"; }
  [ "$(head -c 5 "$partial")" = PGDMP ] || { rm -f "$partial"; die "pg_dump wrote no dump"; }
  mv "$partial" "$file"
  note "wrote $file ($(wc -c <"$file" | tr -d ' ') bytes)"
  note "restore it with: make restore BACKUP=$file"
}

wait_for_no_api_pods() {
  local second
  for second in $(seq 120); do
    [ -n "$(kubectl get pods -n "$NAMESPACE" -o name \
      -l app.kubernetes.io/instance=backend,app.kubernetes.io/component=api)" ] || return 0
    [ $((second % 20)) -ne 0 ] || note "... waiting for the API pods to stop: ${second}s"
    sleep 1
  done
  die "the API pods did not stop in 120 s"
}

restore() {  # file
  [ -n "${1:-}" ] || die "which backup? make restore BACKUP=backups/todo-$NAMESPACE-....dump"
  [ -f "$1" ] || die "BACKUP: no file '$1'"
  [ "$(head -c 5 "$1")" = PGDMP ] || die "BACKUP: '$1' is not a pg_dump custom-format file (make backup writes one)"
  check_tools kubectl
  require_in_cluster_database "restored"
  local replicas
  replicas=$(kubectl get deployment backend -n "$NAMESPACE" -o 'jsonpath={.spec.replicas}')
  step "restoring $1 into namespace $NAMESPACE"
  note "this replaces every user, task and conversation in the release's database with the backup's"
  note "now there: $(in_database "psql -tAc \"SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM tasks) || ' tasks'\"" 2>/dev/null || echo 'an empty database')"
  # The API is stopped meanwhile: nothing writes to tables being replaced, and no one reads half.
  kubectl scale deployment backend -n "$NAMESPACE" --replicas=0 >/dev/null
  wait_for_no_api_pods
  # shellcheck disable=SC2016  # $PGDATABASE is the pod's
  in_database 'pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error -d "$PGDATABASE"' -i <"$1" ||
    { kubectl scale deployment backend -n "$NAMESPACE" --replicas="$replicas" >/dev/null; die "pg_restore failed: the database is as it was"; }
  kubectl scale deployment backend -n "$NAMESPACE" --replicas="$replicas" >/dev/null
  kubectl rollout status deployment backend -n "$NAMESPACE" --timeout="$HELM_TIMEOUT"
  note "restored: $(in_database "psql -tAc \"SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM tasks) || ' tasks'\"")"
}

case ${1:-} in
  deploy) deploy ;;
  rollback) shift; rollback "$@" ;;
  status) status ;;
  undeploy) undeploy ;;
  backup) backup ;;
  restore) restore "${BACKUP:-}" ;;
  *) sed -n '2,35p' "$0" >&2; exit 2 ;;
esac
