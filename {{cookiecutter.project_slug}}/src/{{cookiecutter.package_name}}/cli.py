"""The run script: every command takes ``--database`` and ``--runner``.

Settings come from the command line, else from the environment
(``DATABASE_URL``, ``SYSTEM_RUNNER``), else from the defaults below.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NoReturn
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from .runtime import (
    RUNNER_NAMES,
    ConfigurationError,
    Database,
    EventProcessingFailed,
    make_runner,
    parse_database_url,
)
from .runtime.applications import open_for_commands
from .runtime.config import DATABASE_URL_VARIABLE, RUNNER_VARIABLE
from .runtime.multiprocess import WorkerFailed
from .runtime.runners import SystemRunner, check_runner_name
from .runtime.status import format_status, system_status
from .runtime.worker import run_worker, stop_on_signals
from .services.orders import OrderDetails, Orders
from .system import system

DEFAULT_DATABASE_URL = f"sqlite:///var/{__package__}.sqlite3"
DEFAULT_RUNNER = "single"
DEFAULT_POLL_INTERVAL = 0.5

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """Reports a usage error in one line, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds"
        ) from None
    if not 0 < value < 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 3600 seconds")
    return value


def build_parser() -> ArgumentParser:
    common = ArgumentParser(add_help=False)
    common.add_argument(
        "--database",
        metavar="URL",
        help=f"SQLAlchemy URL, or 'memory' (env {DATABASE_URL_VARIABLE}; "
        f"default {DEFAULT_DATABASE_URL})",
    )
    common.add_argument(
        "--runner",
        metavar="NAME",
        help=f"{' or '.join(RUNNER_NAMES)} "
        f"(env {RUNNER_VARIABLE}; default {DEFAULT_RUNNER})",
    )
    common.add_argument(
        "--poll-interval",
        type=seconds,
        default=DEFAULT_POLL_INTERVAL,
        metavar="SECONDS",
        help="longest wait between looks for new events (default %(default)s)",
    )
    parser = ArgumentParser(
        prog=os.path.basename(sys.argv[0]) if sys.argv[0] else __package__,
        description="Run the event-sourced system, in one process or one per service.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", parents=[common], help="place orders and show how each saga ends"
    )
    demo.add_argument("--orders", type=positive_int, default=10, metavar="N")
    demo.add_argument("--timeout", type=seconds, default=120.0, metavar="SECONDS")

    run = commands.add_parser(
        "run", parents=[common], help="run the system until stopped"
    )
    run.add_argument(
        "--restart", action="store_true", help="restart failed workers (multiprocess)"
    )

    place = commands.add_parser("place-order", parents=[common], help="place one order")
    place.add_argument("--item", default="widget")
    place.add_argument("--quantity", type=positive_int, default=1)
    place.add_argument("--amount", type=amount, default=Decimal("10.00"))

    show = commands.add_parser("show-order", parents=[common], help="show one order")
    show.add_argument("order_id", metavar="ORDER_ID")

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
    return parser


def chosen_database(args: argparse.Namespace) -> Database:
    text = (
        args.database or os.environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL
    )
    database = parse_database_url(text)
    database.check_reachable()
    return database


def chosen_runner(args: argparse.Namespace) -> str:
    return check_runner_name(
        args.runner or os.environ.get(RUNNER_VARIABLE) or DEFAULT_RUNNER
    )


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Orders the demo places: most succeed; some ask for an item that is never in
# stock (the saga rejects them), some are too dear (payment declined: stock is
# put back and the order cancelled).
DEMO_ITEMS = ("widget", "gadget", "gizmo")


def demo_order(index: int) -> tuple[str, int, Decimal]:
    if index % 5 == 4:
        return "unobtainium", 1, Decimal("25.00")
    if index % 7 == 6:
        return "gadget", 1, Decimal("5000.00")
    return (
        DEMO_ITEMS[index % 3],
        1 + index % 3,
        Decimal(10 + index % 90) + Decimal("0.50"),
    )


def run_demo(args: argparse.Namespace) -> int:
    database = chosen_database(args)
    runner_name = chosen_runner(args)
    started = time.monotonic()
    runner = make_runner(
        runner_name, system, database, poll_interval=args.poll_interval
    )
    say(
        f"demo: {args.orders} orders, runner {runner_name}, "
        f"database {database.display()}"
    )
    runner.start()
    try:
        orders = runner.get(Orders)
        order_ids = []
        for index in range(args.orders):
            item, quantity, price = demo_order(index)
            order_ids.append(orders.place_order(item, quantity, price))
        say(f"demo: placed {len(order_ids)} orders")
        finished = wait_for_sagas(runner, orders, order_ids, args.timeout)
    finally:
        runner.stop()
    elapsed = time.monotonic() - started
    print(format_orders(finished))
    counts: dict[str, int] = {}
    for details in finished:
        counts[details.status] = counts.get(details.status, 0) + 1
    unfinished = sum(1 for d in finished if not d.is_final)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(
        f"{len(finished)} sagas ({summary}) in {elapsed:.2f}s with runner {runner_name}"
    )
    if unfinished:
        say(f"demo: {unfinished} sagas did not finish within {args.timeout:g}s")
        return EXIT_FAILED
    return EXIT_OK


def wait_for_sagas(
    runner: SystemRunner, orders: Orders, order_ids: list[UUID], timeout: float
) -> list[OrderDetails]:
    """Poll until every order is final (or time is up), showing progress."""
    deadline = time.monotonic() + timeout
    details = {order_id: orders.get_order(order_id) for order_id in order_ids}
    last_report = ""
    while True:
        pending = [i for i, d in details.items() if not d.is_final]
        report = f"demo: {len(details) - len(pending)}/{len(details)} sagas finished"
        if report != last_report:
            say(report)
            last_report = report
        if not pending or time.monotonic() > deadline:
            return [details[order_id] for order_id in order_ids]
        runner.check()  # a worker that failed would leave sagas unfinished
        time.sleep(0.05)
        for order_id in pending:
            details[order_id] = orders.get_order(order_id)


def format_orders(rows: Sequence[OrderDetails]) -> str:
    def short(value: UUID | None) -> str:
        return str(value)[:8] if value else "-"

    header = (
        "order",
        "item",
        "qty",
        "amount",
        "status",
        "reservation",
        "payment",
        "note",
    )
    table = [header] + [
        (
            short(d.id),
            d.item,
            str(d.quantity),
            str(d.amount),
            d.status,
            short(d.reservation_id),
            short(d.payment_id),
            d.reason,
        )
        for d in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def run_system(args: argparse.Namespace) -> int:
    database = chosen_database(args)
    runner_name = chosen_runner(args)
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


def place_order(args: argparse.Namespace) -> int:
    database = chosen_database(args)
    with open_for_commands(system, Orders, database) as orders:
        order_id = orders.place_order(args.item, args.quantity, args.amount)
    print(order_id)
    if database.is_memory:
        say("note: 'memory' keeps nothing after this command; use a database file")
    return EXIT_OK


def show_order(args: argparse.Namespace) -> int:
    try:
        order_id = UUID(args.order_id)
    except ValueError:
        msg = f"{args.order_id!r} is not an order id (a UUID, as place-order prints)"
        raise ConfigurationError(msg) from None
    database = chosen_database(args)
    with open_for_commands(system, Orders, database) as orders:
        try:
            details = orders.get_order(order_id)
        except AggregateNotFoundError:
            say(f"error: no order {order_id} in {database.display()}")
            return EXIT_FAILED
    for field, value in vars(details).items():
        print(f"{field}: {value if value is not None else '-'}")
    return EXIT_OK


def run_one_worker(args: argparse.Namespace) -> int:
    database = chosen_database(args)
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
    rows = system_status(system, chosen_database(args))
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        print(format_status(rows))
    return EXIT_OK


COMMANDS = {
    "demo": run_demo,
    "run": run_system,
    "place-order": place_order,
    "show-order": show_order,
    "worker": run_one_worker,
    "status": show_status,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM stops a demo as Ctrl-C does: runners stop their workers on the way out.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return COMMANDS[args.command](args)
    except ConfigurationError as error:
        say(f"{parser.prog}: error: {error}")
        return EXIT_USAGE
    except (EventProcessingFailed, WorkerFailed) as error:
        say(f"{parser.prog}: error: {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        say(f"{parser.prog}: interrupted")
        return EXIT_INTERRUPTED
