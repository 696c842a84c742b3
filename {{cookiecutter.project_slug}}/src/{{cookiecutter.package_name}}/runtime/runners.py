"""The one place where the deployment is chosen: which runner, by name."""

from typing import Any

from eventsourcing.system import System

from .config import ConfigurationError, Database
from .multiprocess import MultiProcessRunner
from .single import SingleProcessRunner

SystemRunner = SingleProcessRunner | MultiProcessRunner

#: Runner names, as typed after ``--runner`` or in the SYSTEM_RUNNER variable.
RUNNER_NAMES = ("single", "multiprocess")


def check_runner_name(name: str) -> str:
    if name not in RUNNER_NAMES:
        msg = f"unknown runner {name!r}: choose from {', '.join(RUNNER_NAMES)}"
        raise ConfigurationError(msg)
    return name


def make_runner(
    name: str, system: System, database: Database, **options: Any
) -> SystemRunner:
    """Construct (not start) the named runner for the system on the database.

    ``single``: every application in this process, one thread.
    ``multiprocess``: one OS process per follower; this process supervises.
    """
    check_runner_name(name)
    poll_interval = float(options.get("poll_interval", 1.0))
    if name == "single":
        return SingleProcessRunner(system, database, poll_interval=poll_interval)
    return MultiProcessRunner(
        system,
        database,
        poll_interval=poll_interval,
        restart=bool(options.get("restart", False)),
    )
