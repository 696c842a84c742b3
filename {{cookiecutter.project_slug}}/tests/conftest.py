"""Databases for the tests: in memory, a SQLite file, and PostgreSQL.

PostgreSQL tests need TEST_POSTGRES_URL (for example
postgresql+psycopg://postgres@127.0.0.1:5432/postgres): each test gets a fresh
database created through it, dropped afterwards. Without it they are skipped,
except under CI (CI=true), where a missing PostgreSQL is a failure.
"""

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from {{ cookiecutter.package_name }}.runtime import Database, parse_database_url

POSTGRES_VARIABLE = "TEST_POSTGRES_URL"
TESTS = Path(__file__).parent


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
