"""The run script: the tasks example's commands, plus those every System has.

Every command takes ``--database`` and ``--runner``; settings come from the
command line, else from the environment (``DATABASE_URL``, ``SYSTEM_RUNNER``),
else from ``settings.py``.
"""

import argparse
import sys
import time
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from .runtime import ConfigurationError, make_runner
from .runtime.applications import open_for_commands
from .runtime.commands import (
    EXIT_FAILED,
    EXIT_OK,
    add_system_commands,
    chosen_database,
    chosen_runner,
    format_table,
    new_parser,
    positive_int,
    run_command,
    say,
    seconds,
    wait_with_progress,
)
from .services.tasks import Tasks
from .settings import DEFAULTS
from .system import system


def run_demo(args: argparse.Namespace) -> int:
    runner_name = chosen_runner(args, DEFAULTS)
    database = chosen_database(args, DEFAULTS)
    started = time.monotonic()
    runner = make_runner(
        runner_name, system, database, poll_interval=args.poll_interval
    )
    say(
        f"demo: {args.tasks} tasks, runner {runner_name}, database {database.display()}"
    )
    runner.start()
    try:
        tasks = runner.get(Tasks)
        # Every third task is urgent (its title ends with "!").
        task_ids = [
            tasks.add_task(f"task {i}" + ("!" if i % 3 == 2 else ""))
            for i in range(args.tasks)
        ]

        def count_triaged() -> int:
            return sum(tasks.get_task(i).is_triaged for i in task_ids)

        finished = wait_with_progress(
            runner.check,
            count_triaged,
            len(task_ids),
            what="tasks",
            timeout=args.timeout,
        )
        details = [tasks.get_task(i) for i in task_ids]
    finally:
        runner.stop()
    rows = [(str(d.id)[:8], d.title, d.status, d.priority or "-") for d in details]
    print(format_table(("task", "title", "status", "priority"), rows))
    elapsed = time.monotonic() - started
    print(f"{len(details)} tasks triaged in {elapsed:.2f}s with runner {runner_name}")
    return EXIT_OK if finished else EXIT_FAILED


def add_task(args: argparse.Namespace) -> int:
    database = chosen_database(args, DEFAULTS)
    with open_for_commands(system, Tasks, database) as tasks:
        try:
            task_id = tasks.add_task(args.title)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    print(task_id)
    return EXIT_OK


def show_task(args: argparse.Namespace) -> int:
    try:
        task_id = UUID(args.task_id)
    except ValueError:
        msg = f"{args.task_id!r} is not a task id (a UUID, as add-task prints)"
        raise ConfigurationError(msg) from None
    database = chosen_database(args, DEFAULTS)
    with open_for_commands(system, Tasks, database) as tasks:
        try:
            details = tasks.get_task(task_id)
        except AggregateNotFoundError:
            say(f"error: no task {task_id} in {database.display()}")
            return EXIT_FAILED
    for field, value in vars(details).items():
        print(f"{field}: {value}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands, common = new_parser(
        "Run the tasks system, in one process or one process per service.", DEFAULTS
    )
    handlers = add_system_commands(commands, common, system, DEFAULTS)

    demo = commands.add_parser(
        "demo", parents=[common], help="add tasks and show how each is triaged"
    )
    demo.add_argument("--tasks", type=positive_int, default=6, metavar="N")
    demo.add_argument("--timeout", type=seconds, default=120.0, metavar="SECONDS")
    handlers["demo"] = run_demo

    add = commands.add_parser("add-task", parents=[common], help="add one task")
    add.add_argument("title", nargs="?", default="water the plants")
    handlers["add-task"] = add_task

    show = commands.add_parser("show-task", parents=[common], help="show one task")
    show.add_argument("task_id", metavar="TASK_ID")
    handlers["show-task"] = show_task

    return run_command(parser, handlers, argv)


if __name__ == "__main__":
    sys.exit(main())
