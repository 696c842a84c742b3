"""Fixtures for the template's own tests.

Baking is cheap; installing a generated project is not. So one virtual
environment is made per test session, with the generated projects' dependencies
installed once, and each baked project is installed into it without them.
"""

import json
import os
import subprocess
import venv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent


def run(
    command: list[str], cwd: Path, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure, show what it printed."""
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    """The PostgreSQL server the generated projects' tests use, if any.

    Without TEST_POSTGRES_URL their PostgreSQL tests skip on a laptop and fail
    under CI (CI=true), where a missing server must not pass unnoticed.
    """
    return os.environ.get("TEST_POSTGRES_URL") or None


@pytest.fixture(scope="session")
def project_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with what every generated project depends on."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    python = home / "bin" / "python"
    bake_dir = tmp_path_factory.mktemp("deps")
    project = bake(bake_dir, {})
    run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], cwd=home)
    # Install the default project with its dependencies, then forget the project.
    run([str(python), "-m", "pip", "install", "-q", f"{project}[dev]"], cwd=home)
    run([str(python), "-m", "pip", "uninstall", "-q", "-y", project.name], cwd=home)
    return home


def bake(output_dir: Path, answers: dict[str, str]) -> Path:
    """Generate a project from this template; return its directory."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output_dir),
            extra_context=answers,
        )
    )


@pytest.fixture
def baked(tmp_path: Path) -> Callable[..., Path]:
    def _bake(**answers: str) -> Path:
        return bake(tmp_path, answers)

    return _bake


class InstalledProject:
    """A baked project installed into the shared environment."""

    def __init__(self, path: Path, env_home: Path, postgres_url: str | None) -> None:
        self.path = path
        self.bin = env_home / "bin"
        self.answers: dict[str, Any] = json.loads(
            (path / ".cookiecutter.json").read_text(encoding="utf-8")
        )
        self.env = dict(os.environ)
        self.env.pop("DATABASE_URL", None)
        self.env.pop("SYSTEM_RUNNER", None)
        if postgres_url:
            self.env["TEST_POSTGRES_URL"] = postgres_url

    def run(self, *command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        program, *args = command
        return run([str(self.bin / program), *args], cwd=self.path, timeout=timeout, env=self.env)


@pytest.fixture
def install(
    project_env: Path, postgres_url: str | None
) -> Iterator[Callable[[Path], InstalledProject]]:
    installed: list[InstalledProject] = []

    def _install(path: Path) -> InstalledProject:
        python = project_env / "bin" / "python"
        run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(path)], cwd=path)
        project = InstalledProject(path, project_env, postgres_url)
        installed.append(project)
        return project

    yield _install
    python = project_env / "bin" / "python"
    for project in installed:
        subprocess.run(
            [str(python), "-m", "pip", "uninstall", "-q", "-y", project.answers["project_slug"]],
            capture_output=True,
            check=False,
        )
