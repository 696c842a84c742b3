"""A backlog left by a crash is processed when the system next starts."""

from decimal import Decimal

from {{ cookiecutter.package_name }}.runtime import Database, make_runner
from {{ cookiecutter.package_name }}.runtime.applications import open_for_commands
from {{ cookiecutter.package_name }}.services.orders import Orders
from {{ cookiecutter.package_name }}.system import system


def test_the_single_runner_processes_a_backlog_in_a_sqlite_file_when_it_starts(
    sqlite_database: Database,
) -> None:
    # Orders saved, but nothing processed them: exactly what a crash between the
    # leader's commit and the followers' processing leaves behind.
    with open_for_commands(system, Orders, sqlite_database) as orders:
        backlog = [orders.place_order("widget", 1, Decimal(1)) for _ in range(3)]
        assert {orders.get_order(i).status for i in backlog} == {"placed"}

    runner = make_runner("single", system, sqlite_database)
    runner.start()  # no new write: starting alone must do it
    try:
        statuses = {runner.get(Orders).get_order(i).status for i in backlog}
    finally:
        runner.stop()
    assert statuses == {"paid"}


def test_a_second_run_on_the_same_file_adds_to_the_first(
    sqlite_database: Database,
) -> None:
    for run in (1, 2):
        runner = make_runner("single", system, sqlite_database)
        runner.start()
        try:
            order_id = runner.get(Orders).place_order("gadget", 1, Decimal(run))
            assert runner.get(Orders).get_order(order_id).status == "paid"
        finally:
            runner.stop()
    with open_for_commands(system, Orders, sqlite_database) as orders:
        assert orders.recorder.max_notification_id() == 2 * 3  # 3 order events a run
