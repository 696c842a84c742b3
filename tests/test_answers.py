"""What people really type: every case in cases/template-inputs.json, and the
validation rules behind them."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "cases" / "template-inputs.json").read_text(encoding="utf-8")
)["cases"]


def case_id(case: dict[str, Any]) -> str:
    (field, value), *_ = case["answers"].items()
    return f"{case['expect']}-{field}={value[:24]}"


def cookiecutter(output: Path, answers: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run cookiecutter as a user does, in the output folder."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE)]
    command += ["--output-dir", str(output)]
    command += [f"{key}={value}" for key, value in answers.items()]
    return subprocess.run(
        command, cwd=output, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_shared_case(case: dict[str, Any], tmp_path: Path) -> None:
    result = cookiecutter(tmp_path, case["answers"])
    projects = [p for p in tmp_path.iterdir() if p.is_dir()]
    if case["expect"] == "reject":
        assert result.returncode != 0
        (field,) = case["answers"]
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert errors[0].startswith(f"error: {field} "), errors
        assert projects == [], "a rejected bake must leave no project directory"
    else:
        assert result.returncode == 0, result.stderr
        (project,) = projects
        answers = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
        pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        for field, value in case["answers"].items():
            assert answers[field] == value  # survives intact
        metadata = pyproject["project"]
        assert metadata["description"] == answers["description"]
        assert metadata["authors"] == [
            {"name": answers["author_name"], "email": answers["author_email"]}
        ]
        assert answers["project_name"] in (project / "README.md").read_text("utf-8")
    assert not list(tmp_path.rglob("pwned-by-answers"))
    assert not (TEMPLATE / "pwned-by-answers").exists()


@pytest.mark.parametrize(
    ("answers", "field", "rule"),
    [
        ({"project_name": "   "}, "project_name", "must not be blank"),
        ({"package_name": "sqlalchemy"}, "package_name", "name of a dependency"),
        ({"package_name": "match"}, "package_name", "keyword"),
        ({"package_name": "Shop"}, "package_name", "lowercase"),
        ({"package_name": "a" * 31}, "package_name", "at most 30"),
        ({"project_slug": "-shop"}, "project_slug", "distribution name"),
        ({"author_email": "a@b"}, "author_email", "e-mail address"),
        ({"version": " "}, "version", "PEP 440"),
        ({"version": "latest"}, "version", "PEP 440"),
        ({"author_name": "Ada\nLovelace"}, "author_name", "one line"),
    ],
)
def test_a_bad_answer_is_named_with_its_rule_in_one_line(
    answers: dict[str, str], field: str, rule: str, tmp_path: Path
) -> None:
    result = cookiecutter(tmp_path, answers)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: {field} ") and rule in errors[0]
    assert list(tmp_path.iterdir()) == []


def test_a_very_long_name_in_another_script_bakes_a_valid_package(tmp_path: Path) -> None:
    name = "Магазин " * 12 + "Shop"
    result = cookiecutter(tmp_path, {"project_name": name})
    assert result.returncode == 0, result.stderr
    (project,) = tmp_path.iterdir()
    answers = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    assert answers["project_name"] == name
    assert answers["package_name"].isidentifier()
    assert len(answers["package_name"]) <= 30
