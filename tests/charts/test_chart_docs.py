"""Each chart's README carries a values table that matches its values.yaml, and names every
setting the chart hands to the app.

The table is generated from values.yaml: a `# -- text` comment (helm-docs' convention) documents
the key below it; a documented map is one row with the whole map as its default. Every value must
be documented, and every key of the chart's ConfigMaps and every environment variable the chart
sets on the app's container must be named in the table (in the comment of the value that sets
it). To refresh a README after changing values.yaml:

    uv run --frozen python tests/charts/test_chart_docs.py backend frontend
"""

import json
import re
import sys
from typing import Any

import pytest
import yaml
from chart_support import CHARTS, HELM_DIR, Manifest, Render, ci_values_files, find

START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):")
TABLE_ROW_KEY = re.compile(r"^\| `(?P<key>[^`]+)` \|", re.MULTILINE)


def documented_keys(values_yaml: str) -> dict[str, str]:
    """Dotted key -> description, from the `# --` comments of values.yaml."""
    documented: dict[str, str] = {}
    path: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in values_yaml.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped.removeprefix("# --").strip()]
        elif stripped.startswith("#") and comment is not None:
            comment.append(stripped.removeprefix("#").strip())
        elif match := KEY_LINE.match(line):
            indent = len(match["indent"])
            while path and path[-1][0] >= indent:
                path.pop()
            path.append((indent, match["key"]))
            if comment:
                documented[".".join(key for _, key in path)] = " ".join(comment)
            comment = None
        elif not stripped:
            comment = None
    return documented


def leaves(values: Any, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        return [leaf for key, value in values.items() for leaf in leaves(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def lookup(values: dict[str, Any], dotted: str) -> Any:
    value: Any = values
    for key in dotted.split("."):
        value = value[key]
    return value


def type_name(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "number", str: "string", list: "list", dict: "object"}
    return "null" if value is None else names[type(value)]


def values_table(chart: str) -> str:
    text = (HELM_DIR / chart / "values.yaml").read_text()
    values = yaml.safe_load(text)
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for key, description in documented_keys(text).items():
        value = lookup(values, key)
        default = json.dumps(value).replace("|", r"\|")
        text = description.replace("|", r"\|")
        rows.append(f"| `{key}` | {type_name(value)} | `{default}` | {text} |")
    return "\n".join(rows)


def readme_table(chart: str) -> str:
    readme = (HELM_DIR / chart / "README.md").read_text()
    assert START in readme and END in readme, f"helm/{chart}/README.md lacks the table markers"
    return readme.split(START, 1)[1].split(END, 1)[0].strip()


@pytest.mark.parametrize("chart", CHARTS)
def test_every_value_is_documented(chart: str) -> None:
    text = (HELM_DIR / chart / "values.yaml").read_text()
    documented = documented_keys(text)
    undocumented = [
        leaf
        for leaf in leaves(yaml.safe_load(text))
        if not any(leaf == key or leaf.startswith(f"{key}.") for key in documented)
    ]
    assert not undocumented, f"add a `# --` comment in helm/{chart}/values.yaml for {undocumented}"


@pytest.mark.parametrize("chart", CHARTS)
def test_readme_values_table_matches_values_yaml(chart: str) -> None:
    assert readme_table(chart) == values_table(chart), (
        f"helm/{chart}/README.md is out of date: "
        f"uv run --frozen python tests/charts/test_chart_docs.py {chart}"
    )


@pytest.mark.parametrize("chart", CHARTS)
def test_every_value_has_a_row_in_the_readme_table(chart: str) -> None:
    rows = TABLE_ROW_KEY.findall(readme_table(chart))
    values = yaml.safe_load((HELM_DIR / chart / "values.yaml").read_text())
    missing = [
        leaf
        for leaf in leaves(values)
        if not any(leaf == row or leaf.startswith(f"{row}.") for row in rows)
    ]
    assert not missing, f"helm/{chart}/README.md's values table has no row for {missing}"


CHARTS_WITH_CONFIGMAPS = [
    chart for chart in CHARTS if any((HELM_DIR / chart / "templates").glob("configmap*.yaml"))
]


def configmap_keys(manifests: list[Manifest]) -> set[str]:
    return {key for doc in manifests if doc["kind"] == "ConfigMap" for key in doc.get("data", {})}


def plain_env_names(manifests: list[Manifest], chart: str) -> set[str]:
    """The app container's environment variables that do not come from a Secret."""
    container = find(manifests, "Deployment", chart)["spec"]["template"]["spec"]["containers"][0]
    return {
        item["name"]
        for item in container.get("env", [])
        if "secretKeyRef" not in item.get("valueFrom", {})
    }


@pytest.mark.parametrize("chart", CHARTS)
def test_every_configmap_key_and_env_variable_is_named_in_the_readme_table(
    chart: str, render: Render
) -> None:
    settings: set[str] = set()
    for values_file in ci_values_files(chart):
        users_own_env = set(yaml.safe_load(values_file.read_text()).get("env") or {})
        manifests = render(chart, "-f", str(values_file))
        settings |= (configmap_keys(manifests) | plain_env_names(manifests, chart)) - users_own_env
    table = readme_table(chart)
    unnamed = sorted(name for name in settings if not re.search(rf"\b{name}\b", table))
    assert not unnamed, (
        f"helm/{chart}/README.md's values table does not name {unnamed}: say it in the `# --` "
        f"comment of the value in helm/{chart}/values.yaml that sets it, then regenerate the table"
    )


def configuration_section(chart: str) -> str:
    readme = (HELM_DIR / chart / "README.md").read_text()
    assert "\n## Configuration\n" in readme, f"helm/{chart}/README.md lacks `## Configuration`"
    return readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("chart", CHARTS_WITH_CONFIGMAPS)
def test_the_configuration_section_lists_every_configmap_key(chart: str, render: Render) -> None:
    listed = set(TABLE_ROW_KEY.findall(configuration_section(chart)))
    rendered = configmap_keys(render(chart))
    assert listed == rendered, (
        f"helm/{chart}/README.md's Configuration table lists {sorted(listed)}; "
        f"the ConfigMap has {sorted(rendered)}"
    )


def write_readme_table(chart: str) -> None:
    path = HELM_DIR / chart / "README.md"
    before, rest = path.read_text().split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{values_table(chart)}\n{END}{after}")


if __name__ == "__main__":
    for name in sys.argv[1:] or CHARTS:
        write_readme_table(name)
