"""Tasks: takes tasks, and triages each one by its own policy."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod

from ..domain.tasks import Task
from .base import Service


@dataclass(frozen=True)
class TaskDetails:
    """What a caller may see of a task."""

    id: UUID
    title: str
    status: str
    priority: str
    is_triaged: bool


class Tasks(Service):
    """A process application that follows itself: a command records a task, and
    the policy, run by whichever runner is deployed, triages it."""

    def add_task(self, title: str) -> UUID:
        if not title.strip():
            msg = "title must not be blank"
            raise ValueError(msg)
        task = Task(title=title)
        self.save(task)
        return task.id

    def get_task(self, task_id: UUID) -> TaskDetails:
        task: Task = self.repository.get(task_id)
        return TaskDetails(
            id=task.id,
            title=task.title,
            status=task.status,
            priority=task.priority,
            is_triaged=task.is_triaged,
        )

    @singledispatchmethod
    def policy(
        self, domain_event: Any, processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Events of other types are not this service's business."""

    @policy.register(Task.Added)
    def _triage(
        self, domain_event: Task.Added, processing: ProcessingEvent[UUID]
    ) -> None:
        task: Task = self.repository.get(domain_event.originator_id)
        task.triage("urgent" if domain_event.title.endswith("!") else "normal")
        processing.collect_events(task)
