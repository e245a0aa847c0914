"""The backend chart's kagent resources (`kagent.enabled`): none by default; when on, a
ModelConfig, a RemoteMCPServer for the backend's own /mcp/ and an Agent wired to both, on the
API version kagent v0.10's CRDs serve (tests/cluster/test_kagent.py has a real API server
validate them against those CRDs)."""

from urllib.parse import urlsplit

import pytest
from chart_support import HelmTemplate, Manifest, Render, container_env, find

from todo_backend.tools import TASK_TOOLS

pytestmark = pytest.mark.helm

KAGENT_ON = ("--set", "kagent.enabled=true", "--set", "kagent.agent.userId=user-42")


def kagent_objects(manifests: list[Manifest]) -> list[Manifest]:
    return [doc for doc in manifests if doc["apiVersion"].startswith("kagent.dev/")]


def test_by_default_no_kagent_resource_is_rendered(render: Render) -> None:
    assert kagent_objects(render("backend")) == []
    assert (
        kagent_objects(
            render(
                "backend",
                "--set",
                "postgresql.enabled=true",
                "--set",
                "postgresql.auth.password=pw",
            )
        )
        == []
    )


def test_when_enabled_a_model_config_an_mcp_server_and_an_agent_use_the_v1alpha2_api(
    render: Render,
) -> None:
    objects = kagent_objects(render("backend", *KAGENT_ON, namespace="todo"))
    assert sorted((doc["kind"], doc["metadata"]["name"]) for doc in objects) == [
        ("Agent", "backend-agent"),
        ("ModelConfig", "backend-model"),
        ("RemoteMCPServer", "backend-mcp"),
    ]
    assert {doc["apiVersion"] for doc in objects} == {"kagent.dev/v1alpha2"}
    assert {doc["metadata"]["namespace"] for doc in objects} == {"todo"}


def test_the_model_config_takes_its_key_from_a_secret_and_any_openai_compatible_url(
    render: Render,
) -> None:
    default = find(render("backend", *KAGENT_ON), "ModelConfig")["spec"]
    assert default == {
        "provider": "OpenAI",
        "model": "gpt-4o-mini",
        "apiKeySecret": "kagent-model",
        "apiKeySecretKey": "api-key",
    }
    local = find(
        render(
            "backend",
            *KAGENT_ON,
            "--set",
            "kagent.model.baseUrl=http://ollama.ollama:11434/v1",
            "--set",
            "kagent.model.name=llama3.2",
        ),
        "ModelConfig",
    )["spec"]
    assert local["openAI"] == {"baseUrl": "http://ollama.ollama:11434/v1"}
    assert local["model"] == "llama3.2"


def test_the_mcp_server_is_the_backends_service_and_its_host_passes_the_mcp_host_check(
    render: Render,
) -> None:
    manifests = render("backend", *KAGENT_ON, namespace="todo")
    server = find(manifests, "RemoteMCPServer")["spec"]
    url = urlsplit(server["url"])
    service = find(manifests, "Service", "backend")
    assert (url.scheme, url.path) == ("http", "/mcp/")
    assert url.hostname == "backend.todo.svc.cluster.local"
    assert url.port == service["spec"]["ports"][0]["port"]
    deployment = find(manifests, "Deployment", "backend")
    env = container_env(deployment["spec"]["template"]["spec"]["containers"][0])
    allowed = env["MCP_ALLOWED_HOSTS"]["value"].split(",")
    assert f"{url.hostname}:*" in allowed
    assert server["protocol"] == "STREAMABLE_HTTP"
    assert server["headersFrom"] == [
        {
            "name": "Authorization",
            "valueFrom": {"type": "Secret", "name": "todo-mcp-token", "key": "authorization"},
        }
    ]


def test_the_agent_uses_the_model_config_and_every_task_tool_of_the_mcp_server(
    render: Render,
) -> None:
    manifests = render("backend", *KAGENT_ON)
    agent = find(manifests, "Agent")["spec"]
    assert agent["type"] == "Declarative"
    declarative = agent["declarative"]
    assert declarative["modelConfig"] == find(manifests, "ModelConfig")["metadata"]["name"]
    (tool,) = declarative["tools"]
    assert tool["type"] == "McpServer"
    server = tool["mcpServer"]
    assert (server["apiGroup"], server["kind"]) == ("kagent.dev", "RemoteMCPServer")
    assert server["name"] == find(manifests, "RemoteMCPServer")["metadata"]["name"]
    assert sorted(server["toolNames"]) == sorted(TASK_TOOLS)


def test_the_agents_system_message_describes_this_deployment(render: Render) -> None:
    manifests = render(
        "backend",
        *KAGENT_ON,
        "--set",
        "postgresql.enabled=true",
        "--set",
        "postgresql.auth.password=pw",
        namespace="todo",
    )
    message = find(manifests, "Agent")["spec"]["declarative"]["systemMessage"]
    for fact in (
        "namespace\ntodo",
        "Deployment and Service backend",
        "NodePort 30001",
        "NodePort 30000",
        "StatefulSet backend-postgresql",
        "helm/backend/values.yaml",
        "helm/frontend/values.yaml",
        'user_id "user-42"',
    ):
        assert fact in message, fact


def test_extra_instructions_and_tools_are_added_to_the_agent(render: Render) -> None:
    extra_tool = (
        "kagent.agent.extraTools[0].type=McpServer,"
        "kagent.agent.extraTools[0].mcpServer.name=kagent-tool-server"
    )
    agent = find(
        render(
            "backend",
            *KAGENT_ON,
            "--set",
            "kagent.agent.extraInstructions=Answer in French.",
            "--set",
            extra_tool,
        ),
        "Agent",
    )["spec"]["declarative"]
    assert agent["systemMessage"].rstrip().endswith("Answer in French.")
    assert agent["tools"][1] == {"type": "McpServer", "mcpServer": {"name": "kagent-tool-server"}}


def test_enabled_without_a_user_id_stops_and_names_the_value(helm_template: HelmTemplate) -> None:
    result = helm_template("backend", "--set", "kagent.enabled=true")
    assert result.returncode != 0
    assert "kagent.agent.userId" in result.stderr
