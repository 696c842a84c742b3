"""Stock levels, and the stock held for each order."""

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class OutOfStockError(Exception):
    """There is not enough stock of an item to hold for an order."""


class Stock(Aggregate):
    """How many units of one item are on hand. Its id is derived from the item."""

    class Opened(Aggregate.Created):
        item: str
        quantity: int

    class Taken(Aggregate.Event):
        quantity: int

    class Returned(Aggregate.Event):
        quantity: int

    @staticmethod
    def create_id(item: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/stock/{item}")

    @event(Opened)
    def __init__(self, item: str, quantity: int) -> None:
        self.item = item
        self.on_hand = quantity

    def take(self, quantity: int) -> None:
        if quantity > self.on_hand:
            msg = f"out of stock: {quantity} x {self.item} wanted, {self.on_hand} left"
            raise OutOfStockError(msg)
        self._take(quantity)

    @event(Taken)
    def _take(self, quantity: int) -> None:
        self.on_hand -= quantity

    @event(Returned)
    def put_back(self, quantity: int) -> None:
        self.on_hand += quantity


class Reservation(Aggregate):
    """Stock held for one order.

    Its id is derived from the order id, so however often an order is seen it
    has at most one reservation: a second would conflict at version 1.
    Its decisions carry the order id, so the order's service needs no lookup.
    """

    class Requested(Aggregate.Created):
        order_id: UUID
        item: str
        quantity: int

    class Confirmed(Aggregate.Event):
        order_id: UUID

    class Refused(Aggregate.Event):
        order_id: UUID
        reason: str

    class Released(Aggregate.Event):
        order_id: UUID
        reason: str

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return uuid5(order_id, "reservation")

    @event(Requested)
    def __init__(self, order_id: UUID, item: str, quantity: int) -> None:
        self.order_id = order_id
        self.item = item
        self.quantity = quantity
        self.status = "requested"
        self.reason = ""

    def confirm(self) -> None:
        self._confirm(self.order_id)

    def refuse(self, reason: str) -> None:
        self._refuse(self.order_id, reason)

    def release(self, reason: str) -> None:
        self._release(self.order_id, reason)

    @event(Confirmed)
    def _confirm(self, order_id: UUID) -> None:
        self.status = "reserved"

    @event(Refused)
    def _refuse(self, order_id: UUID, reason: str) -> None:
        self.status = "refused"
        self.reason = reason

    @event(Released)
    def _release(self, order_id: UUID, reason: str) -> None:
        self.status = "released"
        self.reason = reason
