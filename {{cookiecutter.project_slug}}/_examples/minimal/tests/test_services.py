"""The service on its own: its command, its query, and what its policy does."""

import pytest
from eventsourcing.persistence import Tracking

from {{ cookiecutter.package_name }}.domain.tasks import Task
from {{ cookiecutter.package_name }}.services.tasks import Tasks

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def test_add_task_records_a_new_task() -> None:
    tasks = Tasks(env=IN_MEMORY)
    task_id = tasks.add_task("water the plants")
    assert tasks.get_task(task_id).status == "new"


def test_add_task_refuses_a_blank_title() -> None:
    with pytest.raises(ValueError, match="title must not be blank"):
        Tasks(env=IN_MEMORY).add_task("  ")


@pytest.mark.parametrize(
    ("title", "priority"), [("fix it!", "urgent"), ("tidy", "normal")]
)
def test_the_policy_triages_each_added_task(title: str, priority: str) -> None:
    tasks = Tasks(env=IN_MEMORY)
    task_id = tasks.add_task(title)
    # Hand the policy the event the command recorded, as a runner would.
    event = tasks.mapper.to_domain_event(
        tasks.recorder.select_notifications(start=None, limit=1)[0]
    )
    assert isinstance(event, Task.Added)
    tasks.process_event(event, Tracking("Tasks", 1))
    details = tasks.get_task(task_id)
    assert (details.status, details.priority) == ("triaged", priority)
