"""What the run script uses when nothing is set, and how settings override it."""

import os
import subprocess
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.settings import DEFAULTS

PACKAGE = "{{ cookiecutter.package_name }}"


def run_demo(cwd: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SYSTEM_RUNNER")
    }
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**env, **environment},
        check=False,
    )
{%- if cookiecutter.default_database == "sqlite" %}


def test_the_demo_uses_a_sqlite_file_inside_the_project_by_default(
    tmp_path: Path,
) -> None:
    result = run_demo(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / f"{PACKAGE}.sqlite3").is_file()
    assert f"with runner {DEFAULTS.runner}" in result.stdout
{%- else %}


def test_the_default_database_is_a_local_postgresql_named_after_the_package() -> None:
    expected = f"postgresql+psycopg://postgres@localhost:5432/{PACKAGE}"
    assert expected == DEFAULTS.database_url
{%- endif %}


def test_the_environment_chooses_the_runner_and_the_database(tmp_path: Path) -> None:
    other = "single" if DEFAULTS.runner == "multiprocess" else "multiprocess"
    url = f"sqlite:///{tmp_path}/chosen.sqlite3"
    result = run_demo(tmp_path, SYSTEM_RUNNER=other, DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert f"with runner {other}" in result.stdout
    assert (tmp_path / "chosen.sqlite3").is_file()
