"""Each service on its own: commands, queries, and what its policy does with
an event from another service. In memory; no runner."""

from decimal import Decimal
from itertools import count
from uuid import uuid4

import pytest
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Tracking
from eventsourcing.utils import get_topic

from {{ cookiecutter.package_name }}.domain.inventory import Reservation
from {{ cookiecutter.package_name }}.domain.orders import Order
from {{ cookiecutter.package_name }}.domain.payments import Payment
from {{ cookiecutter.package_name }}.services.inventory import Inventory
from {{ cookiecutter.package_name }}.services.orders import Orders
from {{ cookiecutter.package_name }}.services.payments import Payments

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
positions = count(1)


def deliver(app: Orders | Inventory | Payments, event: DomainEventProtocol) -> None:  # type: ignore[type-arg]
    """Hand the app one upstream event, as a runner would (with a tracking record)."""
    app.process_event(event, Tracking("Upstream", next(positions)))


def placed(item: str = "widget", quantity: int = 1, amount: str = "10") -> Order:
    order = Order(item=item, quantity=quantity, amount=Decimal(amount))
    return order


def test_place_order_saves_a_placed_order() -> None:
    orders = Orders(env=IN_MEMORY)
    order_id = orders.place_order("widget", 2, Decimal("3.50"))
    details = orders.get_order(order_id)
    assert (details.item, details.quantity, details.amount, details.status) == (
        "widget",
        2,
        Decimal("3.50"),
        "placed",
    )


@pytest.mark.parametrize(
    ("item", "quantity", "amount", "message"),
    [
        (" ", 1, "1", "item must not be blank"),
        ("widget", 0, "1", "quantity must be at least 1"),
        ("widget", 1, "-1", "amount must not be negative"),
    ],
)
def test_place_order_refuses_nonsense(
    item: str, quantity: int, amount: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Orders(env=IN_MEMORY).place_order(item, quantity, Decimal(amount))


def test_inventory_reserves_stock_for_a_placed_order() -> None:
    inventory = Inventory(env=IN_MEMORY)
    order = placed(quantity=3)
    deliver(inventory, order.collect_events()[0])
    reservation = inventory.get_reservation(order.id)
    assert (reservation.status, reservation.quantity) == ("reserved", 3)
    assert inventory.stock_on_hand("widget") == Inventory.opening_stock["widget"] - 3


def test_inventory_refuses_an_item_it_does_not_stock() -> None:
    inventory = Inventory(env=IN_MEMORY)
    order = placed(item="unobtainium")
    deliver(inventory, order.collect_events()[0])
    reservation = inventory.get_reservation(order.id)
    assert reservation.status == "refused"
    assert "out of stock" in reservation.reason


def test_inventory_puts_stock_back_when_an_order_is_cancelled() -> None:
    inventory = Inventory(env=IN_MEMORY)
    order = placed(quantity=2)
    order.record_reservation(Reservation.create_id(order.id))
    order.cancel("payment declined")
    placed_event, _, cancelled_event = order.collect_events()
    deliver(inventory, placed_event)
    deliver(inventory, cancelled_event)
    assert inventory.get_reservation(order.id).status == "released"
    assert inventory.stock_on_hand("widget") == Inventory.opening_stock["widget"]


def test_payments_takes_payment_within_the_limit() -> None:
    payments = Payments(env=IN_MEMORY)
    order = placed(amount="99.99")
    order.record_reservation(uuid4())
    deliver(payments, order.collect_events()[1])
    payment = payments.get_payment(order.id)
    assert (payment.status, payment.amount) == ("taken", Decimal("99.99"))


def test_payments_declines_payment_over_the_limit() -> None:
    payments = Payments(env=IN_MEMORY)
    order = placed(amount=str(Payments.card_limit + 1))
    order.record_reservation(uuid4())
    deliver(payments, order.collect_events()[1])
    assert payments.get_payment(order.id).status == "declined"


def test_orders_records_each_outcome() -> None:
    orders = Orders(env=IN_MEMORY)
    order_id = orders.place_order("widget")
    reservation = Reservation(order_id=order_id, item="widget", quantity=1)
    reservation.confirm()
    payment = Payment(order_id=order_id, amount=Decimal(10))
    payment.take()
    deliver(orders, reservation.collect_events()[-1])
    assert orders.get_order(order_id).status == "reserved"
    deliver(orders, payment.collect_events()[-1])
    details = orders.get_order(order_id)
    assert (details.status, details.payment_id, details.is_final) == (
        "paid",
        payment.id,
        True,
    )


def test_a_service_receives_only_the_events_its_policy_handles() -> None:
    assert set(Payments.topics) == {get_topic(Order.StockReserved)}
    assert set(Inventory.topics) == {
        get_topic(Order.Placed),
        get_topic(Order.Cancelled),
    }
