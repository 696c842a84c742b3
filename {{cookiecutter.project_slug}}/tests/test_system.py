"""The whole system, end to end, under every runner on every database."""

import threading
from collections.abc import Iterator
from decimal import Decimal
from uuid import UUID

import pytest

from {{ cookiecutter.package_name }}.runtime import Database, make_runner
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.runtime.runners import SystemRunner
from {{ cookiecutter.package_name }}.services.inventory import Inventory
from {{ cookiecutter.package_name }}.services.orders import OrderDetails, Orders
from {{ cookiecutter.package_name }}.system import system

from .conftest import wait_until

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
