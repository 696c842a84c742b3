"""Payments taken (or declined) for orders."""

from decimal import Decimal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Payment(Aggregate):
    """One payment for one order.

    Its id is derived from the order id, so an order can never be charged twice.
    Its outcomes carry the order id, so the order's service needs no lookup.
    """

    class Requested(Aggregate.Created):
        order_id: UUID
        amount: Decimal

    class Taken(Aggregate.Event):
        order_id: UUID

    class Declined(Aggregate.Event):
        order_id: UUID
        reason: str

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return uuid5(order_id, "payment")

    @event(Requested)
    def __init__(self, order_id: UUID, amount: Decimal) -> None:
        self.order_id = order_id
        self.amount = amount
        self.status = "requested"
        self.reason = ""

    def take(self) -> None:
        self._take(self.order_id)

    def decline(self, reason: str) -> None:
        self._decline(self.order_id, reason)

    @event(Taken)
    def _take(self, order_id: UUID) -> None:
        self.status = "taken"

    @event(Declined)
    def _decline(self, order_id: UUID, reason: str) -> None:
        self.status = "declined"
        self.reason = reason
