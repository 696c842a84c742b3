"""Run the processing of some of a System's followers in this process.

This is how the multi-process runner starts each of its workers, and how one
service runs on a host of its own::

    python -m <package>.runtime --system <package>.system:system Inventory

(the project's run script offers the same as its ``worker`` command). The
database comes from the ``DATABASE_URL`` environment variable, so that no
password shows in a process list.

Exit codes: 0 stopped when asked; 2 bad configuration, or another process is
already running one of these followers; 3 a policy failed (the message names
the event, which is not skipped: fix the policy and start again).
"""

import argparse
import ctypes
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, cast

from eventsourcing.application import Application
from eventsourcing.system import Follower, System
from eventsourcing.utils import resolve_topic

from .applications import create_tables, open_application
from .config import (
    DATABASE_URL_VARIABLE,
    ConfigurationError,
    Database,
    parse_database_url,
)
from .coordination import holding_locks, open_doorbell, parent_is_gone
from .processing import EdgeProcessor, EventProcessingFailed, process_with_retries

#: What a worker says once it is following its leaders (the supervisor waits for it).
READY_MARK = ": following "

EXIT_CONFIGURATION = 2
EXIT_PROCESSING_FAILED = 3


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_worker(
    system: System,
    names: list[str],
    database: Database,
    *,
    poll_interval: float = 1.0,
    lock_wait: float = 0.0,
    should_stop: Callable[[], bool] = lambda: False,
    parent_pid: int | None = None,
) -> None:
    """Catch up, then follow: process the named followers' leaders until stopped.

    Raises ConfigurationError for unknown names or a follower that is already
    running elsewhere, and EventProcessingFailed when a policy fails.
    """
    unknown = [name for name in names if name not in system.followers]
    if unknown or not names:
        msg = (
            f"unknown follower {', '.join(unknown) or '(none given)'}: "
            f"choose from {', '.join(system.followers)}"
        )
        raise ConfigurationError(msg)
    if database.is_memory:
        msg = "a worker needs a database other processes share, not 'memory'"
        raise ConfigurationError(msg)

    def stopping() -> bool:
        return should_stop() or parent_is_gone(parent_pid)

    def on_retry(error: BaseException, delay: float) -> None:
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        say(
            f"{label}: retrying in {delay:.2f}s "
            f"after {type(error).__name__}: {first_line}"
        )

    label = "+".join(names)
    with holding_locks(database, names, wait_seconds=lock_wait):
        # Started alone (on a host of its own) it may be first: make sure the
        # tables exist. Under the schema lock, and a no-op when they do.
        create_tables(system, database)
        edges: list[EdgeProcessor] = []
        channels: list[str] = []
        leaders: set[str] = set()
        opened: list[Application[Any]] = []
        for name in names:
            follower = cast(Follower[Any], open_application(system, name, database))
            opened.append(follower)
            for leader_name in system.follows[name]:
                leader = open_application(system, leader_name, database)
                opened.append(leader)
                follower.follow(leader_name, leader.notification_log)
                edges.append(EdgeProcessor(follower, leader_name, leader.recorder))
                leaders.add(leader_name)
                channels.append(str(getattr(leader.recorder, "channel_name", "")))
        try:
            # LISTEN before the first pull, so no commit falls between the two.
            with open_doorbell(database, channels) as doorbell:
                say(f"{label}{READY_MARK}{', '.join(sorted(leaders))}")
                while not stopping():
                    for edge in edges:
                        process_with_retries(
                            edge.process_new_events,
                            should_stop=stopping,
                            on_retry=on_retry,
                        )
                    doorbell.wait(poll_interval, stopping)
        finally:
            for app in opened:
                app.close()
    say(f"{label}: stopped")


def stop_on_signals() -> threading.Event:
    """SIGTERM and SIGINT ask the loop to stop between two transactions."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def die_with_parent() -> None:
    """Ask Linux to SIGTERM us when the supervisor dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="worker", description="Process some of a System's followers."
    )
    parser.add_argument("names", nargs="+", metavar="APP", help="follower to run")
    parser.add_argument(
        "--system", required=True, help="topic, e.g. package.system:system"
    )
    parser.add_argument("--poll-interval", type=float, default=1.0)
    parser.add_argument("--lock-wait", type=float, default=0.0)
    parser.add_argument("--parent-pid", type=int, default=None)
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent()
        if parent_is_gone(args.parent_pid):  # it died before we asked
            return 0
    stop = stop_on_signals()
    try:
        system = resolve_topic(args.system)
        if not isinstance(system, System):
            msg = f"{args.system} is not an eventsourcing System"
            raise ConfigurationError(msg)
        database = parse_database_url(os.environ.get(DATABASE_URL_VARIABLE, ""))
        database.check_reachable()
        run_worker(
            system,
            args.names,
            database,
            poll_interval=args.poll_interval,
            lock_wait=args.lock_wait,
            should_stop=stop.is_set,
            parent_pid=args.parent_pid,
        )
    except ConfigurationError as error:
        say(f"error: {error}")
        return EXIT_CONFIGURATION
    except EventProcessingFailed as error:
        traceback.print_exception(error.cause, file=sys.stderr)
        say(f"error: {error}")
        return EXIT_PROCESSING_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
