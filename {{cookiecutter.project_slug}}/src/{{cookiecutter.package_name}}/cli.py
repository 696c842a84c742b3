"""The run script: the order saga's commands, plus those every System has.

Every command takes ``--database`` and ``--runner``; settings come from the
command line, else from the environment (``DATABASE_URL``, ``SYSTEM_RUNNER``),
else from ``settings.py``.
"""

import argparse
import sys
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from .bench import add_bench_arguments, run_bench
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
from .runtime.runners import SystemRunner
from .services.orders import OrderDetails, Orders
from .settings import DEFAULTS
from .system import system


def amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        msg = f"{text!r} is not an amount"
        raise argparse.ArgumentTypeError(msg) from None
    if not value.is_finite() or value < 0:
        msg = f"{text!r} must be zero or more"
        raise argparse.ArgumentTypeError(msg)
    return value


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
    runner_name = chosen_runner(args, DEFAULTS)
    database = chosen_database(args, DEFAULTS)
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
    details = {order_id: orders.get_order(order_id) for order_id in order_ids}

    def count_final() -> int:
        for order_id, known in details.items():
            if not known.is_final:
                details[order_id] = orders.get_order(order_id)
        return sum(d.is_final for d in details.values())

    wait_with_progress(
        runner.check, count_final, len(order_ids), what="sagas", timeout=timeout
    )
    return [details[order_id] for order_id in order_ids]


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
    return format_table(
        header,
        [
            (
                short(d.id),
                d.item,
                d.quantity,
                d.amount,
                d.status,
                short(d.reservation_id),
                short(d.payment_id),
                d.reason,
            )
            for d in rows
        ],
    )


def place_order(args: argparse.Namespace) -> int:
    database = chosen_database(args, DEFAULTS)
    with open_for_commands(system, Orders, database) as orders:
        try:
            order_id = orders.place_order(args.item, args.quantity, args.amount)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
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
    database = chosen_database(args, DEFAULTS)
    with open_for_commands(system, Orders, database) as orders:
        try:
            details = orders.get_order(order_id)
        except AggregateNotFoundError:
            say(f"error: no order {order_id} in {database.display()}")
            return EXIT_FAILED
    for field, value in vars(details).items():
        print(f"{field}: {value if value is not None else '-'}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands, common = new_parser(
        "Run the order saga, in one process or one process per service.", DEFAULTS
    )
    handlers = add_system_commands(commands, common, system, DEFAULTS)

    demo = commands.add_parser(
        "demo", parents=[common], help="place orders and show how each saga ends"
    )
    demo.add_argument("--orders", type=positive_int, default=10, metavar="N")
    demo.add_argument("--timeout", type=seconds, default=120.0, metavar="SECONDS")
    handlers["demo"] = run_demo

    place = commands.add_parser("place-order", parents=[common], help="place one order")
    place.add_argument("--item", default="widget")
    place.add_argument("--quantity", type=positive_int, default=1)
    place.add_argument("--amount", type=amount, default=Decimal("10.00"))
    handlers["place-order"] = place_order

    show = commands.add_parser("show-order", parents=[common], help="show one order")
    show.add_argument("order_id", metavar="ORDER_ID")
    handlers["show-order"] = show_order

    bench = commands.add_parser(
        "bench", help="measure sagas per second and latency under each runner"
    )
    add_bench_arguments(bench)
    handlers["bench"] = run_bench

    return run_command(parser, handlers, argv)


if __name__ == "__main__":
    sys.exit(main())
