"""The runtime with any System: one OS process per follower, on both shared
databases; exactly-once under SIGKILL; clear failures; one instance per
follower; clean stops and no orphans. Nothing here depends on the example."""

import time
from collections.abc import Iterator

import pytest
from eventsourcing.system import System

from {{ cookiecutter.package_name }}.runtime import Database
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.runtime.multiprocess import (
    MultiProcessRunner,
    WorkerFailed,
)
from {{ cookiecutter.package_name }}.runtime.status import system_status
from {{ cookiecutter.package_name }}.system import system

from .conftest import (
    children_of,
    finish,
    is_alive,
    killing_workers,
    run_script,
    wait_until,
)
from .topologies import (
    POISON_VARIABLE,
    Copier,
    FirstCopier,
    LeftCopier,
    Notebook,
    RightCopier,
    SecondCopier,
    chain,
    fan_out,
)


@pytest.fixture
def start_runner() -> Iterator[list[MultiProcessRunner]]:
    started: list[MultiProcessRunner] = []
    yield started
    for runner in started:
        runner.stop()


def started(
    runners: list[MultiProcessRunner],
    system: System,
    database: Database,
    *,
    restart: bool = False,
) -> MultiProcessRunner:
    runner = MultiProcessRunner(system, database, poll_interval=0.2, restart=restart)
    runner.start()
    runners.append(runner)
    return runner


@pytest.mark.usefixtures("importable_tests")
def test_a_fan_out_system_runs_one_process_per_follower(
    shared_database: Database, start_runner: list[MultiProcessRunner]
) -> None:
    runner = started(start_runner, fan_out, shared_database)
    pids = {name: worker.pid for name, worker in runner.workers.items()}
    assert set(pids) == {"LeftCopier", "RightCopier"}
    assert all(pid and is_alive(pid) for pid in pids.values())
    assert len(set(pids.values())) == 2
    notebook = runner.get(Notebook)
    for text in ("a", "b", "c"):
        notebook.write(text)
    left, right = runner.get(LeftCopier), runner.get(RightCopier)
    wait_until(lambda: left.copies_made() == 3 and right.copies_made() == 3)


@pytest.mark.usefixtures("importable_tests")
def test_a_chain_of_three_passes_events_along(
    shared_database: Database, start_runner: list[MultiProcessRunner]
) -> None:
    runner = started(start_runner, chain, shared_database)
    for text in ("x", "y"):
        runner.get(Notebook).write(text)
    second = runner.get(SecondCopier)
    wait_until(lambda: second.copies_made() == 2)
    assert runner.get(FirstCopier).copies_made() == 2


@pytest.mark.usefixtures("importable_tests")
def test_a_chain_processes_each_event_once_while_workers_are_killed(
    shared_database: Database, start_runner: list[MultiProcessRunner]
) -> None:
    runner = started(start_runner, chain, shared_database, restart=True)
    notebook = runner.get(Notebook)
    with killing_workers(runner, times=3, every=0.8, seed=11) as killed:
        for index in range(80):
            notebook.write(f"note {index}")
            time.sleep(0.02)
    second = runner.get(SecondCopier)
    wait_until(lambda: second.copies_made() == 80, timeout=180)
    runner.stop()
    # One copy per note, per copier: the copies' ids derive from their sources,
    # so a second processing could only have failed, and every position matches.
    assert len(killed) >= 2
    assert runner.get(FirstCopier).copies_made() == 80
    assert [row.lag for row in system_status(chain, shared_database)] == [0, 0]


@pytest.mark.usefixtures("importable_tests")
def test_a_failing_policy_stops_its_worker_naming_the_event_and_resumes_there(
    shared_database: Database,
    start_runner: list[MultiProcessRunner],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(POISON_VARIABLE, "poison")
    runner = started(start_runner, fan_out, shared_database)
    for text in ("fine", "poison", "after"):
        runner.get(Notebook).write(text)
    wait_until(lambda: runner.failure is not None)
    with pytest.raises(WorkerFailed) as failure:
        runner.check()
    message = str(failure.value)
    assert "Copier failed to process notification 2 from Notebook" in message
    assert "topologies:Note.Written" in message
    assert "RuntimeError: cannot copy 'poison'" in message
    runner.stop()

    # Nothing was skipped: with the bug fixed, processing resumes at that event.
    monkeypatch.delenv(POISON_VARIABLE)
    with open_for_commands(fan_out, LeftCopier, shared_database) as left:
        assert left.copies_made() <= 1
    fixed = started(start_runner, fan_out, shared_database)
    copiers: list[Copier] = [fixed.get(LeftCopier), fixed.get(RightCopier)]
    wait_until(lambda: all(c.copies_made() == 3 for c in copiers))


def test_a_second_instance_of_a_follower_is_refused_with_one_line(
    shared_database: Database,
) -> None:
    name = system.followers[0]
    first = run_script("worker", name, database=shared_database)
    try:
        assert first.stderr is not None
        assert f"{name}: following" in first.stderr.readline()
        code, _, err = finish(run_script("worker", name, database=shared_database))
        assert code == 2
        assert f"{name} is already being processed by another process" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        first.terminate()
        assert first.wait(timeout=30) == 0


def test_a_second_supervisor_on_the_same_database_is_refused_with_one_line(
    shared_database: Database,
) -> None:
    first = run_script("run", "--runner", "multiprocess", database=shared_database)
    try:
        assert first.stderr is not None
        said = ""
        while "running with runner multiprocess" not in said:
            said = first.stderr.readline()
            assert said, "the first supervisor ended before it was running"
        second = run_script("run", "--runner", "multiprocess", database=shared_database)
        code, _, err = finish(second)
        assert code == 2
        assert "is already being processed by another process" in err
        assert len(err.strip().splitlines()) == 1, err
    finally:
        first.terminate()
        assert finish(first)[0] == 0


def test_workers_exit_when_the_supervisor_is_killed(shared_database: Database) -> None:
    supervisor = run_script("run", "--runner", "multiprocess", database=shared_database)
    expected = len(system.followers)
    wait_until(lambda: len(children_of(supervisor.pid)) == expected)
    workers = children_of(supervisor.pid)
    supervisor.kill()
    supervisor.wait()
    wait_until(lambda: not any(is_alive(pid) for pid in workers), timeout=15)


def test_sigterm_stops_the_supervisor_and_its_workers_promptly(
    shared_database: Database,
) -> None:
    supervisor = run_script("run", "--runner", "multiprocess", database=shared_database)
    expected = len(system.followers)
    assert supervisor.stderr is not None
    said = ""
    while "running with runner multiprocess" not in said:  # start() waits for workers
        said = supervisor.stderr.readline()
        assert said, "the supervisor ended before it was running"
    workers = children_of(supervisor.pid)
    assert len(workers) == expected
    supervisor.terminate()
    code, _, err = finish(supervisor, timeout=15)
    assert code == 0, err
    assert not any(is_alive(pid) for pid in workers)
    assert err.count(": stopped") == expected
