"""Payments: charges orders whose stock is reserved."""

from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod

from ..domain.orders import Order
from ..domain.payments import Payment
from .base import Service


class Payments(Service):
    #: Payments above this amount are declined (a stand-in for a card issuer).
    card_limit: ClassVar[Decimal] = Decimal("1000.00")

    def get_payment(self, order_id: UUID) -> Payment:
        payment: Payment = self.repository.get(Payment.create_id(order_id))
        return payment

    @singledispatchmethod
    def policy(
        self, domain_event: Any, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Events of other types are not this service's business."""

    @policy.register(Order.StockReserved)
    def _take_payment(
        self, domain_event: Order.StockReserved, processing: ProcessingEvent[UUID]
    ) -> None:
        payment = Payment(
            order_id=domain_event.originator_id, amount=domain_event.amount
        )
        if domain_event.amount > self.card_limit:
            payment.decline(
                f"payment declined: {domain_event.amount} is over the limit"
            )
        else:
            payment.take()
        processing.collect_events(payment)
