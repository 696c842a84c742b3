"""Which database the applications use, as one URL, checked early."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

#: The word that selects the library's in-memory store (fast, one process only).
MEMORY = "memory"

# Application names become table prefixes and tracking keys: eventsourcing-sqlalchemy
# keeps them in a 32-character column, and PostgreSQL identifiers stop at 63.
MAX_APPLICATION_NAME = 32
_APPLICATION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ConfigurationError(Exception):
    """A setting is wrong. The message says which, and what to do instead."""


@dataclass(frozen=True)
class Database:
    """Where events are stored: ``memory``, a SQLite file, or a PostgreSQL server."""

    url: str

    @property
    def is_memory(self) -> bool:
        return self.url == MEMORY

    @property
    def dialect(self) -> str:
        """``memory``, ``sqlite`` or ``postgresql``."""
        if self.is_memory:
            return MEMORY
        return make_url(self.url).get_backend_name()

    @property
    def sqlite_path(self) -> Path | None:
        if self.dialect != "sqlite":
            return None
        return Path(str(make_url(self.url).database))

    @property
    def is_shared(self) -> bool:
        """Whether other processes (and hosts, for PostgreSQL) see the same events."""
        return not self.is_memory

    def display(self) -> str:
        """The URL without its password, for messages."""
        if self.is_memory:
            return MEMORY
        return make_url(self.url).render_as_string(hide_password=True)

    def libpq_conninfo(self) -> str:
        """The URL as psycopg wants it, for the connections we hold ourselves."""
        url = make_url(self.url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    def application_env(self, *, create_table: bool) -> dict[str, str]:
        """The environment that points an eventsourcing application at this store."""
        if self.is_memory:
            return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
        return {
            "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
            "SQLALCHEMY_URL": self.url,
            "CREATE_TABLE": "y" if create_table else "n",
        }

    def check_reachable(self) -> None:
        """Connect once, so a wrong host or path fails now with one clear line."""
        if self.is_memory:
            return
        path = self.sqlite_path
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                msg = f"cannot create the folder for SQLite file {path}: {error}"
                raise ConfigurationError(msg) from None
        connect_args: dict[str, Any] = {}
        if self.dialect == "postgresql":
            connect_args["connect_timeout"] = 5
        engine = sqlalchemy.create_engine(self.url, connect_args=connect_args)
        try:
            with engine.connect() as connection:
                # On SQLite this reads the file's header: not a database fails here.
                probe = "SELECT count(*) FROM sqlite_master" if path else "SELECT 1"
                connection.execute(sqlalchemy.text(probe))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()
            first = reason[0] if reason else type(error).__name__
            msg = f"cannot reach database {self.display()}: {first}"
            raise ConfigurationError(msg) from None
        finally:
            engine.dispose()


def parse_database_url(text: str) -> Database:
    """Turn what a user typed into a Database, or say what is wrong with it.

    Relative SQLite paths are made absolute, so that worker processes started
    elsewhere open the same file; ``postgresql://`` means psycopg 3.
    """
    text = text.strip()
    if text == MEMORY:
        return Database(MEMORY)
    hint = (
        f"use '{MEMORY}', sqlite:///path/to/file.sqlite3 or "
        "postgresql+psycopg://user:password@host:5432/dbname"
    )
    try:
        url = make_url(text)
    except ArgumentError:
        msg = f"malformed database URL {text!r}: {hint}"
        raise ConfigurationError(msg) from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
        if not url.database:
            msg = f"database URL {text!r} names no database: {hint}"
            raise ConfigurationError(msg)
    elif backend == "sqlite":
        url = _sqlite_file_url(url, text, hint)
    else:
        msg = f"unsupported database {backend!r} in {text!r}: {hint}"
        raise ConfigurationError(msg)
    try:
        url.get_dialect()
    except NoSuchModuleError:
        msg = f"unsupported database driver {url.drivername!r} in {text!r}: {hint}"
        raise ConfigurationError(msg) from None
    return Database(url.render_as_string(hide_password=False))


def _sqlite_file_url(url: URL, text: str, hint: str) -> URL:
    database = url.database or ""
    if database in ("", ":memory:") or "mode=memory" in text:
        msg = f"in-memory SQLite is not shared between applications: {hint}"
        raise ConfigurationError(msg)
    query = dict(url.query)
    # Writers in other processes hold the file for a moment; wait, don't fail.
    query.setdefault("timeout", "30")
    path = Path(database).expanduser().absolute()
    return url.set(database=str(path), query=query)


def check_application_names(names: list[str]) -> None:
    """Application names become table names and tracking keys: check them early."""
    for name in names:
        if not _APPLICATION_NAME.match(name):
            msg = (
                f"application name {name!r} must start with a letter and contain "
                "only letters, digits and underscores (it prefixes table names)"
            )
            raise ConfigurationError(msg)
        if len(name) > MAX_APPLICATION_NAME:
            msg = (
                f"application name {name!r} is {len(name)} characters long; "
                f"the tracking table stores at most {MAX_APPLICATION_NAME}: "
                "set a shorter 'name' on the application class"
            )
            raise ConfigurationError(msg)


#: The environment variable that selects the database, for every process.
DATABASE_URL_VARIABLE = "DATABASE_URL"
#: The environment variable that selects the runner.
RUNNER_VARIABLE = "SYSTEM_RUNNER"
