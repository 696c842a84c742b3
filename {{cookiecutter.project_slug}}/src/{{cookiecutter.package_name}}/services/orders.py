"""Orders: takes orders, and records how each saga ends."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod

from ..domain.inventory import Reservation
from ..domain.orders import Order
from ..domain.payments import Payment
from .base import Service


@dataclass(frozen=True)
class OrderDetails:
    """What a caller may see of an order."""

    id: UUID
    item: str
    quantity: int
    amount: Decimal
    status: str
    reservation_id: UUID | None
    payment_id: UUID | None
    reason: str
    is_final: bool


class Orders(Service):
    def place_order(
        self, item: str, quantity: int = 1, amount: Decimal = Decimal("10.00")
    ) -> UUID:
        if not item.strip():
            msg = "item must not be blank"
            raise ValueError(msg)
        if quantity < 1:
            msg = f"quantity must be at least 1, got {quantity}"
            raise ValueError(msg)
        if amount < 0:
            msg = f"amount must not be negative, got {amount}"
            raise ValueError(msg)
        order = Order(item=item, quantity=quantity, amount=amount)
        self.save(order)
        return order.id

    def get_order(self, order_id: UUID) -> OrderDetails:
        order: Order = self.repository.get(order_id)
        return OrderDetails(
            id=order.id,
            item=order.item,
            quantity=order.quantity,
            amount=order.amount,
            status=order.status,
            reservation_id=order.reservation_id,
            payment_id=order.payment_id,
            reason=order.reason,
            is_final=order.is_final,
        )

    @singledispatchmethod
    def policy(
        self, domain_event: Any, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Events of other types are not this service's business."""

    @policy.register(Reservation.Confirmed)
    def _stock_reserved(
        self, domain_event: Reservation.Confirmed, processing: ProcessingEvent[UUID]
    ) -> None:
        order: Order = self.repository.get(domain_event.order_id)
        order.record_reservation(domain_event.originator_id)
        processing.collect_events(order)

    @policy.register(Reservation.Refused)
    def _stock_refused(
        self, domain_event: Reservation.Refused, processing: ProcessingEvent[UUID]
    ) -> None:
        order: Order = self.repository.get(domain_event.order_id)
        order.reject(domain_event.reason)
        processing.collect_events(order)

    @policy.register(Payment.Taken)
    def _payment_taken(
        self, domain_event: Payment.Taken, processing: ProcessingEvent[UUID]
    ) -> None:
        order: Order = self.repository.get(domain_event.order_id)
        order.record_payment(domain_event.originator_id)
        processing.collect_events(order)

    @policy.register(Payment.Declined)
    def _payment_declined(
        self, domain_event: Payment.Declined, processing: ProcessingEvent[UUID]
    ) -> None:
        order: Order = self.repository.get(domain_event.order_id)
        order.cancel(domain_event.reason)
        processing.collect_events(order)
