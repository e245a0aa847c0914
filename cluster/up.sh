#!/usr/bin/env bash
# Start a single-node upstream Kubernetes on this Linux machine, with a local image registry:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet on containerd and runc,
# kube-proxy (iptables), CoreDNS and a dynamic volume provisioner, as real processes and pods.
# For CI and Linux developers; users keep Minikube (README, "A real cluster for the tests").
#
#   cluster/up.sh     start it, or reuse the one that runs; prints the two lines to paste
#
# Needs root, Docker (to build the cluster's own images), and Debian's containerd, runc,
# containernetworking-plugins, docker-registry, catatonit, apache2-utils (htpasswd) and jq.
# cluster/down.sh undoes it all.
set -euo pipefail
# shellcheck source=cluster/lib.sh
source "$(dirname "$0")/lib.sh"

CNI_BIN_DIR=${CNI_BIN_DIR:-/usr/lib/cni}
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
COREDNS_IMAGE=registry.k8s.io/coredns/coredns:$(component_version coredns)
# Our own images are named after their build (version and digest), so a rebuilt one is pulled.
PROVISIONER_IMAGE=$REGISTRY/todo-cluster/storage-provisioner:$(basename "$(component_dir storage-provisioner)")

check_machine() {
  [ "$(id -u)" = 0 ] || die "the cluster needs root (it runs a kubelet, containerd and iptables)"
  [ "$(uname -s)" = Linux ] || die "the cluster runs on Linux only; elsewhere use Minikube"
  local tool missing=()
  for tool in containerd runc docker-registry catatonit htpasswd jq iptables ip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ -x "$CNI_BIN_DIR/bridge" ] || missing+=("containernetworking-plugins")
  [ -n "$DOCKER" ] || missing+=("docker")
  [ ${#missing[@]} -eq 0 ] ||
    die "missing: ${missing[*]} (Debian: apt-get install containerd runc containernetworking-plugins docker-registry catatonit apache2-utils jq iptables iproute2 docker.io)"
}

kubectl_admin() { "$KUBERNETES_BIN/kubectl" --kubeconfig "$PKI_DIR/admin.conf" "$@"; }

healthy() {
  [ -f "$PKI_DIR/admin.conf" ] && [ -x "$KUBERNETES_BIN/kubectl" ] || return 1
  kubectl_admin get --raw /readyz >/dev/null 2>&1 && node_ready 2>/dev/null
}

# --- the machine ---------------------------------------------------------------------------------

# Remember what we change, so that cluster/down.sh can put it back.
record_host_settings() {
  local setting
  : >"$STATE_DIR/host-settings"
  for setting in net/ipv4/ip_forward kernel/panic kernel/panic_on_oops vm/overcommit_memory; do
    echo "sysctl $setting $(cat "/proc/sys/$setting")" >>"$STATE_DIR/host-settings"
  done
  echo "propagation / $(findmnt -no PROPAGATION /)" >>"$STATE_DIR/host-settings"
}

# Remember what this cluster is about to make where another Kubernetes on the machine could
# use the same names: down.sh removes only these. The pod bridge and the kubelet's kubepods
# cgroups are ours unless they exist already; KUBE-* and CNI-* chains that exist now are not.
record_what_we_make() {
  local family
  echo "bridge $NODE_BRIDGE" >"$MADE_FILE"
  ip link show "$POD_BRIDGE" >/dev/null 2>&1 || echo "bridge $POD_BRIDGE" >>"$MADE_FILE"
  [ -d /sys/fs/cgroup/memory/kubepods ] || echo "cgroups kubepods" >>"$MADE_FILE"
  : >"$IPTABLES_BEFORE_FILE"
  for family in iptables ip6tables; do
    command -v "$family-save" >/dev/null || continue
    "$family-save" 2>/dev/null | awk -v family="$family" \
      '/^\*/ {table = substr($1, 2)} /^:(KUBE|CNI)-/ {print family, table, substr($1, 2)}' \
      >>"$IPTABLES_BEFORE_FILE"
  done
}

prepare_host() {
  step "preparing the machine (bridge $NODE_BRIDGE at $NODE_IP, forwarding, mount propagation)"
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
  # Keys, kubeconfigs and the registry's password are root's alone; so are the volumes, which
  # the kubelet hands to each pod's group (fsGroup) when it mounts them.
  install -d -m 700 "$PKI_DIR" "$STATE_DIR/config" "$STATE_DIR/volumes"
  record_host_settings
  record_what_we_make
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/24" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  echo 1 >/proc/sys/net/ipv4/ip_forward
  # The kubelet mounts volumes that containers must see: that needs shared propagation.
  mount --make-rshared /
}

start_daemon() {  # name command...: runs detached, logs to $LOG_DIR/name.log
  local name=$1
  shift
  setsid "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

# --- registry and images -------------------------------------------------------------------------

# Every request needs the password: the registry serves the cluster's own images (pause,
# CoreDNS, PostgreSQL), and Debian's registry (2.8) cannot let anonymous readers in while keeping
# writers out, so containerd pulls with the same credentials.
start_registry() {
  step "image registry at $REGISTRY (Debian's docker-registry, password required)"
  mkdir -p "$STATE_DIR/registry"
  (
    umask 077
    printf 'REGISTRY_USERNAME=%s\nREGISTRY_PASSWORD=%s\n' "$REGISTRY_USERNAME" \
      "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >"$REGISTRY_CREDENTIALS"
    registry_password | htpasswd -niB "$REGISTRY_USERNAME" >"$STATE_DIR/config/registry.htpasswd"
  )
  cat >"$STATE_DIR/config/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE_DIR/registry}
  delete: {enabled: true}
http: {addr: $REGISTRY}
auth:
  htpasswd: {realm: todo-cluster, path: $STATE_DIR/config/registry.htpasswd}
EOF
  start_daemon registry docker-registry serve "$STATE_DIR/config/registry.yml"
  wait_until 30 "the registry" registry_answers
}

registry_password() { sed -n 's/^REGISTRY_PASSWORD=//p' "$REGISTRY_CREDENTIALS"; }

# The password goes to curl on stdin, never into a command line that every user can read.
registry_answers() {
  printf 'user = "%s:%s"\n' "$REGISTRY_USERNAME" "$(registry_password)" | curl -fsS -K - "http://$REGISTRY/v2/"
}

# Docker keeps the login in the user's own config, so `make deploy` pushes as to any registry.
docker_login() {
  registry_password | "$DOCKER" login -u "$REGISTRY_USERNAME" --password-stdin "$REGISTRY" >/dev/null
  grep -qx "docker-login $REGISTRY" "$MADE_FILE" || echo "docker-login $REGISTRY" >>"$MADE_FILE"
}

# The cluster's own images, built FROM scratch around the binaries (and Debian's catatonit as the
# pause process), pushed under their upstream names; containerd pulls them through its mirror.
push_cluster_images() {
  step "cluster images into the registry"
  local context=$STATE_DIR/image-context
  mkdir -p "$context"
  cp "$(command -v catatonit)" "$context/pause"
  cp "$(component_dir coredns)/coredns" "$context/coredns"
  cp "$(component_dir storage-provisioner)/storage-provisioner" "$context/storage-provisioner"
  build_and_push pause "$context" "$REGISTRY/pause:${PAUSE_IMAGE##*:}"
  build_and_push coredns "$context" "$REGISTRY/coredns/coredns:${COREDNS_IMAGE##*:}"
  build_and_push storage-provisioner "$context" "$PROVISIONER_IMAGE"
  rm -rf "$context"
  # The in-cluster PostgreSQL of the backend chart is docker.io's postgres:17; the registry
  # mirrors docker.io for the cluster, so it serves the image this machine's Docker has.
  if "$DOCKER" image inspect postgres:17 >/dev/null 2>&1; then
    "$DOCKER" tag postgres:17 "$REGISTRY/library/postgres:17"
    with_progress "push postgres:17" "$LOG_DIR/push-postgres.log" "$DOCKER" push "$REGISTRY/library/postgres:17"
  else
    note "Docker has no postgres:17: the chart's in-cluster PostgreSQL cannot start until it is pushed to $REGISTRY/library/postgres:17"
  fi
}

build_and_push() {  # dockerfile-name context tag
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -f "$CLUSTER_DIR/images/$1.Dockerfile" -t "$3" "$2" >/dev/null
  "$DOCKER" push -q "$3" >/dev/null
  note "$3"
}

# --- containerd ----------------------------------------------------------------------------------

write_containerd_config() {
  local certs=$STATE_DIR/config/certs.d mirrored
  mkdir -p "$STATE_DIR/cni/net.d"
  # Each upstream registry the cluster names is served by the local one, as in an air-gapped
  # cluster with a pull-through mirror; our own images are pulled from it by its address.
  for mirrored in docker.io registry.k8s.io "$REGISTRY"; do
    mkdir -p "$certs/$mirrored"
    cat >"$certs/$mirrored/hosts.toml" <<EOF
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  done
  # It holds the registry's password: root's alone.
  install -m 600 /dev/null "$STATE_DIR/config/containerd.toml"
  cat >"$STATE_DIR/config/containerd.toml" <<EOF
version = 2
root = "$STATE_DIR/containerd"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCKET"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Root here lacks CAP_SYS_RESOURCE, so no process may lower its OOM score: containers get
  # the score they ask for, but never below containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$STATE_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$certs"
    [plugins."io.containerd.grpc.v1.cri".registry.configs."$REGISTRY".auth]
      username = "$REGISTRY_USERNAME"
      password = "$(registry_password)"
EOF
  cat >"$STATE_DIR/cni/net.d/10-todo-cluster.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

start_containerd() {
  step "containerd $(containerd --version | awk '{print $3}') (its own instance, beside Docker's)"
  write_containerd_config
  start_daemon containerd containerd --config "$STATE_DIR/config/containerd.toml"
  wait_until 30 "containerd" test -S "$CONTAINERD_SOCKET"
}

# --- control plane -------------------------------------------------------------------------------

# A subshell: every key and kubeconfig it writes is root's alone (kube-proxy.conf holds a
# client key too).
make_certificates() (
  umask 077
  step "certificates and kubeconfigs (kubeadm init phases)"
  cat >"$STATE_DIR/config/kubeadm.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: $NODE_IP, bindPort: 6443}
nodeRegistration: {name: $NODE_NAME}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $KUBERNETES_VERSION
certificatesDir: $PKI_DIR
clusterName: todo-cluster
controlPlaneEndpoint: $NODE_IP:6443
networking: {serviceSubnet: $SERVICE_CIDR, podSubnet: $POD_CIDR, dnsDomain: $CLUSTER_DOMAIN}
apiServer:
  certSANs: [127.0.0.1, localhost, $NODE_IP]
EOF
  "$KUBERNETES_BIN/kubeadm" init phase certs all --config "$STATE_DIR/config/kubeadm.yaml" >"$LOG_DIR/kubeadm.log" 2>&1
  "$KUBERNETES_BIN/kubeadm" init phase kubeconfig all --config "$STATE_DIR/config/kubeadm.yaml" \
    --kubeconfig-dir "$PKI_DIR" >>"$LOG_DIR/kubeadm.log" 2>&1
  # kube-proxy runs on the host with its own identity, bound by default to system:node-proxier.
  "$KUBERNETES_BIN/kubeadm" kubeconfig user --config "$STATE_DIR/config/kubeadm.yaml" \
    --client-name system:kube-proxy >"$PKI_DIR/kube-proxy.conf" 2>>"$LOG_DIR/kubeadm.log"
)

start_etcd() {
  step "etcd $(component_version etcd)"
  # TLS on loopback, and only clients with a certificate of the cluster's etcd CA get in (the
  # API server's apiserver-etcd-client), as kubeadm sets it up; the metrics port (metrics and
  # health, no data) stays plain HTTP on loopback, as kubeadm's does.
  local pki=$PKI_DIR/etcd
  start_daemon etcd "$(component_dir etcd)/etcd" --name "$NODE_NAME" --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
    --cert-file "$pki/server.crt" --key-file "$pki/server.key" \
    --client-cert-auth --trusted-ca-file "$pki/ca.crt" \
    --listen-peer-urls https://127.0.0.1:2380 --initial-advertise-peer-urls https://127.0.0.1:2380 \
    --peer-cert-file "$pki/peer.crt" --peer-key-file "$pki/peer.key" \
    --peer-client-cert-auth --peer-trusted-ca-file "$pki/ca.crt" \
    --initial-cluster "$NODE_NAME=https://127.0.0.1:2380" --listen-metrics-urls http://127.0.0.1:2381
  wait_until 60 "etcd" curl -fsS http://127.0.0.1:2381/health
}

start_apiserver() {
  step "kube-apiserver $KUBERNETES_VERSION"
  start_daemon kube-apiserver "$KUBERNETES_BIN/kube-apiserver" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port 6443 \
    --etcd-servers https://127.0.0.1:2379 --etcd-cafile "$PKI_DIR/etcd/ca.crt" \
    --etcd-certfile "$PKI_DIR/apiserver-etcd-client.crt" --etcd-keyfile "$PKI_DIR/apiserver-etcd-client.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --service-node-port-range 30000-32767 \
    --client-ca-file "$PKI_DIR/ca.crt" \
    --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
    --kubelet-client-certificate "$PKI_DIR/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file "$PKI_DIR/sa.pub" --service-account-signing-key-file "$PKI_DIR/sa.key" \
    --proxy-client-cert-file "$PKI_DIR/front-proxy-client.crt" \
    --proxy-client-key-file "$PKI_DIR/front-proxy-client.key" \
    --requestheader-client-ca-file "$PKI_DIR/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client --requestheader-extra-headers-prefix X-Remote-Extra- \
    --requestheader-group-headers X-Remote-Group --requestheader-username-headers X-Remote-User \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged
  wait_until 120 "the API server" "$KUBERNETES_BIN/kubectl" --kubeconfig "$PKI_DIR/super-admin.conf" get --raw /readyz
  # kubeadm's admin.conf names a group that only a full `kubeadm init` binds to cluster-admin.
  "$KUBERNETES_BIN/kubectl" --kubeconfig "$PKI_DIR/super-admin.conf" create clusterrolebinding \
    kubeadm:cluster-admins --clusterrole cluster-admin --group kubeadm:cluster-admins >/dev/null
}

start_controllers() {
  step "kube-controller-manager and kube-scheduler"
  start_daemon kube-controller-manager "$KUBERNETES_BIN/kube-controller-manager" \
    --kubeconfig "$PKI_DIR/controller-manager.conf" \
    --authentication-kubeconfig "$PKI_DIR/controller-manager.conf" \
    --authorization-kubeconfig "$PKI_DIR/controller-manager.conf" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$PKI_DIR/sa.key" --root-ca-file "$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file "$PKI_DIR/ca.crt" --cluster-signing-key-file "$PKI_DIR/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --controllers '*,bootstrapsigner,tokencleaner'
  start_daemon kube-scheduler "$KUBERNETES_BIN/kube-scheduler" \
    --kubeconfig "$PKI_DIR/scheduler.conf" --authentication-kubeconfig "$PKI_DIR/scheduler.conf" \
    --authorization-kubeconfig "$PKI_DIR/scheduler.conf" --bind-address 127.0.0.1 --leader-elect=false
}

# --- the node ------------------------------------------------------------------------------------

start_kubelet() {
  step "kubelet (node $NODE_NAME at $NODE_IP)"
  cat >"$STATE_DIR/config/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CONTAINERD_SOCKET
# The API server reaches the kubelet at the node's address; its health port stays on loopback
# and its unauthenticated read-only port stays off.
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
cgroupDriver: cgroupfs
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
failSwapOn: false
# Lowering its OOM score needs CAP_SYS_RESOURCE, which root lacks here (see containerd's config).
oomScoreAdj: 0
# No registry can give an image back: never collect images (kind does the same).
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%}
serializeImagePulls: false
EOF
  start_daemon kubelet "$KUBERNETES_BIN/kubelet" --config "$STATE_DIR/config/kubelet.yaml" \
    --kubeconfig "$PKI_DIR/kubelet.conf" --root-dir "$STATE_DIR/kubelet" \
    --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
  wait_until 120 "node $NODE_NAME to be Ready" node_ready
}

node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

start_kube_proxy() {
  step "kube-proxy (iptables)"
  cat >"$STATE_DIR/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
oomScoreAdj: 0
clientConnection: {kubeconfig: $PKI_DIR/kube-proxy.conf}
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: 0.0.0.0
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# NodePorts answer on the node's address; loopback NodePorts would need route_localnet.
iptables: {localhostNodePorts: false}
# Leave the machine's conntrack sysctls alone.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start_daemon kube-proxy "$KUBERNETES_BIN/kube-proxy" --config "$STATE_DIR/config/kube-proxy.yaml"
  wait_until 60 "kube-proxy" curl -fsS http://127.0.0.1:10256/healthz
}

# --- add-ons -------------------------------------------------------------------------------------

install_addons() {
  step "add-ons: CoreDNS and the default StorageClass"
  sed -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" \
    -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" "$CLUSTER_DIR/manifests/coredns.yaml" | kubectl_admin apply -f - >/dev/null
  sed -e "s|@PROVISIONER_IMAGE@|$PROVISIONER_IMAGE|g" \
    -e "s|@VOLUMES_DIR@|$STATE_DIR/volumes|g" "$CLUSTER_DIR/manifests/storage.yaml" | kubectl_admin apply -f - >/dev/null
  kubectl_admin -n kube-system rollout status deployment/coredns --timeout 180s >/dev/null
  kubectl_admin -n kube-system rollout status deployment/storage-provisioner --timeout 180s >/dev/null
  note "CoreDNS and storage-provisioner are ready"
}

print_exports() {
  mkdir -p "$(dirname "$KUBECONFIG_PATH")"
  install -m 600 "$PKI_DIR/admin.conf" "$KUBECONFIG_PATH"
  step "cluster ready: Kubernetes $KUBERNETES_VERSION, node $NODE_NAME at $NODE_IP"
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
  echo "export IMAGE_REGISTRY=$REGISTRY"
  note "registry credentials (root only): $REGISTRY_CREDENTIALS; Docker is logged in to $REGISTRY"
}

main() {
  check_machine
  local start
  start=$(date +%s)
  "$CLUSTER_DIR/build.sh"
  KUBERNETES_BIN=$(component_dir kubernetes)
  if healthy; then
    note "the cluster is running already"
    docker_login
    print_exports
    return
  fi
  if [ -e "$STATE_DIR" ] || [ -e "$RUN_DIR" ]; then
    step "clearing what a stopped cluster left behind"
    "$CLUSTER_DIR/down.sh" >/dev/null
  fi
  prepare_host
  start_registry
  docker_login
  push_cluster_images
  start_containerd
  make_certificates
  start_etcd
  start_apiserver
  start_controllers
  start_kubelet
  start_kube_proxy
  install_addons
  note "started in $(seconds_since "$start")s"
  print_exports
}

main "$@"
