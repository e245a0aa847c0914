"""Wrong values stop `helm template`/`install` before anything reaches a cluster: the values
schema refuses them, and missing secrets fail with a message that says what to set."""

import pytest
from chart_support import HelmTemplate

pytestmark = pytest.mark.helm

# (chart, --set argument, the key the error must name)
REJECTED = [
    ("backend", "replicaCount=two", "replicaCount"),
    ("backend", "replicaCount=-1", "replicaCount"),
    ("backend", "image.pullPolicy=Sometimes", "pullPolicy"),
    ("backend", "image.repository=", "repository"),
    ("backend", "service.type=External", "type"),
    ("backend", "service.nodePort=8080", "nodePort"),
    ("backend", "containerPort=70000", "containerPort"),
    ("backend", "config.logLevel=verbose", "logLevel"),
    ("backend", "config.agentProvider=anthropic", "agentProvider"),
    ("backend", "config.openaiBaseUrl=llm.local", "openaiBaseUrl"),
    ("backend", "secrets.authSecret=too-short", "authSecret"),
    ("backend", "secrets.databaseUrl=mysql://db/todo", "databaseUrl"),
    ("backend", "secrets.existingSecret=Not_A_Name", "existingSecret"),
    ("backend", "postgresql.auth.password=p@ss/word", "password"),
    ("backend", "postgresql.persistence.size=lots", "size"),
    ("backend", "resources.limits.memory=1 GB", "memory"),
    ("backend", "probes.readiness.path=api/health", "path"),
    ("backend", "podSecurityContext.runAsUser=0", "runAsUser"),
    ("backend", "securityContext.runAsNonRoot=false", "runAsNonRoot"),
    ("backend", "autoscaling.targetCPUUtilizationPercentage=150", "targetCPUUtilizationPercentage"),
    ("backend", "env.DATABASE_URL=sqlite:///x.db", "DATABASE_URL"),
    ("backend", "replicas=2", "replicas"),
    ("backend", "networkPolicy.egress.enabled=maybe", "enabled"),
    ("backend", "networkPolicy.egress.allowedCidrs[0].cidr=db.example.com", "cidr"),
    ("backend", "networkPolicy.egress.allowedCidrs[0].cidr=10.0.0.0/8", "ports"),
    ("backend", "networkPolicy.egress.allowedCidrs[0].ports={70000}", "ports"),
    ("backend", "networkPolicy.egress.allowedCidr[0].cidr=10.0.0.0/8", "allowedCidr"),
    ("backend", "networkPolicy.egress.extraRules=open", "extraRules"),
    ("frontend", "replicaCount=two", "replicaCount"),
    ("frontend", "service.nodePort=80", "nodePort"),
    ("frontend", "config.backendUrl=backend:8000", "backendUrl"),
    ("frontend", "secrets.authSecret=too-short", "authSecret"),
    ("frontend", "env.BACKEND_URL=http://elsewhere", "BACKEND_URL"),
    ("frontend", "podDisruptionBudget.enabled=maybe", "enabled"),
    ("frontend", "ingress.hosts[0].paths[0].pathType=Glob", "pathType"),
    ("frontend", "networkPolicy.egress.enabled=maybe", "enabled"),
    ("frontend", "networkPolicy.egress.backendRelease=Backend_1", "backendRelease"),
    ("frontend", "networkPolicy.egress.backendNamespace=todo.apps", "backendNamespace"),
]


@pytest.mark.parametrize(
    ("chart", "setting", "key"), REJECTED, ids=[f"{c}:{s}" for c, s, _ in REJECTED]
)
def test_the_schema_rejects_a_wrong_value(
    helm_template: HelmTemplate, chart: str, setting: str, key: str
) -> None:
    result = helm_template(chart, "--set", setting)
    assert result.returncode != 0, f"{setting} was accepted"
    assert "schema" in result.stderr or "at '/" in result.stderr, result.stderr
    assert key in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("chart", "arguments", "message"),
    [
        (
            "backend",
            ["--set", "secrets.existingSecret="],
            "set secrets.existingSecret to a Secret with the keys database-url, auth-secret",
        ),
        (
            "frontend",
            ["--set", "secrets.existingSecret="],
            "set secrets.existingSecret to a Secret with the key auth-secret",
        ),
        (
            "backend",
            ["--set", "secrets.create=true", "--set", "secrets.databaseUrl=postgresql://h/db"],
            "secrets.create=true needs secrets.authSecret",
        ),
        (
            "backend",
            ["--set", "secrets.create=true", "--set", "secrets.authSecret=" + "k" * 40],
            "secrets.create=true needs secrets.databaseUrl (or postgresql.enabled=true)",
        ),
        (
            "backend",
            ["--set", "postgresql.enabled=true"],
            "postgresql.enabled=true needs postgresql.auth.password",
        ),
        (
            "frontend",
            ["--set", "secrets.create=true"],
            "secrets.create=true needs secrets.authSecret",
        ),
    ],
    ids=[
        "backend-no-secret",
        "frontend-no-secret",
        "backend-no-auth-secret",
        "backend-no-database",
        "backend-no-postgres-password",
        "frontend-no-auth-secret",
    ],
)
def test_missing_secrets_fail_with_what_to_set(
    helm_template: HelmTemplate, chart: str, arguments: list[str], message: str
) -> None:
    """No secret value has a default: the install stops and names the value to set."""
    result = helm_template(chart, *arguments)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_the_plans_bad_setting_is_accepted_so_the_rollback_procedure_can_be_shown(
    helm_template: HelmTemplate,
) -> None:
    """helm/ROLLBACK.md follows the plan's T086 (`--set env.BAD_VAR=fail`): extra env is allowed."""
    result = helm_template("backend", "--set", "env.BAD_VAR=fail")
    assert result.returncode == 0, result.stderr
    assert "BAD_VAR" in result.stdout
