"""The whole order saga, end to end: under every runner on every database,
from other processes, and exactly once while workers are killed."""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from {{ cookiecutter.package_name }}.runtime import Database, make_runner
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.runtime.multiprocess import MultiProcessRunner
from {{ cookiecutter.package_name }}.runtime.runners import SystemRunner
from {{ cookiecutter.package_name }}.runtime.status import system_status
from {{ cookiecutter.package_name }}.services.inventory import Inventory
from {{ cookiecutter.package_name }}.services.orders import OrderDetails, Orders
from {{ cookiecutter.package_name }}.services.payments import Payments
from {{ cookiecutter.package_name }}.system import system

from .conftest import (
    finish,
    killing_workers,
    run_script,
    running_system,
    wait_until,
)

# Every way the system can be deployed: the in-memory store lives in one process.
DEPLOYMENTS = [
    ("single", "memory"),
    ("single", "sqlite"),
    ("single", "postgresql"),
    ("multiprocess", "sqlite"),
    ("multiprocess", "postgresql"),
]
SHARED = [d for d in DEPLOYMENTS if d[1] != "memory"]


def start_runner(request: pytest.FixtureRequest) -> Iterator[SystemRunner]:
    runner_name, store = request.param
    database: Database = request.getfixturevalue(f"{store}_database")
    runner = make_runner(runner_name, system, database, poll_interval=0.2)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()


@pytest.fixture(params=DEPLOYMENTS, ids="-".join)
def runner(request: pytest.FixtureRequest) -> Iterator[SystemRunner]:
    yield from start_runner(request)


@pytest.fixture(params=SHARED, ids="-".join)
def shared_runner(request: pytest.FixtureRequest) -> Iterator[SystemRunner]:
    yield from start_runner(request)


def saga_of(runner: SystemRunner, order_id: UUID) -> OrderDetails:
    orders = runner.get(Orders)

    def saga_has_ended() -> bool:
        runner.check()
        return orders.get_order(order_id).is_final

    wait_until(saga_has_ended)
    return orders.get_order(order_id)


def test_an_order_in_stock_is_reserved_and_paid(runner: SystemRunner) -> None:
    order_id = runner.get(Orders).place_order("widget", 2, Decimal("20.00"))
    order = saga_of(runner, order_id)
    assert order.status == "paid"
    assert order.reservation_id is not None
    assert order.payment_id is not None


def test_an_order_for_an_item_out_of_stock_is_rejected(runner: SystemRunner) -> None:
    order_id = runner.get(Orders).place_order("unobtainium", 1, Decimal("1.00"))
    order = saga_of(runner, order_id)
    assert (order.status, order.payment_id) == ("rejected", None)
    assert "out of stock" in order.reason


def test_a_declined_payment_cancels_the_order_and_puts_stock_back(
    runner: SystemRunner,
) -> None:
    inventory = runner.get(Inventory)
    first = saga_of(runner, runner.get(Orders).place_order("gizmo", 1, Decimal(1)))
    assert first.status == "paid"
    on_hand = inventory.stock_on_hand("gizmo")
    order_id = runner.get(Orders).place_order("gizmo", 4, Decimal("5000.00"))
    order = saga_of(runner, order_id)
    assert order.status == "cancelled"
    assert "declined" in order.reason
    wait_until(lambda: inventory.get_reservation(order_id).status == "released")
    assert inventory.stock_on_hand("gizmo") == on_hand


def test_orders_placed_elsewhere_are_processed(shared_runner: SystemRunner) -> None:
    runner = shared_runner
    database = runner.database
    stop = threading.Event()
    serving = threading.Thread(target=runner.serve, args=(stop.is_set,))
    serving.start()
    try:
        # Another application instance, as another process or host would have.
        with open_for_commands(system, Orders, database) as elsewhere:
            order_id = elsewhere.place_order("widget", 1, Decimal(1))
            wait_until(lambda: elsewhere.get_order(order_id).status == "paid")
    finally:
        stop.set()
        serving.join()


def test_every_saga_completes_exactly_once_while_workers_are_killed(
    shared_database: Database,
) -> None:
    runner = MultiProcessRunner(
        system, shared_database, poll_interval=0.2, restart=True
    )
    runner.start()
    orders = runner.get(Orders)
    placed: list[UUID] = []
    try:
        with killing_workers(runner, times=4, every=0.7, seed=7) as killed:
            for index in range(60):
                item = "unobtainium" if index % 5 == 4 else "widget"
                price = Decimal("5000") if index % 7 == 6 else Decimal("1")
                placed.append(orders.place_order(item, 1, price))
                time.sleep(0.03)
        assert len(killed) >= 3
        wait_until(
            lambda: all(orders.get_order(i).is_final for i in placed), timeout=180
        )
        # A cancelled order is final before Inventory puts its stock back (a
        # restarted worker may still be on its way): let every follower catch up.
        wait_until(
            lambda: all(row.lag == 0 for row in system_status(system, shared_database)),
            timeout=180,
        )
        assert sum(worker.restarts for worker in runner.workers.values()) == len(killed)
        # An order is final before Inventory has put back a cancelled order's
        # stock: wait until every follower has processed everything.
        wait_until(
            lambda: all(r.lag == 0 for r in system_status(system, shared_database))
        )
    finally:
        runner.stop()

    # Read the verdict from the database: one reservation and at most one payment
    # per order, every order's events exactly as its outcome implies.
    with (
        open_for_commands(system, Orders, shared_database) as orders_app,
        open_for_commands(system, Inventory, shared_database) as inventory,
        open_for_commands(system, Payments, shared_database) as payments,
    ):
        statuses = Counter(orders_app.get_order(i).status for i in placed)
        assert statuses == {"paid": 41, "rejected": 12, "cancelled": 7}
        expected_events = {"paid": 3, "rejected": 2, "cancelled": 3}
        order_events = Counter(n.originator_id for n in all_notifications(orders_app))
        for order_id in placed:
            status = orders_app.get_order(order_id).status
            assert order_events[order_id] == expected_events[status]
        reservation_requests = topics_count(inventory, "Reservation.Requested")
        payment_requests = topics_count(payments, "Payment.Requested")
        assert reservation_requests == len(placed)
        assert payment_requests == statuses["paid"] + statuses["cancelled"]
        taken = Inventory.opening_stock["widget"] - inventory.stock_on_hand("widget")
        assert taken == statuses["paid"]
    assert all(row.lag == 0 for row in system_status(system, shared_database))


def all_notifications(app: Orders | Inventory | Payments) -> Sequence[Notification]:
    return app.recorder.select_notifications(start=None, limit=1_000_000)


def topics_count(app: Inventory | Payments, suffix: str) -> int:
    return sum(1 for n in all_notifications(app) if n.topic.endswith(suffix))


@pytest.mark.parametrize("runner_name", ["single", "multiprocess"])
def test_an_order_placed_from_another_shell_is_processed_by_a_running_system(
    runner_name: str, shared_database: Database
) -> None:
    with running_system(runner_name, shared_database):
        code, out, err = finish(run_script("place-order", database=shared_database))
        assert code == 0, err
        order_id = out.strip()

        def order_is_paid() -> bool:
            shown = finish(run_script("show-order", order_id, database=shared_database))
            return "status: paid" in shown[1]

        wait_until(order_is_paid)
        code, out, err = finish(
            run_script("status", "--json", database=shared_database)
        )
        assert code == 0, err
        rows = json.loads(out)
        assert {(r["leader"], r["follower"]) for r in rows} == set(system.edges)
        assert all(r["lag"] == 0 and r["leader_position"] > 0 for r in rows)
