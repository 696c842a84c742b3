"""Constructing a System's applications against one database."""

from typing import Any, TypeVar

from eventsourcing.application import Application
from eventsourcing.system import System

from .config import Database, check_application_names
from .coordination import schema_lock

TApplication = TypeVar("TApplication", bound=Application[Any])


def application_class(system: System, name: str) -> type[Application[Any]]:
    """The class a runner constructs for the named application of the system."""
    if name in system.follows:
        return system.follower_cls(name)
    if name in system.leads:
        return system.leader_cls(name)
    return system.get_app_cls(name)


def open_application(
    system: System, name: str, database: Database, *, create_table: bool = False
) -> Application[Any]:
    """An instance of the named application that reads and writes the database."""
    env = database.application_env(create_table=create_table)
    return application_class(system, name)(env=env)


def create_tables(system: System, database: Database) -> None:
    """Create every application's tables, once, one process at a time.

    Many processes creating tables at once fail ("already exists", "tuple
    concurrently updated"), so this runs before any worker starts, under a lock
    that other hosts respect too; workers then start with table creation off.
    """
    check_application_names(list(system.nodes))
    if database.is_memory:
        return
    with schema_lock(database):
        for name in system.nodes:
            open_application(system, name, database, create_table=True).close()


def open_for_commands(
    system: System, cls: type[TApplication], database: Database
) -> TApplication:
    """The application, in this process, ready to take commands and queries.

    It processes nothing: whichever runner is running (here or elsewhere) does.
    """
    create_tables(system, database)
    app = open_application(system, cls.name, database)
    assert isinstance(app, cls)
    return app
