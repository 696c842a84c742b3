"""The default project, installed and used as its README says."""

from collections.abc import Callable
from pathlib import Path

from conftest import InstalledProject


def test_the_default_project_passes_its_own_tests_and_linters(
    baked: Callable[..., Path], install: Callable[[Path], InstalledProject]
) -> None:
    project = install(baked())
    project.run("ruff", "check", ".")
    project.run("ruff", "format", "--check", ".")
    project.run("mypy", "--strict", "src", "tests")
    tests = project.run("pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in tests.stdout
    assert " failed" not in tests.stdout


def test_the_demo_completes_every_saga_on_the_embedded_sqlite_file(
    baked: Callable[..., Path], install: Callable[[Path], InstalledProject]
) -> None:
    project = install(baked())
    first = project.run("order-saga", "demo", "--orders", "12")
    assert "12 sagas (1 cancelled, 9 paid, 2 rejected)" in first.stdout
    assert (project.path / "var" / "order_saga.sqlite3").is_file()
    second = project.run("order-saga", "demo", "--orders", "3", "--runner", "multiprocess")
    assert "3 sagas (3 paid)" in second.stdout
