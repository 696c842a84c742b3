"""The multi-process runner: one OS process per follower, any System, both
shared databases, exactly-once under SIGKILL, clear failures, no orphans."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification
from eventsourcing.system import System

from {{ cookiecutter.package_name }}.runtime import Database
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.runtime.multiprocess import (
    MultiProcessRunner,
    WorkerFailed,
)
from {{ cookiecutter.package_name }}.runtime.status import system_status
from {{ cookiecutter.package_name }}.services.inventory import Inventory
from {{ cookiecutter.package_name }}.services.orders import Orders
from {{ cookiecutter.package_name }}.services.payments import Payments
from {{ cookiecutter.package_name }}.system import system

from .conftest import wait_until
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

PACKAGE = "{{ cookiecutter.package_name }}"


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
    **options: object,
) -> MultiProcessRunner:
    runner = MultiProcessRunner(system, database, poll_interval=0.2, **options)  # type: ignore[arg-type]
    runner.start()
    runners.append(runner)
    return runner


def children_of(pid: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.add(int(stat.parent.name))
    return children


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


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


def test_every_saga_completes_exactly_once_while_workers_are_killed(
    shared_database: Database, start_runner: list[MultiProcessRunner]
) -> None:
    runner = started(start_runner, system, shared_database, restart=True)
    orders = runner.get(Orders)
    placed: list[UUID] = []
    killed: list[str] = []

    def kill_workers() -> None:
        chooser = random.Random(7)
        for _ in range(4):
            time.sleep(0.7)
            name = chooser.choice(list(runner.workers))
            pid = runner.workers[name].pid
            if pid and is_alive(pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(name)

    killer = threading.Thread(target=kill_workers)
    killer.start()
    try:
        for index in range(60):
            item = "unobtainium" if index % 5 == 4 else "widget"
            price = Decimal("5000") if index % 7 == 6 else Decimal("1")
            placed.append(orders.place_order(item, 1, price))
            time.sleep(0.03)
    finally:
        killer.join()
    assert len(killed) >= 3
    wait_until(lambda: all(orders.get_order(i).is_final for i in placed), timeout=180)
    assert sum(worker.restarts for worker in runner.workers.values()) == len(killed)
    runner.stop()

    # Read the verdict from the database: one reservation and at most one payment
    # per order, every order's events exactly as its outcome implies.
    statuses = Counter(orders.get_order(i).status for i in placed)
    assert statuses == {"paid": 41, "rejected": 12, "cancelled": 7}
    expected_events = {"paid": 3, "rejected": 2, "cancelled": 3}
    with (
        open_for_commands(system, Orders, shared_database) as orders_app,
        open_for_commands(system, Inventory, shared_database) as inventory,
        open_for_commands(system, Payments, shared_database) as payments,
    ):
        order_events = Counter(n.originator_id for n in all_notifications(orders_app))
        for order_id in placed:
            status = orders_app.get_order(order_id).status
            assert order_events[order_id] == expected_events[status]
        reservation_requests = topics_count(inventory, "Reservation.Requested")
        payment_requests = topics_count(payments, "Payment.Requested")
        assert reservation_requests == len(placed)
        assert payment_requests == statuses["paid"] + statuses["cancelled"]
        taken = Inventory.opening_stock["widget"] - inventory.stock_on_hand("widget")
        assert taken == statuses["paid"]
    assert all(row.lag == 0 for row in system_status(system, shared_database))


def all_notifications(app: Orders | Inventory | Payments) -> Sequence[Notification]:
    return app.recorder.select_notifications(start=None, limit=1_000_000)


def topics_count(app: Inventory | Payments, suffix: str) -> int:
    return sum(1 for n in all_notifications(app) if n.topic.endswith(suffix))


def run_script(*args: str, database: Database) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database.url}
    return subprocess.Popen(
        [sys.executable, "-m", PACKAGE, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(
    process: subprocess.Popen[str], timeout: float = 120
) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.mark.parametrize("runner_name", ["single", "multiprocess"])
def test_an_order_placed_from_another_shell_is_processed_by_a_running_system(
    runner_name: str, shared_database: Database
) -> None:
    running = run_script(
        "run",
        "--runner",
        runner_name,
        "--poll-interval",
        "0.2",
        database=shared_database,
    )
    try:
        code, out, err = finish(run_script("place-order", database=shared_database))
        assert code == 0, err
        order_id = out.strip()

        def order_is_paid() -> bool:
            shown = finish(run_script("show-order", order_id, database=shared_database))
            return "status: paid" in shown[1]

        wait_until(order_is_paid)
        code, out, err = finish(
            run_script("status", "--json", database=shared_database)
        )
        assert code == 0, err
        import json

        rows = json.loads(out)
        assert {(r["leader"], r["follower"]) for r in rows} == set(system.edges)
        assert all(r["lag"] == 0 and r["leader_position"] > 0 for r in rows)
    finally:
        running.send_signal(signal.SIGINT)
        code, _, err = finish(running, timeout=30)
    assert code == 0, err


def test_a_second_instance_of_a_follower_is_refused_with_one_line(
    shared_database: Database,
) -> None:
    first = run_script("worker", "Inventory", database=shared_database)
    try:
        assert first.stderr is not None
        assert "Inventory: following Orders" in first.stderr.readline()
        code, _, err = finish(
            run_script("worker", "Inventory", database=shared_database)
        )
        assert code == 2
        assert "Inventory is already being processed by another process" in err
        assert len(err.strip().splitlines()) == 1
    finally:
        first.terminate()
        assert first.wait(timeout=30) == 0


def test_workers_exit_when_the_supervisor_is_killed(shared_database: Database) -> None:
    supervisor = run_script("run", "--runner", "multiprocess", database=shared_database)
    wait_until(lambda: len(children_of(supervisor.pid)) == 3)
    workers = children_of(supervisor.pid)
    supervisor.kill()
    supervisor.wait()
    wait_until(lambda: not any(is_alive(pid) for pid in workers), timeout=15)


def test_sigterm_stops_the_supervisor_and_its_workers_promptly(
    shared_database: Database,
) -> None:
    supervisor = run_script("run", "--runner", "multiprocess", database=shared_database)
    wait_until(lambda: len(children_of(supervisor.pid)) == 3)
    workers = children_of(supervisor.pid)
    time.sleep(1.0)  # let them settle into waiting for events
    supervisor.terminate()
    code, _, err = finish(supervisor, timeout=15)
    assert code == 0, err
    assert not any(is_alive(pid) for pid in workers)
    assert err.count("stopped") >= 3
