"""What every service in this system has in common."""

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.system import ProcessApplication
from eventsourcing.utils import get_topic


class Service(ProcessApplication[UUID]):
    """A process application that receives only the events its policy handles.

    Register a handler with ``@policy.register(SomeAggregate.SomeEvent)`` and the
    event type is added to ``topics``, so the notification log is filtered in the
    database instead of every event being loaded, decoded and ignored.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        policy = cls.__dict__.get("policy")
        if isinstance(policy, singledispatchmethod):
            handled = [t for t in policy.dispatcher.registry if t is not object]
            cls.topics = [get_topic(t) for t in handled]
