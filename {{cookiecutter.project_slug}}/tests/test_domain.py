"""The aggregates, on their own: no database, no runner."""

from decimal import Decimal
from uuid import uuid4

import pytest

from {{ cookiecutter.package_name }}.domain.inventory import (
    OutOfStockError,
    Reservation,
    Stock,
)
from {{ cookiecutter.package_name }}.domain.orders import Order
from {{ cookiecutter.package_name }}.domain.payments import Payment


def test_a_new_order_is_placed_and_not_final() -> None:
    order = Order(item="widget", quantity=2, amount=Decimal("9.99"))
    assert order.status == "placed"
    assert not order.is_final
    assert [type(e) for e in order.collect_events()] == [Order.Placed]


def test_an_order_records_each_step_of_its_saga() -> None:
    order = Order(item="widget", quantity=1, amount=Decimal("5"))
    reservation_id, payment_id = uuid4(), uuid4()
    order.record_reservation(reservation_id)
    order.record_payment(payment_id)
    assert (order.status, order.reservation_id, order.payment_id) == (
        "paid",
        reservation_id,
        payment_id,
    )
    assert order.is_final
    events = order.collect_events()
    assert isinstance(events[1], Order.StockReserved)
    assert events[1].amount == Decimal("5")  # what the payment service needs


def test_rejected_and_cancelled_orders_are_final_and_say_why() -> None:
    rejected = Order(item="x", quantity=1, amount=Decimal(1))
    rejected.reject("out of stock")
    cancelled = Order(item="x", quantity=1, amount=Decimal(1))
    cancelled.cancel("declined")
    assert (rejected.status, rejected.reason, rejected.is_final) == (
        "rejected",
        "out of stock",
        True,
    )
    assert (cancelled.status, cancelled.reason, cancelled.is_final) == (
        "cancelled",
        "declined",
        True,
    )


def test_stock_is_taken_and_put_back() -> None:
    stock = Stock(item="widget", quantity=5)
    stock.take(3)
    stock.put_back(1)
    assert stock.on_hand == 3


def test_stock_refuses_more_than_is_on_hand() -> None:
    stock = Stock(item="widget", quantity=1)
    with pytest.raises(OutOfStockError, match="2 x widget wanted, 1 left"):
        stock.take(2)
    assert stock.on_hand == 1


def test_stock_ids_come_from_the_item() -> None:
    assert Stock(item="widget", quantity=1).id == Stock.create_id("widget")
    assert Stock.create_id("widget") != Stock.create_id("gadget")


def test_reservation_and_payment_ids_come_from_the_order_id() -> None:
    order_id = uuid4()
    first = Reservation(order_id=order_id, item="widget", quantity=1)
    again = Reservation(order_id=order_id, item="widget", quantity=1)
    assert first.id == again.id == Reservation.create_id(order_id)
    assert Payment(order_id=order_id, amount=Decimal(1)).id == Payment.create_id(
        order_id
    )
    assert Payment.create_id(order_id) != Reservation.create_id(order_id)


def test_decisions_carry_the_order_id() -> None:
    order_id = uuid4()
    reservation = Reservation(order_id=order_id, item="widget", quantity=1)
    reservation.refuse("none left")
    payment = Payment(order_id=order_id, amount=Decimal(1))
    payment.take()
    refused = reservation.collect_events()[-1]
    taken = payment.collect_events()[-1]
    assert isinstance(refused, Reservation.Refused)
    assert isinstance(taken, Payment.Taken)
    assert refused.order_id == taken.order_id == order_id
