"""Inventory: holds stock for placed orders, and puts it back for cancelled ones."""

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod

from ..domain.inventory import OutOfStockError, Reservation, Stock
from ..domain.orders import Order
from .base import Service


class Inventory(Service):
    #: Stock on hand the first time an item is asked for; other items have none.
    opening_stock: ClassVar[dict[str, int]] = {
        "widget": 1_000_000,
        "gadget": 1_000_000,
        "gizmo": 1_000_000,
    }
    # Every order takes from one Stock, so its events pile up: a snapshot every
    # 20 keeps loading it cheap (replaying them all was half of Inventory's time).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Stock: 20}

    def stock_on_hand(self, item: str) -> int:
        return self._stock(item).on_hand

    def get_reservation(self, order_id: UUID) -> Reservation:
        reservation: Reservation = self.repository.get(Reservation.create_id(order_id))
        return reservation

    def _stock(self, item: str) -> Stock:
        try:
            stock: Stock = self.repository.get(Stock.create_id(item))
        except AggregateNotFoundError:
            stock = Stock(item=item, quantity=self.opening_stock.get(item, 0))
        return stock

    @singledispatchmethod
    def policy(
        self, domain_event: Any, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Events of other types are not this service's business."""

    @policy.register(Order.Placed)
    def _reserve_stock(
        self, domain_event: Order.Placed, processing: ProcessingEvent[UUID]
    ) -> None:
        reservation = Reservation(
            order_id=domain_event.originator_id,
            item=domain_event.item,
            quantity=domain_event.quantity,
        )
        stock = self._stock(domain_event.item)
        try:
            stock.take(domain_event.quantity)
        except OutOfStockError as error:
            reservation.refuse(str(error))
        else:
            reservation.confirm()
        processing.collect_events(stock, reservation)

    @policy.register(Order.Cancelled)
    def _release_stock(
        self, domain_event: Order.Cancelled, processing: ProcessingEvent[UUID]
    ) -> None:
        reservation = self.get_reservation(domain_event.originator_id)
        if reservation.status != "reserved":
            return
        stock = self._stock(reservation.item)
        stock.put_back(reservation.quantity)
        reservation.release(domain_event.reason)
        processing.collect_events(stock, reservation)
