"""What processes sharing one database use to stay out of each other's way.

* A *follower lock* makes sure at most one instance of each follower processes
  events at a time (eventsourcing-sqlalchemy checks, then writes, its tracking
  records, so two instances at once would process events twice). PostgreSQL:
  a session advisory lock; SQLite: a lock on a file beside the database.
  Either is released by the operating system or server when a process dies.
* A *schema lock* makes table creation happen one process at a time.
* A *doorbell* wakes a waiting follower when a leader writes. PostgreSQL:
  LISTEN/NOTIFY; SQLite: ``PRAGMA data_version``, which changes when another
  connection commits. A doorbell can miss a ring, so callers always wait with a
  timeout and pull anyway: the bell makes things fast, the timeout makes them sure.
"""

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol, Self

import psycopg

from .config import ConfigurationError, Database

SCHEMA_LOCK_NAME = "create-tables"


class LockHeldElsewhere(Exception):
    """Another process holds the lock."""


class Lock(Protocol):
    def acquire(self, *, wait_seconds: float) -> None: ...

    def release(self) -> None: ...


def _advisory_key(name: str) -> int:
    digest = hashlib.sha256(f"eventsourcing-follower:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLock:
    """A session advisory lock, held on a connection of its own."""

    def __init__(self, database: Database, name: str) -> None:
        self.conninfo = database.libpq_conninfo()
        self.name = name
        self.connection: psycopg.Connection[tuple[object, ...]] | None = None

    def acquire(self, *, wait_seconds: float) -> None:
        connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)
        key = _advisory_key(self.name)
        deadline = time.monotonic() + wait_seconds
        while True:
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (key,)
            ).fetchone()
            if row and row[0]:
                self.connection = connection
                return
            if time.monotonic() >= deadline:
                connection.close()
                raise LockHeldElsewhere(self.name)
            time.sleep(0.2)

    def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg.Error):
                self.connection.close()
            self.connection = None


class FileLock:
    """An exclusive flock on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[bytes] | None = None

    def acquire(self, *, wait_seconds: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("ab")
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    file.close()
                    raise LockHeldElsewhere(self.path.name) from None
                time.sleep(0.05)
            else:
                self.file = file
                return

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing the file releases the lock
            self.file = None


class NoLock:
    """For the in-memory store, which no other process can see."""

    def acquire(self, *, wait_seconds: float) -> None:
        pass

    def release(self) -> None:
        pass


def follower_lock(database: Database, name: str) -> Lock:
    """The lock that one instance of the named follower holds while it runs."""
    path = database.sqlite_path
    if path is not None:
        return FileLock(path.with_name(f"{path.name}.{name}.lock"))
    if database.dialect == "postgresql":
        return PostgresLock(database, name)
    return NoLock()


@contextlib.contextmanager
def holding_locks(
    database: Database, names: list[str], *, wait_seconds: float = 0.0
) -> Iterator[None]:
    """Hold every named follower's lock, or fail naming the one that is taken."""
    held: list[Lock] = []
    try:
        for name in names:
            lock = follower_lock(database, name)
            try:
                lock.acquire(wait_seconds=wait_seconds)
            except LockHeldElsewhere:
                msg = (
                    f"{name} is already being processed by another process on "
                    f"{database.display()}; stop that one first (only one instance "
                    "of each follower may run at a time)"
                )
                raise ConfigurationError(msg) from None
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()


@contextlib.contextmanager
def schema_lock(database: Database) -> Iterator[None]:
    """Serialise table creation across processes and hosts."""
    lock = follower_lock(database, SCHEMA_LOCK_NAME)
    lock.acquire(wait_seconds=120.0)
    try:
        yield
    finally:
        lock.release()


class Doorbell(ABC):
    """Wakes a waiting follower soon after a leader commits new events."""

    @abstractmethod
    def wait(self, timeout: float, should_stop: Callable[[], bool]) -> None:
        """Return when rung, when ``timeout`` has passed, or soon after a stop."""

    def close(self) -> None:  # noqa: B027 (most doorbells hold a connection)
        """Let go of any connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class TimerDoorbell(Doorbell):
    """Never rings: waits out the timeout (used for the in-memory store)."""

    def wait(self, timeout: float, should_stop: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        while not should_stop() and time.monotonic() < deadline:
            time.sleep(min(0.05, timeout))


class SQLiteDoorbell(Doorbell):
    """Watches ``PRAGMA data_version``: a cheap read that changes on any commit
    by another connection, so followers can check often and pull only then."""

    check_interval = 0.005

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(str(path), timeout=30)
        self.version = self._read_version()

    def _read_version(self) -> int:
        row = self.connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def wait(self, timeout: float, should_stop: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        while not should_stop() and time.monotonic() < deadline:
            version = self._read_version()
            if version != self.version:
                self.version = version
                return
            time.sleep(self.check_interval)

    def close(self) -> None:
        self.connection.close()


class PostgresDoorbell(Doorbell):
    """LISTENs on the leaders' channels (eventsourcing-sqlalchemy NOTIFYs on
    commit). LISTEN starts before the first pull, and a dropped connection is
    reopened on the next wait, so at worst a ring is late by one timeout."""

    def __init__(self, database: Database, channels: list[str]) -> None:
        self.conninfo = database.libpq_conninfo()
        self.channels = channels
        self.connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._connect()

    def _connect(self) -> None:
        try:
            connection = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=5
            )
            for channel in self.channels:
                connection.execute(f'LISTEN "{channel}"')
        except psycopg.Error:
            self.connection = None  # poll until the next wait reconnects
        else:
            self.connection = connection

    def wait(self, timeout: float, should_stop: Callable[[], bool]) -> None:
        deadline = time.monotonic() + timeout
        while not should_stop():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.connection is None or self.connection.closed:
                time.sleep(min(remaining, 0.25))
                self._connect()
                return  # the connection was lost: pull, in case a ring was missed
            try:
                rung = list(
                    self.connection.notifies(timeout=min(remaining, 0.25), stop_after=1)
                )
                if rung:
                    # Several commits may have rung: one pull serves them all.
                    list(self.connection.notifies(timeout=0.0))
                    return
            except psycopg.Error:
                self.close()
                return

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg.Error):
                self.connection.close()
            self.connection = None


def open_doorbell(database: Database, channels: list[str]) -> Doorbell:
    """The cheapest way to hear about new events in this database."""
    path = database.sqlite_path
    if path is not None:
        return SQLiteDoorbell(path)
    if database.dialect == "postgresql":
        return PostgresDoorbell(database, channels)
    return TimerDoorbell()


def parent_is_gone(parent_pid: int | None) -> bool:
    """Whether the process that started this one has died (we were orphaned)."""
    return parent_pid is not None and os.getppid() != parent_pid
