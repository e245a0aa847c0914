"""Each chart's README carries a values table that matches its values.yaml.

The table is generated from values.yaml: a `# -- text` comment (helm-docs' convention) documents
the key below it; a documented map is one row with the whole map as its default. Every value must
be documented. To refresh a README after changing values.yaml:

    uv run --frozen python tests/charts/test_chart_docs.py backend frontend
"""

import json
import re
import sys
from typing import Any

import pytest
import yaml
from chart_support import CHARTS, HELM_DIR

START = "<!-- values-table:start -->"
END = "<!-- values-table:end -->"
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):")


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


def write_readme_table(chart: str) -> None:
    path = HELM_DIR / chart / "README.md"
    before, rest = path.read_text().split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{values_table(chart)}\n{END}{after}")


if __name__ == "__main__":
    for name in sys.argv[1:] or CHARTS:
        write_readme_table(name)
