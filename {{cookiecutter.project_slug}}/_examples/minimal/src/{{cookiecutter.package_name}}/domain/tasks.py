"""A task: something to do, triaged after it is added."""

from eventsourcing.domain import Aggregate, event


class Task(Aggregate):
    class Added(Aggregate.Created):
        title: str

    class Triaged(Aggregate.Event):
        priority: str

    @event(Added)
    def __init__(self, title: str) -> None:
        self.title = title
        self.status = "new"
        self.priority = ""

    @event(Triaged)
    def triage(self, priority: str) -> None:
        self.priority = priority
        self.status = "triaged"

    @property
    def is_triaged(self) -> bool:
        return self.status == "triaged"
