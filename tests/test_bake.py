"""Baking: the files a user gets, and the names derived from their answers."""

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

# Jinja left behind; GitHub Actions' own ${{ ... }} expressions are meant to stay.
UNRENDERED = re.compile(r"(?<!\$)\{\{|\{%|\{#")
EXPECTED_FILES = [
    ".cookiecutter.json",
    ".gitattributes",
    ".gitignore",
    "LICENSE",
    ".github/workflows/tests.yml",
    "README.md",
    "docs/tutorial.md",
    "pyproject.toml",
    "src/order_saga/__init__.py",
    "src/order_saga/__main__.py",
    "src/order_saga/cli.py",
    "src/order_saga/domain/orders.py",
    "src/order_saga/domain/inventory.py",
    "src/order_saga/domain/payments.py",
    "src/order_saga/services/orders.py",
    "src/order_saga/services/inventory.py",
    "src/order_saga/services/payments.py",
    "src/order_saga/system.py",
    "src/order_saga/runtime/multiprocess.py",
    "src/order_saga/runtime/single.py",
    "src/order_saga/runtime/worker.py",
    "src/order_saga/runtime/diagram.py",
    "src/order_saga/settings.py",
    "tests/test_domain.py",
    "tests/test_services.py",
    "tests/test_system.py",
    "tests/test_runtime.py",
]


def files_of(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file())


def test_defaults_bake_the_order_saga_project(baked: Callable[..., Path]) -> None:
    project = baked()
    assert project.name == "order-saga"
    for name in EXPECTED_FILES:
        assert (project / name).is_file(), name


def test_no_generated_file_contains_template_syntax(baked: Callable[..., Path]) -> None:
    project = baked()
    for path in files_of(project):
        text = path.read_text(encoding="utf-8")
        assert not UNRENDERED.search(text), path


def test_slug_and_package_are_derived_from_the_project_name(
    baked: Callable[..., Path],
) -> None:
    project = baked(project_name="Bar Shop")
    answers = json.loads((project / ".cookiecutter.json").read_text())
    assert project.name == "bar-shop"
    assert (answers["project_slug"], answers["package_name"]) == ("bar-shop", "bar_shop")
    assert (project / "src" / "bar_shop" / "system.py").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"bar-shop": "bar_shop.cli:main"}


def test_the_answers_file_holds_the_answers_and_no_machine_paths(
    baked: Callable[..., Path],
) -> None:
    project = baked(author_name="Ada")
    answers = json.loads((project / ".cookiecutter.json").read_text())
    assert answers["author_name"] == "Ada"
    assert "_output_dir" not in answers
    assert "_template" in answers  # so that update tools know where it came from
