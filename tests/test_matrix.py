"""Every combination of options bakes a clean project (the fast tier), and a
pairwise subset installs and passes its own tests and linters (the slow tier)."""

import itertools
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import InstalledProject, bake

TEMPLATE = Path(__file__).resolve().parent.parent
CHOICES: dict[str, list[str]] = {
    key: value
    for key, value in json.loads((TEMPLATE / "cookiecutter.json").read_text()).items()
    if isinstance(value, list) and not key.startswith("_")
}
ALL_COMBINATIONS = [
    dict(zip(CHOICES, values, strict=True)) for values in itertools.product(*CHOICES.values())
]
# Jinja left behind; GitHub Actions' own ${{ ... }} expressions are meant to stay.
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|\{#")


def pairwise(choices: dict[str, list[str]]) -> list[dict[str, str]]:
    """A small set of combinations in which every pair of values appears."""
    keys = list(choices)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(keys, 2)
        for va in choices[a]
        for vb in choices[b]
    }
    chosen: list[dict[str, str]] = []
    candidates = [dict(zip(keys, v, strict=True)) for v in itertools.product(*choices.values())]
    while uncovered:

        def gain(combo: dict[str, str]) -> int:
            return sum(
                (a, combo[a], b, combo[b]) in uncovered
                for a, b in itertools.combinations(keys, 2)
            )

        best = max(candidates, key=gain)
        chosen.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in itertools.combinations(keys, 2)}
    return chosen


def combo_id(combo: dict[str, str]) -> str:
    return "-".join(combo.values())


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("combo", ALL_COMBINATIONS, ids=combo_id)
def test_every_combination_bakes_clean(combo: dict[str, str], tmp_path: Path) -> None:
    project = bake(tmp_path / "a", combo)
    again = bake(tmp_path / "b", combo)
    files = sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for relative in files:
        data = (project / relative).read_bytes()
        assert data == (again / relative).read_bytes(), f"{relative} differs between bakes"
        assert b"\r\n" not in data, f"{relative} has CRLF line endings"
        text = data.decode("utf-8")
        assert not UNRENDERED.search(text), f"unrendered template syntax in {relative}"
    tomllib.loads((project / "pyproject.toml").read_text())
    answers: dict[str, Any] = json.loads((project / ".cookiecutter.json").read_text())
    assert {key: answers[key] for key in combo} == combo
    workflow = project / ".github" / "workflows" / "tests.yml"
    assert workflow.exists() == (combo["ci"] == "github")
    if workflow.exists():
        steps = yaml.safe_load(workflow.read_text())["jobs"]["tests"]["steps"]
        assert "${{ matrix.python-version }}" in str(steps)
    assert not (project / "_examples").exists()
    assert not (project / "_licenses").exists()
    assert (project / "LICENSE").is_file()
    has_orders = (project / "src" / answers["package_name"] / "services" / "orders.py")
    assert has_orders.exists() == (combo["example"] == "order-saga")
    lint = ruff(project, "check", ".")
    assert lint.returncode == 0, lint.stdout
    layout = ruff(project, "format", "--check", ".")
    assert layout.returncode == 0, layout.stdout


# The slow tier: pairs of the options that change code (licence and CI change
# only files, which the fast tier checks), with every licence and CI choice
# appearing too. The default combination is tested in test_generated_project.
CODE_OPTIONS = ("example", "default_database", "default_runner")
DEFAULTS = {key: values[0] for key, values in CHOICES.items()}
PAIRWISE = [
    {
        **combo,
        "license": CHOICES["license"][index % len(CHOICES["license"])],
        "ci": CHOICES["ci"][index % len(CHOICES["ci"])],
    }
    for index, combo in enumerate(pairwise({k: CHOICES[k] for k in CODE_OPTIONS}))
]
PAIRWISE = [
    combo
    for combo in PAIRWISE
    if any(combo[key] != DEFAULTS[key] for key in CODE_OPTIONS)
]


@pytest.mark.parametrize("combo", PAIRWISE, ids=combo_id)
def test_pairwise_combinations_pass_their_own_tests_and_linters(
    combo: dict[str, str],
    baked: Callable[..., Path],
    install: Callable[[Path], InstalledProject],
) -> None:
    project = install(baked(**combo))
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")
    project.run("mypy", "--strict", "src", "tests")
    tests = project.run("pytest", "-q", "-p", "no:cacheprovider", "-x")
    assert " passed" in tests.stdout
