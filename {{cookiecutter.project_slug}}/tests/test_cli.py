"""The run script, as a user runs it: a real process, a real SQLite file."""

from pathlib import Path
from uuid import UUID

import pytest

from .conftest import run_to_end

COMMANDS = ["demo", "run", "place-order", "show-order", "worker", "status"]


def test_demo_completes_every_saga_and_a_second_run_adds_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    first = run_to_end("demo", "--database", url, "--orders", "7")
    assert first.returncode == 0, first.stderr
    assert "7 sagas (1 cancelled, 5 paid, 1 rejected)" in first.stdout
    second = run_to_end("demo", "--database", url, "--orders", "3")
    assert second.returncode == 0, second.stderr
    assert "3 sagas (3 paid)" in second.stdout
    status = run_to_end("status", "--database", url)
    # Orders' notification log: placed, reserved and paid or cancelled (3 events),
    # or placed and rejected (2): 6 x 3 + 1 x 2 in the first run, 3 x 3 in the second.
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[1].split()[:3] == ["Orders", "Inventory", "29"]


def test_place_order_alone_prints_an_id_that_show_order_finds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/one.sqlite3"
    placed = run_to_end(
        "place-order", "--database", url, "--item", "gizmo", "--amount", "7.25"
    )
    assert placed.returncode == 0, placed.stderr
    order_id = UUID(placed.stdout.strip())
    shown = run_to_end("show-order", str(order_id), "--database", url)
    assert shown.returncode == 0, shown.stderr
    assert "item: gizmo" in shown.stdout
    assert "amount: 7.25" in shown.stdout
    assert "status: placed" in shown.stdout  # nothing runs the system yet


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--runner", "threads"], "unknown runner 'threads'"),
        (["demo", "--database", "not a url"], "malformed database URL"),
        (["demo", "--database", "mysql://x@localhost/db"], "unsupported database"),
        (
            ["status", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
            "cannot reach database",
        ),
        (["place-order", "--quantity", "0"], "must be at least 1"),
        (
            ["place-order", "--item", "", "--database", "sqlite:///{tmp}/p.sqlite3"],
            "item must not be blank",
        ),
        (["status", "--database", "sqlite:///{tmp}/not-a-database"], "cannot reach"),
        (["show-order", "not-an-id"], "is not an order id"),
        (
            ["worker", "Nobody", "--database", "sqlite:///{tmp}/w.sqlite3"],
            "unknown follower",
        ),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "not-a-database").write_text("just text")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result = run_to_end(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_show_order_says_when_there_is_no_such_order(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/none.sqlite3"
    result = run_to_end("show-order", str(UUID(int=1)), "--database", url)
    assert result.returncode == 1
    assert "no order" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = run_to_end(command, "--help")
    assert result.returncode == 0
    assert "--database" in result.stdout
    assert "--runner" in result.stdout
