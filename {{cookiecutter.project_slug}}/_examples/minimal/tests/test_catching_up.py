"""A backlog left by a crash is processed when the system next starts."""

from {{ cookiecutter.package_name }}.runtime import Database, make_runner
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.services.tasks import Tasks
from {{ cookiecutter.package_name }}.system import system


def test_the_single_runner_processes_a_backlog_in_a_sqlite_file_when_it_starts(
    sqlite_database: Database,
) -> None:
    # Tasks saved, but nothing processed them: what a crash would leave behind.
    with open_for_commands(system, Tasks, sqlite_database) as tasks:
        backlog = [tasks.add_task(f"task {i}") for i in range(3)]
    runner = make_runner("single", system, sqlite_database)
    runner.start()  # no new write: starting alone must do it
    try:
        statuses = {runner.get(Tasks).get_task(i).status for i in backlog}
    finally:
        runner.stop()
    assert statuses == {"triaged"}
