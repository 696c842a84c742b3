"""The run script, as a user runs it: a real process, a real SQLite file."""

from pathlib import Path
from uuid import UUID

import pytest

from .conftest import run_to_end

COMMANDS = ["demo", "run", "add-task", "show-task", "worker", "status"]


@pytest.mark.parametrize("runner_name", ["single", "multiprocess"])
def test_demo_triages_every_task_and_a_second_run_adds_more(
    runner_name: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/demo.sqlite3"
    for _ in range(2):
        result = run_to_end("demo", "--database", url, "--runner", runner_name)
        assert result.returncode == 0, result.stderr
        assert "6 tasks triaged" in result.stdout
        assert result.stdout.count("urgent") == 2
    status = run_to_end("status", "--database", url)
    assert status.stdout.splitlines()[1].split()[:3] == ["Tasks", "Tasks", "24"]


def test_add_task_prints_an_id_that_show_task_finds(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/one.sqlite3"
    added = run_to_end("add-task", "feed the cat", "--database", url)
    assert added.returncode == 0, added.stderr
    shown = run_to_end("show-task", str(UUID(added.stdout.strip())), "--database", url)
    assert "title: feed the cat" in shown.stdout
    assert "status: new" in shown.stdout  # nothing runs the system yet


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--runner", "threads"], "unknown runner 'threads'"),
        (["demo", "--database", "not a url"], "malformed database URL"),
        (
            ["status", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/none"],
            "cannot reach database",
        ),
        (
            ["add-task", " ", "--database", "sqlite:///{tmp}/t.sqlite3"],
            "title must not",
        ),
        (["show-task", "not-an-id"], "is not a task id"),
    ],
)
def test_bad_input_gets_one_line_and_exit_code_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    result = run_to_end(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = run_to_end(command, "--help")
    assert result.returncode == 0
    assert "--database" in result.stdout
