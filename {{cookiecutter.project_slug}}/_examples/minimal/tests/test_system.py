"""The whole system, end to end: under every runner on every database, and
from other processes."""

import json
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.runtime import Database, make_runner
from {{ cookiecutter.package_name }}.runtime.runners import SystemRunner
from {{ cookiecutter.package_name }}.services.tasks import Tasks
from {{ cookiecutter.package_name }}.system import system

from .conftest import finish, run_script, running_system, wait_until

# Every way the system can be deployed: the in-memory store lives in one process.
DEPLOYMENTS = [
    ("single", "memory"),
    ("single", "sqlite"),
    ("single", "postgresql"),
    ("multiprocess", "sqlite"),
    ("multiprocess", "postgresql"),
]


@pytest.fixture(params=DEPLOYMENTS, ids="-".join)
def runner(request: pytest.FixtureRequest) -> Iterator[SystemRunner]:
    runner_name, store = request.param
    database: Database = request.getfixturevalue(f"{store}_database")
    runner = make_runner(runner_name, system, database, poll_interval=0.2)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()


def test_every_added_task_is_triaged(runner: SystemRunner) -> None:
    tasks = runner.get(Tasks)
    urgent = tasks.add_task("fix the roof!")
    normal = tasks.add_task("tidy the shed")

    def both_triaged() -> bool:
        runner.check()
        return tasks.get_task(urgent).is_triaged and tasks.get_task(normal).is_triaged

    wait_until(both_triaged)
    assert tasks.get_task(urgent).priority == "urgent"
    assert tasks.get_task(normal).priority == "normal"


@pytest.mark.parametrize("runner_name", ["single", "multiprocess"])
def test_a_task_added_from_another_shell_is_triaged_by_a_running_system(
    runner_name: str, shared_database: Database
) -> None:
    with running_system(runner_name, shared_database):
        code, out, err = finish(
            run_script("add-task", "call mum!", database=shared_database)
        )
        assert code == 0, err
        task_id = out.strip()

        def task_is_triaged() -> bool:
            shown = finish(run_script("show-task", task_id, database=shared_database))
            return "priority: urgent" in shown[1]

        wait_until(task_is_triaged)
        code, out, err = finish(
            run_script("status", "--json", database=shared_database)
        )
        assert code == 0, err
        assert [row["lag"] for row in json.loads(out)] == [0]
