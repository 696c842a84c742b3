"""Which service follows which. Deployment is decided elsewhere (see runtime/).

Orders leads the saga: Inventory and Payments follow Orders, and Orders
follows both of them to record how each saga ends.
"""

from eventsourcing.system import System

from .services.inventory import Inventory
from .services.orders import Orders
from .services.payments import Payments

system = System(
    pipes=[
        [Orders, Inventory, Orders],
        [Orders, Payments, Orders],
    ]
)
