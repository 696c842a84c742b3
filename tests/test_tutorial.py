"""The tutorial, executed: every block of docs/tutorial.md, in order, as a reader
would type it, on a project the tutorial's own first command generates.

How each kind of block is run is written at the top of the tutorial (an HTML
comment, so that whoever edits the tutorial sees it):

* ```sh blocks run in one bash ("this terminal"); cd, variables and exports carry
  on. A block whose first line is ``# in another terminal`` runs in the background
  in a new bash; a block holding only a comment with ``Ctrl-C`` interrupts every
  background one, which must then exit 0 and say it stopped.
* A ```text or ```mermaid block after an ```sh block is its expected output, matched
  as doctest does with ELLIPSIS and NORMALIZE_WHITESPACE; the block is re-run until
  it matches (the system works in the background), a background one waited for.
* ```python blocks starting ``# file: PATH`` are written to PATH (replacing a file may
  only add lines to it); ``# from PATH`` blocks are excerpts that must be in PATH.

A few lines cannot run here as written: they are in STAND_INS, with what runs instead
and why. Each must still be found in the tutorial, so the table cannot go stale.
The reader's terminals get this process's environment without the settings a test
machine adds (DATABASE_URL, SYSTEM_RUNNER, TEST_POSTGRES_URL, CI), as a newcomer's
would. With TEST_POSTGRES_URL set, step 5 runs on a fresh PostgreSQL database made
for this test and dropped afterwards; without it, on a SQLite file instead.
"""

import doctest
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from conftest import InstalledProject, run

TUTORIAL = "docs/tutorial.md"
BLOCK_TIMEOUT = 300.0  # seconds for one block to finish
SETTLE_TIMEOUT = 60.0  # seconds for a system at work to show the expected output
# Settings of the machine running the tests, which a reader's terminal would not have.
MACHINE_SETTINGS = ("DATABASE_URL", "SYSTEM_RUNNER", "TEST_POSTGRES_URL", "CI", "VIRTUAL_ENV")
MATCHING = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
BACKGROUND = re.compile(r"#\s*in another terminal\b")
WRITE_FILE = re.compile(r"#\s*file:\s*(\S+)\s*$")
EXCERPT = re.compile(r"#\s*from\s+(\S+)\s*$")


@dataclass
class Block:
    """A fenced code block of the tutorial, and the output shown after it."""

    kind: str
    lines: list[str]
    line: int  # where it starts in the tutorial, for messages
    expected: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def where(self) -> str:
        return f"{TUTORIAL}, block at line {self.line}"


def read_blocks(markdown: str) -> list[Block]:
    # Comments are for the tutorial's editors; blank them, keeping line numbers.
    markdown = re.sub(
        r"<!--.*?-->", lambda m: "\n" * m.group().count("\n"), markdown, flags=re.DOTALL
    )
    lines = markdown.splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(\S*)", lines[index])
        index += 1
        if not fence:
            continue
        start = index
        while not lines[index].startswith("```"):
            index += 1
        block = Block(fence.group(1), lines[start:index], start)
        index += 1
        if block.kind in ("text", "mermaid"):
            previous = found[-1] if found else None
            assert previous and previous.kind == "sh" and previous.expected is None, (
                f"{block.where()}: an output block must follow an sh block"
            )
            previous.expected = block.text
        else:
            assert block.kind in ("sh", "python"), f"{block.where()}: no rule runs {block.kind}"
            found.append(block)
    return found


def output_matches(expected: str, output: str) -> bool:
    return doctest.OutputChecker().check_output(
        expected.strip() + "\n", output.strip() + "\n", MATCHING
    )


class BlockFailed(Exception):
    def __init__(self, reason: str, output: str) -> None:
        super().__init__(f"{reason}\n--- output\n{output[-6000:]}")


def collect(stream: IO[str], into: "queue.Queue[str | None]") -> None:
    for line in stream:
        into.put(line)
    into.put(None)


class Terminal:
    """The reader's first terminal: one bash for every foreground block."""

    def __init__(self, cwd: Path, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.blocks_run = 0
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(
            target=collect, args=(self.process.stdout, self.lines), daemon=True
        ).start()

    def run(self, script: str) -> str:
        """Run the script in this shell; what it printed. A failing command ends
        the shell (errexit), which fails the block."""
        self.blocks_run += 1
        path = self.scratch / f"block-{self.blocks_run}.sh"
        path.write_text(script, encoding="utf-8")
        done = f"--- block {uuid.uuid4().hex} done ---"
        assert self.process.stdin is not None
        # stdin from /dev/null: a command must not read the blocks that follow.
        self.process.stdin.write(
            f"set -eo pipefail; source {shlex.quote(str(path))} </dev/null; "
            f"printf '\\n%s\\n' {shlex.quote(done)}\n"
        )
        self.process.stdin.flush()
        printed: list[str] = []
        deadline = time.monotonic() + BLOCK_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                raise BlockFailed(
                    f"still running after {BLOCK_TIMEOUT:g}s", "".join(printed)
                ) from None
            if line is None:
                code = self.process.wait()
                raise BlockFailed(f"a command failed (exit status {code})", "".join(printed))
            if line.rstrip("\n") == done:
                return "".join(printed).removesuffix("\n")
            printed.append(line)

    def close(self) -> None:
        stop_group(self.process)


class BackgroundTerminal:
    """Another terminal, with a command that runs until Ctrl-C."""

    def __init__(self, block: Block, script: str, cwd: Path, env: dict[str, str]) -> None:
        self.block = block
        self.process = subprocess.Popen(
            ["bash", "-c", "set -eo pipefail\n" + script],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's job
        )
        self.stopped = False
        self.printed: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        self.reader = threading.Thread(
            target=collect, args=(self.process.stdout, lines), daemon=True
        )
        self.reader.start()
        self._lines = lines

    def output(self) -> str:
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return "".join(self.printed)
            if line is not None:
                self.printed.append(line)

    def wait_for(self, expected: str) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while not output_matches(expected, self.output()):
            if self.process.poll() is not None:
                raise BlockFailed(f"exited with status {self.process.returncode}", self.output())
            if time.monotonic() > deadline:
                raise BlockFailed(f"not seen after {SETTLE_TIMEOUT:g}s:\n{expected}", self.output())
            time.sleep(0.2)

    def press_ctrl_c(self) -> None:
        """Interrupt it as Ctrl-C would, and check that it stops cleanly."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise BlockFailed("did not stop within 60s of Ctrl-C", self.output()) from None
        self.reader.join(timeout=5)
        self.stopped = True
        printed = self.output()
        last_line = (printed.strip().splitlines() or [""])[-1]
        if code != 0 or not last_line.endswith("stopped") or "Traceback" in printed:
            raise BlockFailed(f"did not stop cleanly (exit status {code})", printed)


def stop_group(process: "subprocess.Popen[str]") -> None:
    """Stop a shell and whatever it started, whatever state it is in."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Reader:
    """Everything the run of the tutorial needs, and what it made along the way."""

    answers: dict[str, str]
    template: Path
    tutorial: str  # as rendered for these answers
    home: Path  # where the reader runs cookiecutter
    install_project: Callable[[Path], InstalledProject]
    postgres_url: str | None
    installed: InstalledProject | None = None
    database_url: str | None = None
    fresh_database: str | None = None
    used_stand_ins: set[str] = field(default_factory=set)

    @property
    def project(self) -> Path:
        return self.home / self.answers["project_slug"]

    @property
    def env_python(self) -> Path:
        assert self.installed is not None, "the project is not installed yet"
        return self.installed.bin / "python"


def generate(reader: Reader) -> str:
    # The reader answers cookiecutter's questions; here, the same answers as options.
    answers = " ".join(
        shlex.quote(f"{key}={value}")
        for key, value in reader.answers.items()
        if not key.startswith("_")
    )
    return f"{shlex.quote(sys.executable)} -m cookiecutter --no-input {shlex.quote(str(reader.template))} {answers}"


def install(reader: Reader) -> str:
    # No new virtual environment per run: the session's shared one, which has the
    # dependencies already, gets this project installed (editable, no deps), and
    # .venv points at it, so that .venv/bin/... in the tutorial runs as written.
    reader.installed = reader.install_project(reader.project)
    return f"ln -s {shlex.quote(str(reader.installed.bin.parent))} .venv"


def run_fast_tests(reader: Reader) -> str:
    # The whole suite takes minutes: test_generated_project.py runs it on this same
    # default project. The reader's tests of the tutorial's own code run in step 6.
    return ".venv/bin/pytest -q tests/test_domain.py tests/test_services.py tests/test_diagram.py"


def without_docker(reader: Reader) -> str:
    # No Docker on a test machine: instead of a container, a fresh database on
    # TEST_POSTGRES_URL's server, made when the tutorial first exports DATABASE_URL
    # and dropped at the end of the test.
    return "true"


def export_database_url(reader: Reader) -> str:
    if reader.database_url is None:
        if reader.postgres_url:
            name = f"tutorial_{uuid.uuid4().hex[:12]}"
            postgres(reader, f'CREATE DATABASE "{name}"')
            reader.fresh_database = name
            reader.database_url = reader.postgres_url.rsplit("/", 1)[0] + "/" + name
        else:
            reader.database_url = f"sqlite:///{reader.home}/instead-of-postgresql.sqlite3"
    return f"export DATABASE_URL={shlex.quote(reader.database_url)}"


def postgres(reader: Reader, statement: str) -> None:
    assert reader.postgres_url is not None
    conninfo = reader.postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    code = "import psycopg, sys; psycopg.connect(sys.argv[1], autocommit=True).execute(sys.argv[2])"
    run([str(reader.env_python), "-c", code, conninfo, statement], cwd=reader.home, timeout=60)


#: Lines the test cannot run as written (placeholders filled from the answers), and
#: what it runs instead.
STAND_INS: dict[str, Callable[[Reader], str]] = {
    "cookiecutter {_template}": generate,
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'": install,
    ".venv/bin/pytest": run_fast_tests,
    "docker run -d --name {project_slug}-db -p 5432:5432 "
    "-e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB={package_name} postgres:16": without_docker,
    "until docker exec {project_slug}-db pg_isready -q -h localhost; "
    "do sleep 1; done": without_docker,
    "export DATABASE_URL=postgresql+psycopg://postgres@localhost:5432/{package_name}": (
        export_database_url
    ),
    "docker rm -f {project_slug}-db": without_docker,
}


def as_run(block: Block, reader: Reader) -> str:
    """The block's script, with the stand-ins in place of the lines they replace."""
    stand_ins = {line.format(**reader.answers): make for line, make in STAND_INS.items()}
    lines = []
    for line in block.lines:
        if line in stand_ins:
            reader.used_stand_ins.add(line)
            line = stand_ins[line](reader)
        lines.append(line)
    return "\n".join(lines) + "\n"


# Run after the tutorial, in the project: every paid order was shipped, once.
SHIPMENTS_CHECK = """
import os
from eventsourcing.utils import get_topic
from {package}.domain.orders import Order
from {package}.domain.shipping import Shipment
from {package}.runtime import parse_database_url
from {package}.runtime.applications import open_application
from {package}.system import system

database = parse_database_url(os.environ["DATABASE_URL"])
orders = open_application(system, "Orders", database)
shipping = open_application(system, "Shipping", database)
every = 10**9
paid = {{
    n.originator_id
    for n in orders.recorder.select_notifications(1, every, topics=[get_topic(Order.Paid)])
}}
shipped = [
    shipping.mapper.to_domain_event(n).order_id
    for n in shipping.recorder.select_notifications(
        1, every, topics=[get_topic(Shipment.Dispatched)]
    )
]
print(len(paid), len(shipped), len(set(shipped)), paid == set(shipped))
"""


def run_python_block(block: Block, reader: Reader) -> None:
    first, *rest = block.lines
    if target := WRITE_FILE.match(first):
        path = reader.project / target.group(1)
        text = "\n".join(rest).strip("\n") + "\n"
        if path.exists():
            removed = sorted(set(path.read_text(encoding="utf-8").splitlines()) - set(rest))
            assert not removed, f"{block.where()}: replacing {path.name} drops {removed}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    elif source := EXCERPT.match(first):
        check_excerpt(block, rest, reader.project / source.group(1))
    else:
        pytest.fail(f"{block.where()}: a python block starts '# file: PATH' or '# from PATH'")


def check_excerpt(block: Block, lines: list[str], path: Path) -> None:
    source = path.read_text(encoding="utf-8").splitlines()
    chunks: list[list[str]] = [[]]
    for line in lines:
        if line.strip() == "...":
            chunks.append([])
        else:
            chunks[-1].append(line)
    position = 0
    for chunk in chunks:
        while chunk and not chunk[0].strip():
            chunk.pop(0)
        while chunk and not chunk[-1].strip():
            chunk.pop()
        if not chunk:
            continue
        found = next(
            (
                i
                for i in range(position, len(source) - len(chunk) + 1)
                if source[i : i + len(chunk)] == chunk
            ),
            None,
        )
        assert found is not None, (
            f"{block.where()}: not in {path} (after line {position}):\n" + "\n".join(chunk)
        )
        position = found + len(chunk)


@pytest.fixture
def reader(
    baked: Callable[..., Path],
    install: Callable[[Path], InstalledProject],
    postgres_url: str | None,
    tmp_path: Path,
) -> Iterator[Reader]:
    if not postgres_url and os.environ.get("CI"):
        pytest.fail("CI must run the tutorial on PostgreSQL: set TEST_POSTGRES_URL")
    project = baked()
    answers = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))
    home = tmp_path / "reader"
    home.mkdir()
    the_reader = Reader(
        answers={k: str(v) for k, v in answers.items()},
        template=Path(__file__).resolve().parent.parent,
        tutorial=(project / TUTORIAL).read_text(encoding="utf-8"),
        home=home,
        install_project=install,
        postgres_url=postgres_url,
    )
    try:
        yield the_reader
    finally:
        if the_reader.fresh_database:
            postgres(
                the_reader, f'DROP DATABASE IF EXISTS "{the_reader.fresh_database}" WITH (FORCE)'
            )


def test_the_tutorial_runs_as_written(reader: Reader, tmp_path: Path) -> None:
    blocks = read_blocks(reader.tutorial)
    env = {k: v for k, v in os.environ.items() if k not in MACHINE_SETTINGS}
    env["PYTHONUNBUFFERED"] = "1"  # stdout and stderr interleave as in a terminal
    scratch = tmp_path / "scripts"
    scratch.mkdir()
    terminal = Terminal(reader.home, env, scratch)
    others: list[BackgroundTerminal] = []
    try:
        for block in blocks:
            try:
                run_block(block, reader, terminal, others, env)
            except BlockFailed as failure:
                pytest.fail(f"{block.where()}:\n{block.text}{failure}")
        running = [o.block.where() for o in others if not o.stopped]
        assert not running, f"the tutorial leaves these running: {running}"
    finally:
        for other in others:
            stop_group(other.process)
        terminal.close()

    # Step 1 made the same project the test read the tutorial from.
    assert (reader.project / TUTORIAL).read_text(encoding="utf-8") == reader.tutorial
    unused = {line.format(**reader.answers) for line in STAND_INS} - reader.used_stand_ins
    assert not unused, f"stand-ins for lines no longer in the tutorial: {unused}"

    # The outputs that matter most, beyond those the tutorial shows.
    assert reader.installed is not None
    if reader.postgres_url:
        assert reader.fresh_database, "the PostgreSQL step did not run on PostgreSQL"
    check = SHIPMENTS_CHECK.format(package=reader.answers["package_name"])
    checked = run(
        [str(reader.env_python), "-c", check],
        cwd=reader.project,
        env={**env, "DATABASE_URL": str(reader.database_url)},
        timeout=120,
    )
    paid, shipped, distinct, same = checked.stdout.split()
    assert int(paid) > 0 and same == "True", f"paid orders not all shipped: {checked.stdout}"
    assert shipped == distinct == paid, f"an order shipped twice: {checked.stdout}"


def run_block(
    block: Block,
    reader: Reader,
    terminal: Terminal,
    others: list[BackgroundTerminal],
    env: dict[str, str],
) -> None:
    if block.kind == "python":
        run_python_block(block, reader)
        return
    commands = [line for line in block.lines if line.strip() and not line.lstrip().startswith("#")]
    if block.lines and BACKGROUND.match(block.lines[0]):
        other = BackgroundTerminal(block, as_run(block, reader), reader.home, env)
        others.append(other)
        if block.expected is not None:
            other.wait_for(block.expected)
        return
    if not commands and "Ctrl-C" in block.text:
        for other in others:
            if not other.stopped:
                other.press_ctrl_c()
        return
    assert commands, f"{block.where()}: nothing to run"
    script = as_run(block, reader)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        printed = terminal.run(script)
        if block.expected is None or output_matches(block.expected, printed):
            return
        if time.monotonic() > deadline:
            raise BlockFailed(f"expected output not seen:\n{block.expected}", printed)
        time.sleep(1.0)


@pytest.mark.parametrize("example", ["order-saga", "minimal"])
def test_the_readme_shows_the_picture_the_diagram_command_prints(
    example: str, baked: Callable[..., Path], project_env: Path
) -> None:
    project = baked(example=example)
    readme = (project / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"^```mermaid\n(.*?)^```", readme, flags=re.DOTALL | re.MULTILINE)
    package = json.loads((project / ".cookiecutter.json").read_text())["package_name"]
    printed = run(
        [str(project_env / "bin" / "python"), "-m", package, "diagram"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        timeout=120,
    )
    assert shown == [printed.stdout]
