"""The aggregate, on its own: no database, no runner."""

from {{ cookiecutter.package_name }}.domain.tasks import Task


def test_a_new_task_is_not_triaged() -> None:
    task = Task(title="water the plants")
    assert (task.status, task.is_triaged) == ("new", False)
    assert [type(e) for e in task.collect_events()] == [Task.Added]


def test_triage_records_a_priority() -> None:
    task = Task(title="fix the roof!")
    task.triage("urgent")
    assert (task.status, task.priority, task.is_triaged) == ("triaged", "urgent", True)
