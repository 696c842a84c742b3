"""An order, and how far its saga has got."""

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

#: The statuses in which an order's saga has ended.
FINAL_STATUSES = frozenset({"paid", "rejected", "cancelled"})


class Order(Aggregate):
    """What a customer asked for. Other services decide; the order records."""

    class Placed(Aggregate.Created):
        item: str
        quantity: int
        amount: Decimal

    class StockReserved(Aggregate.Event):
        reservation_id: UUID
        amount: Decimal

    class Rejected(Aggregate.Event):
        reason: str

    class Paid(Aggregate.Event):
        payment_id: UUID

    class Cancelled(Aggregate.Event):
        reason: str

    @event(Placed)
    def __init__(self, item: str, quantity: int, amount: Decimal) -> None:
        self.item = item
        self.quantity = quantity
        self.amount = amount
        self.status = "placed"
        self.reservation_id: UUID | None = None
        self.payment_id: UUID | None = None
        self.reason = ""

    def record_reservation(self, reservation_id: UUID) -> None:
        # The event carries the amount, so the payment service needs no lookup.
        self._record_reservation(reservation_id, self.amount)

    @event(StockReserved)
    def _record_reservation(self, reservation_id: UUID, amount: Decimal) -> None:
        self.reservation_id = reservation_id
        self.status = "reserved"

    @event(Rejected)
    def reject(self, reason: str) -> None:
        self.reason = reason
        self.status = "rejected"

    @event(Paid)
    def record_payment(self, payment_id: UUID) -> None:
        self.payment_id = payment_id
        self.status = "paid"

    @event(Cancelled)
    def cancel(self, reason: str) -> None:
        self.reason = reason
        self.status = "cancelled"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
