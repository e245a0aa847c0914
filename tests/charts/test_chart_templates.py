"""What `helm template` renders: the plan's values, wiring between objects, probes, environment
and the restricted security context, checked on the real helm binary's output."""

import re
import subprocess
from pathlib import Path

import pytest
from chart_support import (
    ROOT,
    HelmTemplate,
    Manifest,
    Render,
    ci_case_id,
    ci_cases,
    container_env,
    find,
    kinds,
    parse_manifests,
    pod_specs,
)
from starlette.testclient import TestClient

from testkit import settings_by_variable
from todo_backend.main import create_app as create_backend
from todo_backend.settings import Settings as BackendSettings
from todo_common.build import VERSION
from todo_frontend.app import create_app as create_frontend
from todo_frontend.settings import Settings as FrontendSettings

pytestmark = pytest.mark.helm

BACKEND_SECRET_KEYS = {
    "DATABASE_URL": "database-url",
    "BETTER_AUTH_SECRET": "auth-secret",
    "BETTER_AUTH_URL": "auth-url",
    "OPENAI_API_KEY": "openai-api-key",
}
QUICKSTART_BACKEND = ("-f", str(ROOT / "helm/backend/ci/quickstart-values.yaml"))
QUICKSTART_FRONTEND = ("-f", str(ROOT / "helm/frontend/ci/quickstart-values.yaml"))


def only_container(workload: Manifest) -> Manifest:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: Manifest = containers[0]
    return container


def resolve_port(container: Manifest, port: int | str) -> int:
    """A probe's or Service's port by number or by the container port's name."""
    if isinstance(port, int):
        return port
    numbers = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    assert numbers, f"no container port named {port!r}"
    return int(numbers[0])


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- the plan's values --------------------------------------------------------------------------


def test_frontend_has_the_plans_shape(render: Render) -> None:
    manifests = render("frontend")
    deployment = find(manifests, "Deployment", "frontend")
    container = only_container(deployment)
    assert deployment["spec"]["replicas"] == 2
    assert container["image"] == f"todo-frontend:{VERSION}"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}

    service = find(manifests, "Service", "frontend")
    assert service["spec"]["type"] == "NodePort"
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["nodePort"]) == (3000, 30000)
    assert resolve_port(container, port["targetPort"]) == 3000

    config = find(manifests, "ConfigMap", "frontend-config")
    assert config["data"]["BACKEND_URL"] == "http://backend:8000"
    env = container_env(container)
    assert env["BACKEND_URL"]["valueFrom"]["configMapKeyRef"] == {
        "name": "frontend-config",
        "key": "BACKEND_URL",
    }
    assert env["BETTER_AUTH_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "frontend-secrets",
        "key": "auth-secret",
    }


def test_backend_has_the_plans_shape(render: Render) -> None:
    manifests = render("backend")
    deployment = find(manifests, "Deployment", "backend")
    container = only_container(deployment)
    assert deployment["spec"]["replicas"] == 1
    assert container["image"] == f"todo-backend:{VERSION}"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["resources"]["limits"] == {"cpu": "1000m", "memory": "1Gi"}

    service = find(manifests, "Service", "backend")
    assert service["spec"]["type"] == "NodePort"
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["nodePort"]) == (8000, 30001)
    assert resolve_port(container, port["targetPort"]) == 8000

    env = container_env(container)
    for name, key in BACKEND_SECRET_KEYS.items():
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("backend-secrets", key), name
    # The plan's optional keys may be absent from the Secret; the required ones may not.
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["BETTER_AUTH_URL"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "optional" not in env["BETTER_AUTH_SECRET"]["valueFrom"]["secretKeyRef"]


def test_by_default_the_charts_use_existing_secrets_and_create_none(render: Render) -> None:
    for chart in ("backend", "frontend"):
        assert "Secret" not in kinds(render(chart)), chart


def test_requests_never_exceed_limits(render: Render) -> None:
    units = {"m": 0.001, "": 1.0, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}

    def amount(quantity: str | int) -> float:
        number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity)).groups()  # type: ignore[union-attr]
        return float(number) * units[unit]

    for chart, values in ci_cases():
        for name, spec in pod_specs(render(chart, "-f", str(values))):
            for container in spec["containers"]:
                resources = container["resources"]
                for resource in ("cpu", "memory"):
                    request = amount(resources["requests"][resource])
                    limit = amount(resources["limits"][resource])
                    assert request <= limit, f"{values.name} {name} {resource}"


# --- wiring between objects ---------------------------------------------------------------------


@pytest.mark.parametrize("case", ci_cases(), ids=ci_case_id)
def test_selectors_match_exactly_the_intended_pods(render: Render, case: tuple[str, Path]) -> None:
    chart, values = case
    manifests = render(chart, "-f", str(values))
    workloads = [doc for doc in manifests if doc["kind"] in {"Deployment", "StatefulSet"}]
    pods = {
        doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"] for doc in workloads
    }
    for workload in workloads:
        selector = workload["spec"]["selector"]["matchLabels"]
        matched = [name for name, labels in pods.items() if selects(selector, labels)]
        assert matched == [workload["metadata"]["name"]], workload["metadata"]["name"]

    for service in (doc for doc in manifests if doc["kind"] == "Service"):
        matched = [
            name for name, labels in pods.items() if selects(service["spec"]["selector"], labels)
        ]
        assert len(matched) == 1, f"Service {service['metadata']['name']} selects {matched}"
        workload = find(
            manifests, "Deployment" if "postgresql" not in matched[0] else "StatefulSet", matched[0]
        )
        container = only_container(workload)
        for port in service["spec"]["ports"]:
            resolve_port(container, port["targetPort"])

    for budget in (doc for doc in manifests if doc["kind"] == "PodDisruptionBudget"):
        selector = budget["spec"]["selector"]["matchLabels"]
        assert [name for name, labels in pods.items() if selects(selector, labels)] == [chart]

    for autoscaler in (doc for doc in manifests if doc["kind"] == "HorizontalPodAutoscaler"):
        target = autoscaler["spec"]["scaleTargetRef"]
        deployment = find(manifests, target["kind"], target["name"])
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"

    for ingress in (doc for doc in manifests if doc["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                find(manifests, "Service", path["backend"]["service"]["name"])


def test_postgresql_only_accepts_the_api_and_the_migration_job(render: Render) -> None:
    manifests = render("backend", *QUICKSTART_BACKEND, "--set", "migrations.job.enabled=true")
    policy = find(manifests, "NetworkPolicy", "backend-postgresql")
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    (expression,) = peer["podSelector"]["matchExpressions"]
    assert expression["values"] == ["api", "migrate"]
    job_labels = find(manifests, "Job")["spec"]["template"]["metadata"]["labels"]
    api_labels = find(manifests, "Deployment", "backend")["spec"]["template"]["metadata"]["labels"]
    test_labels = find(manifests, "Pod")["metadata"]["labels"]
    for labels in (job_labels, api_labels):
        assert selects(peer["podSelector"]["matchLabels"], labels)
        assert labels["app.kubernetes.io/component"] in expression["values"]
    assert test_labels["app.kubernetes.io/component"] not in expression["values"]


def test_service_names_follow_the_release_name(render: Render) -> None:
    assert find(render("backend"), "Service")["metadata"]["name"] == "backend"
    assert find(render("frontend"), "Service")["metadata"]["name"] == "frontend"
    renamed = render("backend", release="todo")
    assert find(renamed, "Service")["metadata"]["name"] == "todo-backend"


# --- probes and ports ---------------------------------------------------------------------------


def test_backend_probes_use_liveness_for_startup_and_liveness_and_the_database_for_readiness(
    render: Render,
) -> None:
    container = only_container(find(render("backend"), "Deployment"))
    probes = {
        kind: (
            container[kind]["httpGet"]["path"],
            resolve_port(container, container[kind]["httpGet"]["port"]),
        )
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes == {
        "startupProbe": ("/api/health/live", 8000),
        "livenessProbe": ("/api/health/live", 8000),
        "readinessProbe": ("/api/health", 8000),
    }


def test_frontend_probes_use_its_health_endpoint(render: Render) -> None:
    container = only_container(find(render("frontend"), "Deployment"))
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = container[kind]["httpGet"]
        assert (probe["path"], resolve_port(container, probe["port"])) == ("/api/health", 3000)


def test_probe_paths_are_served_by_the_apps(render: Render) -> None:
    """The probes ask for paths the applications serve (tests/cluster runs them for real).

    The apps run in-process without their lifespan, so the backend has no database here: its
    readiness path answers 503, which still proves the route exists."""

    secret = "probe-route-test-" + "x" * 32
    clients = {
        "backend": TestClient(create_backend(BackendSettings(BETTER_AUTH_SECRET=secret))),
        "frontend": TestClient(create_frontend(FrontendSettings(BETTER_AUTH_SECRET=secret))),
    }
    for chart, client in clients.items():
        container = only_container(find(render(chart), "Deployment"))
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = container[kind]["httpGet"]["path"]
            status = client.get(path).status_code
            expected = {200, 503} if (chart, kind) == ("backend", "readinessProbe") else {200}
            assert status in expected, (chart, kind, path, status)


@pytest.mark.parametrize("chart", ["backend", "frontend"])
def test_container_port_matches_the_image_and_the_port_the_app_is_told(
    render: Render, chart: str
) -> None:
    dockerfile = (ROOT / f"Dockerfile.{chart}").read_text()
    exposed = int(re.search(r"^EXPOSE (\d+)", dockerfile, re.MULTILINE).group(1))  # type: ignore[union-attr]
    container = only_container(find(render(chart), "Deployment"))
    port = next(port for port in container["ports"] if port["name"] == "http")
    assert port["containerPort"] == exposed
    assert container_env(container)["PORT"]["value"] == str(exposed)


def test_backend_metrics_port_is_scraped_but_on_no_service(render: Render) -> None:
    rendered = render("backend")
    deployment = find(rendered, "Deployment")
    container = only_container(deployment)
    (metrics,) = [port for port in container["ports"] if port["name"] == "metrics"]
    assert container_env(container)["METRICS_PORT"]["value"] == str(metrics["containerPort"])
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(metrics["containerPort"])
    service_ports = find(rendered, "Service")["spec"]["ports"]
    assert all(port["targetPort"] != "metrics" for port in service_ports)
    assert all(port["port"] != metrics["containerPort"] for port in service_ports)


# --- environment --------------------------------------------------------------------------------


def test_backend_env_names_are_settings_the_backend_reads(render: Render) -> None:
    read = set(settings_by_variable(BackendSettings))
    for values in ((), QUICKSTART_BACKEND):
        env = container_env(only_container(find(render("backend", *values), "Deployment")))
        # POSTGRESQL_PASSWORD only feeds $(POSTGRESQL_PASSWORD) in DATABASE_URL.
        assert set(env) - {"POSTGRESQL_PASSWORD"} <= read, set(env) - read
        assert {"DATABASE_URL", "BETTER_AUTH_SECRET", "PORT", "MCP_ALLOWED_HOSTS"} <= set(env)


def test_frontend_env_names_are_settings_the_frontend_reads(render: Render) -> None:
    read = set(settings_by_variable(FrontendSettings))
    env = container_env(only_container(find(render("frontend"), "Deployment")))
    assert set(env) <= read, set(env) - read
    assert {"BACKEND_URL", "BETTER_AUTH_SECRET", "PORT"} <= set(env)


def test_the_in_chart_database_url_uses_the_password_secret_defined_before_it(
    render: Render,
) -> None:
    manifests = render("backend", *QUICKSTART_BACKEND)
    container = only_container(find(manifests, "Deployment"))
    names = [item["name"] for item in container["env"]]
    env = container_env(container)
    # Kubernetes expands $(VAR) only from variables listed earlier.
    assert names.index("POSTGRESQL_PASSWORD") < names.index("DATABASE_URL")
    assert env["DATABASE_URL"]["value"] == (
        "postgresql://todo:$(POSTGRESQL_PASSWORD)@backend-postgresql:5432/todo"
    )
    assert env["POSTGRESQL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "backend-postgresql",
        "key": "postgres-password",
    }
    postgres = only_container(find(manifests, "StatefulSet", "backend-postgresql"))
    assert container_env(postgres)["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "backend-postgresql",
        "key": "postgres-password",
    }
    assert "backend-postgresql" in {
        doc["metadata"]["name"] for doc in manifests if doc["kind"] == "Service"
    }
    # The app's Secret then needs no database-url.
    assert "database-url" not in find(manifests, "Secret", "backend-secrets")["stringData"]


def test_with_the_in_chart_database_the_api_waits_for_it_before_starting(render: Render) -> None:
    assert "initContainers" not in find(render("backend"), "Deployment")["spec"]["template"]["spec"]
    spec = find(render("backend", *QUICKSTART_BACKEND), "Deployment")["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    assert init["image"] == spec["containers"][0]["image"]
    assert init["command"][-2:] == ["backend-postgresql", "5432"]


def test_mcp_allows_the_services_in_cluster_names_in_its_namespace(render: Render) -> None:
    env = container_env(only_container(find(render("backend", namespace="todo"), "Deployment")))
    hosts = env["MCP_ALLOWED_HOSTS"]["value"].split(",")
    assert {"backend", "backend:*", "backend.todo.svc", "backend.todo.svc.cluster.local:*"} <= set(
        hosts
    )
    extra = render("backend", "--set", "config.extraMcpAllowedHosts={api.todo.local}")
    env = container_env(only_container(find(extra, "Deployment")))
    assert env["MCP_ALLOWED_HOSTS"]["value"].split(",")[-1] == "api.todo.local"


def test_extra_env_is_added_after_the_charts_own(render: Render) -> None:
    env = only_container(find(render("backend", "--set", "env.FEATURE_X=on"), "Deployment"))["env"]
    assert env[-1] == {"name": "FEATURE_X", "value": "on"}


# --- security -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ci_cases(), ids=ci_case_id)
def test_every_pod_is_restricted(render: Render, case: tuple[str, Path]) -> None:
    chart, values = case
    manifests = render(chart, "-f", str(values))
    specs = list(pod_specs(manifests))
    assert specs
    for name, spec in specs:
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["enableServiceLinks"] is False, name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        mounts_by_volume = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["runAsUser"] >= 1, name
            tmp = [
                mount for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/tmp"
            ]
            if container["name"] != "health":
                assert tmp, f"{name}: a read-only root needs an emptyDir /tmp"
                assert "emptyDir" in mounts_by_volume[tmp[0]["name"]], name
    for account in (doc for doc in manifests if doc["kind"] == "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_app_pods_run_as_the_images_user(render: Render) -> None:
    for chart in ("backend", "frontend"):
        dockerfile = (ROOT / f"Dockerfile.{chart}").read_text()
        uid, gid = re.search(r"^USER (\d+):(\d+)", dockerfile, re.MULTILINE).groups()  # type: ignore[union-attr]
        spec = find(render(chart), "Deployment")["spec"]["template"]["spec"]
        assert (spec["securityContext"]["runAsUser"], spec["securityContext"]["runAsGroup"]) == (
            int(uid),
            int(gid),
        )


def test_postgresql_runs_as_its_user_with_writable_socket_dir_and_a_persistent_volume(
    render: Render,
) -> None:
    statefulset = find(render("backend", *QUICKSTART_BACKEND), "StatefulSet")
    spec = statefulset["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsUser"] == 999
    assert spec["securityContext"]["fsGroup"] == 999
    container = only_container(statefulset)
    assert container["image"] == "postgres:17"
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts["/var/lib/postgresql/data"] == "data"
    assert container_env(container)["PGDATA"]["value"].startswith("/var/lib/postgresql/data/")
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/run/postgresql"]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"


# --- rollout behaviour --------------------------------------------------------------------------


def test_rolling_updates_never_drop_below_the_desired_count(render: Render) -> None:
    for chart in ("backend", "frontend"):
        strategy = find(render(chart), "Deployment")["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0
        assert strategy["rollingUpdate"]["maxSurge"] >= 1


def test_frontend_has_a_disruption_budget(render: Render) -> None:
    budget = find(render("frontend"), "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1


def checksum(manifests: list[Manifest]) -> str:
    annotations = find(manifests, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    value: str = annotations["checksum/config"]
    return value


def test_a_config_change_rolls_the_pods_and_an_unrelated_one_does_not(render: Render) -> None:
    before = checksum(render("frontend", *QUICKSTART_FRONTEND))
    assert (
        checksum(render("frontend", *QUICKSTART_FRONTEND, "--set", "config.logLevel=debug"))
        != before
    )
    rotated = "rotated-" + "y" * 32
    assert (
        checksum(render("frontend", *QUICKSTART_FRONTEND, "--set", f"secrets.authSecret={rotated}"))
        != before
    )
    assert checksum(render("frontend", *QUICKSTART_FRONTEND, "--set", "replicaCount=3")) == before
    backend = checksum(render("backend", *QUICKSTART_BACKEND))
    assert (
        checksum(render("backend", *QUICKSTART_BACKEND, "--set", f"secrets.authSecret={rotated}"))
        != backend
    )


def test_optional_objects_are_off_by_default_and_render_when_enabled(render: Render) -> None:
    optional = {"Ingress", "HorizontalPodAutoscaler", "Job"}
    assert not optional & set(kinds(render("backend")))
    full = render("backend", "-f", str(ROOT / "helm/backend/ci/full-values.yaml"))
    assert optional <= set(kinds(full))
    job = find(full, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    assert only_container(job)["command"] == ["todo-backend", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_helm_test_pods_check_health_through_the_services(render: Render) -> None:
    for chart in ("backend", "frontend"):
        (pod,) = [doc for doc in render(chart) if doc["kind"] == "Pod"]
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        (container,) = pod["spec"]["containers"]
        port = 8000 if chart == "backend" else 3000
        assert container["command"][-1] == f"http://{chart}:{port}"
        assert "/api/health" in container["command"][2]


def test_notes_say_how_to_reach_the_app(helm: str) -> None:
    version = subprocess.run(
        [helm, "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=True
    ).stdout
    if re.match(r"v3\.(\d|1[0-2])\.", version):
        pytest.skip(f"helm {version} renders NOTES.txt only against a cluster (3.13+ does not)")
    result = subprocess.run(
        [helm, "install", "frontend", str(ROOT / "helm/frontend"), "--dry-run=client"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "http://$(minikube ip):30000" in notes
    assert "minikube service frontend -n default --url" in notes


def test_rendering_twice_gives_the_same_objects(helm_template: HelmTemplate) -> None:
    """Nothing random in the output, so `make deploy` run twice changes nothing."""
    for chart, values in ci_cases():
        first = helm_template(chart, "-f", str(values))
        second = helm_template(chart, "-f", str(values))
        assert parse_manifests(first.stdout) == parse_manifests(second.stdout)
