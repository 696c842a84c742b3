"""The generic half of a run script: settings, and the commands any System has.

A project's ``cli.py`` builds its parser with :func:`new_parser`, adds these
commands with :func:`add_system_commands`, adds its own (``demo`` and so on),
and hands over to :func:`run_command`.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from eventsourcing.system import System

from .config import (
    DATABASE_URL_VARIABLE,
    RUNNER_VARIABLE,
    ConfigurationError,
    Database,
    parse_database_url,
)
from .diagram import mermaid_flowchart
from .multiprocess import WorkerFailed
from .processing import EventProcessingFailed
from .runners import RUNNER_NAMES, check_runner_name, make_runner
from .status import system_status
from .worker import run_worker, stop_on_signals

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Defaults:
    """What is used when neither an option nor an environment variable says."""

    database_url: str
    runner: str
    poll_interval: float = 0.5


class ArgumentParser(argparse.ArgumentParser):
    """Reports a usage error in one line, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """An argparse type: a whole number, at least 1."""
    try:
        value = int(text)
    except ValueError:
        msg = f"{text!r} is not a whole number"
        raise argparse.ArgumentTypeError(msg) from None
    if value < 1:
        msg = f"{text!r} must be at least 1"
        raise argparse.ArgumentTypeError(msg)
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"{text!r} is not a number of seconds"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 < value < 3600:
        msg = f"{text!r} must be between 0 and 3600 seconds"
        raise argparse.ArgumentTypeError(msg)
    return value


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def format_table(header: Sequence[str], rows: Sequence[Iterable[object]]) -> str:
    """Rows as aligned columns a person can read."""
    table = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def wait_with_progress(
    check_runner: Callable[[], None],
    count_done: Callable[[], int],
    total: int,
    *,
    what: str,
    timeout: float,
) -> bool:
    """Poll until ``count_done()`` reaches ``total``, saying how far it has got.

    Whether it got there within ``timeout`` seconds. ``check_runner`` raises if
    the runner failed, since a failed worker would leave the rest undone.
    """
    deadline = time.monotonic() + timeout
    last_report = ""
    while True:
        done = count_done()
        report = f"{done}/{total} {what} finished"
        if report != last_report:
            say(report)
            last_report = report
        if done >= total:
            return True
        if time.monotonic() > deadline:
            return False
        check_runner()
        time.sleep(0.05)


def new_parser(
    description: str, defaults: Defaults
) -> tuple[
    ArgumentParser, "argparse._SubParsersAction[ArgumentParser]", ArgumentParser
]:
    """The parser, its sub-commands, and the options every command takes."""
    common = ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        metavar="URL",
        help=f"SQLAlchemy URL, or 'memory' (env {DATABASE_URL_VARIABLE}; "
        f"default {defaults.database_url})",
    )
    common.add_argument(
        "--runner",
        metavar="NAME",
        help=f"{' or '.join(RUNNER_NAMES)} "
        f"(env {RUNNER_VARIABLE}; default {defaults.runner})",
    )
    common.add_argument(
        "--poll-interval",
        type=seconds,
        default=defaults.poll_interval,
        metavar="SECONDS",
        help="longest wait between looks for new events (default %(default)s)",
    )
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else None
    parser = ArgumentParser(prog=prog, description=description, parents=[common])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    return parser, commands, common


def chosen_database(args: argparse.Namespace, defaults: Defaults) -> Database:
    """The database named by --database, else DATABASE_URL, else the default;
    checked to be reachable, so that a wrong one fails now, in one line."""
    text = (
        args.database or os.environ.get(DATABASE_URL_VARIABLE) or defaults.database_url
    )
    database = parse_database_url(text)
    database.check_reachable()
    return database


def chosen_runner(args: argparse.Namespace, defaults: Defaults) -> str:
    """The runner named by --runner, else SYSTEM_RUNNER, else the default."""
    name = args.runner or os.environ.get(RUNNER_VARIABLE) or defaults.runner
    return check_runner_name(name)


def add_system_commands(
    commands: "argparse._SubParsersAction[ArgumentParser]",
    common: ArgumentParser,
    system: System,
    defaults: Defaults,
) -> dict[str, Handler]:
    """Add ``run``, ``worker``, ``status`` and ``diagram``; return their handlers."""
    run = commands.add_parser(
        "run", parents=[common], help="run the system until stopped"
    )
    run.add_argument(
        "--restart", action="store_true", help="restart failed workers (multiprocess)"
    )

    worker = commands.add_parser(
        "worker",
        parents=[common],
        help="run some services' processing here (one service on its own host)",
    )
    worker.add_argument(
        "names", nargs="+", metavar="APP", help=", ".join(system.followers)
    )
    worker.add_argument(
        "--wait",
        action="store_true",
        help="wait as a standby if one is already running",
    )

    status = commands.add_parser(
        "status", parents=[common], help="show how far each follower has got"
    )
    status.add_argument("--json", action="store_true", help="print JSON rows")

    # No database options: the picture comes from the code, not from a database.
    commands.add_parser(
        "diagram", help="print the system as a Mermaid flowchart (who follows whom)"
    )

    def run_system(args: argparse.Namespace) -> int:
        runner_name = chosen_runner(args, defaults)
        database = chosen_database(args, defaults)
        stop = stop_on_signals()
        runner = make_runner(
            runner_name,
            system,
            database,
            poll_interval=args.poll_interval,
            restart=args.restart,
        )
        runner.start()
        say(f"running with runner {runner_name} on {database.display()}; Ctrl-C stops")
        try:
            runner.serve(stop.is_set)
        finally:
            runner.stop()
        say("stopped")
        return EXIT_OK

    def run_one_worker(args: argparse.Namespace) -> int:
        database = chosen_database(args, defaults)
        stop = stop_on_signals()
        run_worker(
            system,
            args.names,
            database,
            poll_interval=args.poll_interval,
            lock_wait=float("inf") if args.wait else 0.0,
            should_stop=stop.is_set,
        )
        return EXIT_OK

    def show_status(args: argparse.Namespace) -> int:
        rows = system_status(system, chosen_database(args, defaults))
        if args.json:
            print(json.dumps([row.as_dict() for row in rows], indent=2))
        else:
            header = (
                "leader",
                "follower",
                "leader position",
                "follower position",
                "lag",
            )
            print(format_table(header, [row.as_dict().values() for row in rows]))
        return EXIT_OK

    def print_diagram(args: argparse.Namespace) -> int:
        print(mermaid_flowchart(system))
        return EXIT_OK

    return {
        "run": run_system,
        "worker": run_one_worker,
        "status": show_status,
        "diagram": print_diagram,
    }


def run_command(
    parser: ArgumentParser, handlers: dict[str, Handler], argv: Sequence[str] | None
) -> int:
    """Parse, run the chosen command, and turn expected failures into one line."""
    args = parser.parse_args(argv)
    # SIGTERM stops a command as Ctrl-C does: runners stop their workers on the
    # way out, and no worker is left behind.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return handlers[args.command](args)
    except ConfigurationError as error:
        say(f"{parser.prog}: error: {error}")
        return EXIT_USAGE
    except (EventProcessingFailed, WorkerFailed) as error:
        say(f"{parser.prog}: error: {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        say(f"{parser.prog}: interrupted")
        return EXIT_INTERRUPTED
