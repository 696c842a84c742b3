"""Databases for the tests: in memory, a SQLite file, and PostgreSQL.

PostgreSQL tests need TEST_POSTGRES_URL (for example
postgresql+psycopg://postgres@127.0.0.1:5432/postgres): each test gets a fresh
database created through it, dropped afterwards. Without it they are skipped,
except under CI (CI=true), where a missing PostgreSQL is a failure.
"""

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from {{ cookiecutter.package_name }}.runtime import Database, parse_database_url
from {{ cookiecutter.package_name }}.runtime.multiprocess import MultiProcessRunner

POSTGRES_VARIABLE = "TEST_POSTGRES_URL"
TESTS = Path(__file__).parent
PACKAGE = "{{ cookiecutter.package_name }}"


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return parse_database_url(f"sqlite:///{tmp_path}/events.sqlite3")


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    url = os.environ.get(POSTGRES_VARIABLE)
    if not url:
        reason = (
            f"set {POSTGRES_VARIABLE}=postgresql+psycopg://user@host:5432/postgres "
            "to run the PostgreSQL tests"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}")
        pytest.skip(reason)
    admin = parse_database_url(url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin.libpq_conninfo(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parse_database_url(admin.url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(admin.libpq_conninfo(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def memory_database() -> Database:
    return parse_database_url("memory")


@pytest.fixture
def postgresql_database(postgres_database: Database) -> Database:
    return postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest) -> Database:
    """Every store that several processes can share."""
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_database"
    database: Database = request.getfixturevalue(fixture)
    return database


@pytest.fixture
def importable_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let worker processes import the systems defined in tests/ (their event
    classes must live in importable modules, not in __main__)."""
    path = os.environ.get("PYTHONPATH", "")
    root = str(TESTS.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (root, path) if p))


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll until the predicate holds; fail the test if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout}s waiting for {predicate.__name__}")
        time.sleep(0.05)


def run_script(*args: str, database: Database) -> subprocess.Popen[str]:
    """Start the run script as a user would, in a process of its own."""
    env = {**os.environ, "DATABASE_URL": database.url}
    return subprocess.Popen(
        [sys.executable, "-m", PACKAGE, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(
    process: subprocess.Popen[str], timeout: float = 120
) -> tuple[int, str, str]:
    """Wait for a process; its exit code, output and errors."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def children_of(pid: int) -> set[int]:
    """The ids of a process's child processes, read from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def run_to_end(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the run script to its end, as a user would, and capture what it said."""
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


@contextlib.contextmanager
def running_system(runner_name: str, database: Database) -> Iterator[None]:
    """``run`` in a process of its own, stopped with Ctrl-C (SIGINT) afterwards,
    which it must survive cleanly."""
    running = run_script(
        "run", "--runner", runner_name, "--poll-interval", "0.2", database=database
    )
    try:
        yield
    finally:
        running.send_signal(signal.SIGINT)
        code, _, err = finish(running, timeout=30)
    assert code == 0, err


@contextlib.contextmanager
def killing_workers(
    runner: MultiProcessRunner, *, times: int, every: float, seed: int
) -> Iterator[list[str]]:
    """SIGKILL a randomly chosen worker ``times`` times, ``every`` seconds, while
    the body runs; yields the names of the workers killed so far."""
    killed: list[str] = []

    def kill() -> None:
        chooser = random.Random(seed)
        for _ in range(times):
            time.sleep(every)
            name = chooser.choice(list(runner.workers))
            pid = runner.workers[name].pid
            if pid and is_alive(pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(name)

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        yield killed
    finally:
        killer.join()
