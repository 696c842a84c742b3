"""How fast the order saga runs under each runner, on each database.

``bench`` measures, on the same workload in one run: our two runners
(``single``, ``multiprocess``), eventsourcing's ``SingleThreadedRunner`` and
``MultiThreadedRunner`` as shipped (``library-single``,
``library-multithreaded``), and the database's ceiling: plain application
saves, with no runner at all (``ceiling``).

Each measurement gets a fresh, empty database (a new SQLite file, or a new
PostgreSQL database created on the given server and dropped afterwards) and a
fresh Python process, so that one measurement's caches and memory do not
colour the next. Every order is for one widget at 10.50: each saga ends paid,
after five transactions (the order placed, stock reserved, the reservation
recorded, the payment taken, the payment recorded).

A measurement has three phases:

* warm-up: one saga, not counted (workers start, connections open);
* latency: ``--latency-orders`` sagas, one at a time, each placed when the
  last has finished: the time from calling ``place_order`` to the order being
  seen final in Orders' notification log, on an otherwise idle system;
* throughput: ``--orders`` sagas placed at once; sagas per second is how many
  finished divided by the time from the first being placed to the last being
  seen final, and events per second is how many upstream events the followers
  processed in that time.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.system import MultiThreadedRunner, Runner, SingleThreadedRunner
from eventsourcing.utils import get_topic

from .domain.orders import Order
from .runtime import ConfigurationError, Database, make_runner, parse_database_url
from .runtime.applications import application_class
from .runtime.commands import (
    EXIT_FAILED,
    EXIT_OK,
    format_table,
    positive_int,
    say,
    seconds,
)
from .runtime.config import DATABASE_URL_VARIABLE
from .runtime.coordination import open_doorbell
from .runtime.runners import SystemRunner
from .services.orders import Orders
from .settings import DEFAULTS
from .system import system

#: What ``--runner`` may name; all of them by default, in this order.
BENCH_RUNNERS = (
    "single",
    "multiprocess",
    "library-single",
    "library-multithreaded",
    "ceiling",
)
#: Transactions in one paid saga, so ``ceiling`` turns saves into sagas.
SAVES_PER_SAGA = 5
FINAL_TOPICS = [get_topic(t) for t in (Order.Paid, Order.Rejected, Order.Cancelled)]


@dataclass(frozen=True)
class Plan:
    """One measurement: a runner, a fresh database, a workload."""

    runner: str
    database_url: str
    orders: int
    latency_orders: int
    poll_interval: float
    timeout: float


@dataclass
class Row:
    """One measurement's results (also one row of ``--json``)."""

    runner: str
    database: str
    orders: int
    completed: int
    seconds: float
    sagas_per_second: float
    events_per_second: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    peak_rss_mb: float
    processes: int
    cpu_ms_per_saga: float | None = None
    error: str | None = None


class MeasurementFailed(Exception):
    """The runner under test failed; the message says how."""


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (as numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, and by those, and so on."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields_ = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields_[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def peak_rss_mb(pids: Sequence[int]) -> float:
    """The sum of each process's peak resident set (VmHWM), in MiB."""
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(stat[11]) + int(stat[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def bench_order(orders: Orders) -> UUID:
    return orders.place_order("widget", 1, Decimal("10.50"))


class SagaWatcher:
    """Sees sagas end by reading Orders' notification log for final events:
    one query for every pending order, woken by the database's doorbell."""

    page = 1000

    def __init__(self, orders: Orders, database: Database) -> None:
        self.recorder = orders.recorder
        self.position = self.recorder.max_notification_id() or 0
        self.finished: dict[UUID, float] = {}
        channel = str(getattr(self.recorder, "channel_name", ""))
        self.doorbell = open_doorbell(database, [channel])

    def look(self) -> None:
        while True:
            notifications = self.recorder.select_notifications(
                start=self.position,
                limit=self.page,
                topics=FINAL_TOPICS,
                inclusive_of_start=False,
            )
            seen = time.perf_counter()
            for notification in notifications:
                order_id = UUID(str(notification.originator_id))
                self.finished.setdefault(order_id, seen)
            if notifications:
                self.position = notifications[-1].id
            if len(notifications) < self.page:
                return

    def wait_for(
        self, order_ids: Sequence[UUID], deadline: float, check: Callable[[], None]
    ) -> bool:
        """Wait until every order is final; False if the deadline passes first."""
        pending = set(order_ids)
        while True:
            self.look()
            pending.difference_update(self.finished)
            if not pending:
                return True
            if time.monotonic() > deadline:
                return False
            check()
            self.doorbell.wait(0.05, lambda: False)

    def close(self) -> None:
        self.doorbell.close()


def count_after(recorder: Any, position: int, topics: Sequence[str]) -> int:
    count = 0
    while True:
        notifications = recorder.select_notifications(
            start=position, limit=1000, topics=list(topics), inclusive_of_start=False
        )
        count += len(notifications)
        if len(notifications) < 1000:
            return count
        position = notifications[-1].id


class EventCounter:
    """Counts the upstream events the followers take (their policies' types)
    that leaders recorded after a mark."""

    def __init__(self, runner: Runner[Any]) -> None:
        self.recorders = {
            name: runner.get(application_class(system, name)).recorder
            for name in system.leaders
        }
        self.marks: dict[str, int] = {}

    def mark(self) -> None:
        self.marks = {
            name: recorder.max_notification_id() or 0
            for name, recorder in self.recorders.items()
        }

    def count(self) -> int:
        return sum(
            count_after(
                self.recorders[leader],
                self.marks[leader],
                getattr(application_class(system, follower), "topics", ()),
            )
            for leader, follower in system.edges
        )


def new_runner(plan: Plan, database: Database) -> Runner[Any]:
    env = database.application_env(create_table=True)
    if plan.runner == "library-single":
        return SingleThreadedRunner(system, env=env)
    if plan.runner == "library-multithreaded":
        return MultiThreadedRunner(system, env=env)
    return make_runner(plan.runner, system, database, poll_interval=plan.poll_interval)


def health_check(runner: Runner[Any]) -> Callable[[], None]:
    """What raises, while waiting, if the runner has failed."""

    def check() -> None:
        if isinstance(runner, SystemRunner):
            runner.check()
        elif isinstance(runner, MultiThreadedRunner) and runner.has_errored.is_set():
            errors = [t.error for t in runner.threads.values() if t.error]
            msg = "; ".join(f"{type(e).__name__}: {e}" for e in errors)
            raise MeasurementFailed(msg or "a runner thread failed")

    return check


def measure_runner(plan: Plan, database: Database) -> Row:
    runner = new_runner(plan, database)
    runner.start()
    watcher: SagaWatcher | None = None
    try:
        orders = runner.get(Orders)
        check = health_check(runner)
        watcher = SagaWatcher(orders, database)
        counter = EventCounter(runner)
        deadline = time.monotonic() + plan.timeout
        if not watcher.wait_for([bench_order(orders)], deadline, check):
            msg = f"the warm-up saga did not finish within {plan.timeout:g}s"
            raise MeasurementFailed(msg)

        latencies = []
        for _ in range(plan.latency_orders):
            placed = time.perf_counter()
            order_id = bench_order(orders)
            if not watcher.wait_for([order_id], deadline, check):
                break
            latencies.append((watcher.finished[order_id] - placed) * 1000)

        counter.mark()
        pids = [os.getpid(), *descendants(os.getpid())]
        cpu_before = cpu_seconds(pids)
        started = time.perf_counter()
        order_ids = [bench_order(orders) for _ in range(plan.orders)]
        watcher.wait_for(order_ids, deadline, check)
        done = [watcher.finished[i] for i in order_ids if i in watcher.finished]
        elapsed = (max(done) if done else time.perf_counter()) - started
        cpu = cpu_seconds(pids) - cpu_before
        events = counter.count()
        # Confirm through the application, not only the log, that they ended.
        completed = sum(1 for i in order_ids if orders.get_order(i).is_final)
        pids = [os.getpid(), *descendants(os.getpid())]
        rss = peak_rss_mb(pids)
    finally:
        if watcher is not None:
            watcher.close()
        runner.stop()
    error = None
    if completed < plan.orders or len(latencies) < plan.latency_orders:
        error = f"timed out after {plan.timeout:g}s"
    return Row(
        runner=plan.runner,
        database=database.dialect,
        orders=plan.orders,
        completed=completed,
        seconds=round(elapsed, 3),
        sagas_per_second=round(completed / elapsed, 1),
        events_per_second=round(events / elapsed, 1),
        p50_ms=rounded(percentile(latencies, 0.50)),
        p95_ms=rounded(percentile(latencies, 0.95)),
        p99_ms=rounded(percentile(latencies, 0.99)),
        peak_rss_mb=round(rss, 1),
        processes=len(pids),
        cpu_ms_per_saga=round(cpu * 1000 / max(completed, 1), 1),
        error=error,
    )


def measure_ceiling(plan: Plan, database: Database) -> Row:
    """Plain saves of one new aggregate each, back to back, by one application:
    as fast as the database takes this library's writes. A "saga" here is
    five saves; its latency is theirs together."""
    app = Application[UUID](env=database.application_env(create_table=True))
    try:

        def save_one_saga() -> None:
            for _ in range(SAVES_PER_SAGA):
                app.save(Order(item="widget", quantity=1, amount=Decimal("10.50")))

        save_one_saga()  # warm-up
        latencies = []
        for _ in range(plan.latency_orders):
            placed = time.perf_counter()
            save_one_saga()
            latencies.append((time.perf_counter() - placed) * 1000)
        cpu_before = cpu_seconds([os.getpid()])
        started = time.perf_counter()
        for _ in range(plan.orders):
            save_one_saga()
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds([os.getpid()]) - cpu_before
    finally:
        app.close()
    return Row(
        runner=plan.runner,
        database=database.dialect,
        orders=plan.orders,
        completed=plan.orders,
        seconds=round(elapsed, 3),
        sagas_per_second=round(plan.orders / elapsed, 1),
        events_per_second=round(plan.orders * SAVES_PER_SAGA / elapsed, 1),
        p50_ms=rounded(percentile(latencies, 0.50)),
        p95_ms=rounded(percentile(latencies, 0.95)),
        p99_ms=rounded(percentile(latencies, 0.99)),
        peak_rss_mb=round(peak_rss_mb([os.getpid()]), 1),
        processes=1,
        cpu_ms_per_saga=round(cpu * 1000 / plan.orders, 1),
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def measure(plan: Plan) -> Row:
    database = parse_database_url(plan.database_url)
    if plan.runner == "ceiling":
        return measure_ceiling(plan, database)
    return measure_runner(plan, database)


def _measure_in_child(plan: Plan, results: Connection, log_path: str) -> None:
    # Workers' chatter goes to a file; a failure quotes its last line.
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        results.send(measure(plan))
    except Exception as error:
        first = (str(error).splitlines() or [""])[0]
        results.send(f"{type(error).__name__}: {first}")
    finally:
        results.close()


def measure_in_new_process(plan: Plan) -> Row:
    """Run one measurement in a fresh interpreter, so its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    with tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log") as log:
        child = context.Process(
            target=_measure_in_child, args=(plan, sending, log.name), daemon=False
        )
        child.start()
        sending.close()
        # The measurement gives up on its sagas at the timeout; starting and
        # stopping the runner come on top.
        patience = plan.timeout + 60
        outcome: Row | str = f"no result within {patience:g}s"
        try:
            if receiving.poll(patience):
                outcome = receiving.recv()
        except EOFError:
            outcome = "the measuring process ended without a result"
        except BaseException:
            child.terminate()  # interrupted: its workers follow it (see worker.py)
            raise
        finally:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
                child.join()
        if isinstance(outcome, Row):
            return outcome
        said = [line for line in Path(log.name).read_text().splitlines() if line]
        reason = outcome + (f" ({said[-1].strip()})" if said else "")
    return failed_row(plan, reason)


def failed_row(plan: Plan, reason: str) -> Row:
    return Row(
        runner=plan.runner,
        database=parse_database_url(plan.database_url).dialect,
        orders=plan.orders,
        completed=0,
        seconds=0.0,
        sagas_per_second=0.0,
        events_per_second=0.0,
        p50_ms=None,
        p95_ms=None,
        p99_ms=None,
        peak_rss_mb=0.0,
        processes=0,
        error=reason,
    )


@contextlib.contextmanager
def fresh_database(given: Database) -> Iterator[Database]:
    """An empty database beside the given one, removed afterwards."""
    path = given.sqlite_path
    if path is not None:
        folder = Path(tempfile.mkdtemp(prefix="bench-", dir=path.parent))
        try:
            yield parse_database_url(f"sqlite:///{folder / path.name}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(given.libpq_conninfo(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        msg = f"cannot create a database on {given.display()}: {first}"
        raise ConfigurationError(msg) from None
    try:
        yield parse_database_url(given.url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(given.libpq_conninfo(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def given_databases(urls: Sequence[str] | None) -> list[Database]:
    """The databases named by --database, else DATABASE_URL, else the default."""
    if not urls:
        urls = [os.environ.get(DATABASE_URL_VARIABLE) or DEFAULTS.database_url]
    databases = []
    for url in urls:
        database = parse_database_url(url)
        if database.is_memory:
            msg = "bench measures databases that processes share: not 'memory'"
            raise ConfigurationError(msg)
        path = database.sqlite_path
        if path is None:
            database.check_reachable()
        else:  # measurements get files of their own: leave this one be
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                msg = f"cannot create the folder for SQLite file {path}: {error}"
                raise ConfigurationError(msg) from None
        databases.append(database)
    return databases


def format_rows(rows: Sequence[Row]) -> str:
    """The rows as a table a person can read, then any failures."""

    def number(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    header = (
        "runner",
        "database",
        "sagas/s",
        "events/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "peak RSS MB",
        "processes",
        "CPU ms/saga",
        "completed",
    )
    table = format_table(
        header,
        [
            (
                r.runner,
                r.database,
                number(r.sagas_per_second),
                number(r.events_per_second),
                number(r.p50_ms),
                number(r.p95_ms),
                number(r.p99_ms),
                number(r.peak_rss_mb),
                r.processes,
                number(r.cpu_ms_per_saga),
                f"{r.completed}/{r.orders}",
            )
            for r in rows
        ],
    )
    notes = [f"{r.runner} on {r.database}: {r.error}" for r in rows if r.error]
    return "\n".join([table, *notes])


def describe_machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, eventsourcing {version('eventsourcing')}"
        f", eventsourcing-sqlalchemy {version('eventsourcing-sqlalchemy')}"
    )


def run_bench(args: argparse.Namespace) -> int:
    # --runner and --database given before "bench" count too.
    before = [name for name in [getattr(args, "runner", None)] if name]
    runners = list(dict.fromkeys(args.runners or before or BENCH_RUNNERS))
    unknown = [name for name in runners if name not in BENCH_RUNNERS]
    if unknown:
        msg = f"unknown runner {unknown[0]!r}: choose from {', '.join(BENCH_RUNNERS)}"
        raise ConfigurationError(msg)
    urls = [url for url in [getattr(args, "database", None)] if url]
    databases = given_databases(args.databases or urls)
    if args.json and not Path(args.json).absolute().parent.is_dir():
        msg = f"cannot write {args.json}: its folder does not exist"
        raise ConfigurationError(msg)
    say(
        f"bench: {args.orders} sagas at once and {args.latency_orders} one at a "
        f"time, per runner and database; {describe_machine()}"
    )
    rows = []
    for given in databases:
        for runner in runners:
            with fresh_database(given) as database:
                plan = Plan(
                    runner=runner,
                    database_url=database.url,
                    orders=args.orders,
                    latency_orders=args.latency_orders,
                    poll_interval=args.poll_interval,
                    timeout=args.timeout,
                )
                row = measure_in_new_process(plan)
            say(
                f"bench: {row.runner} on {row.database}: "
                + (row.error or f"{row.sagas_per_second:.1f} sagas/s")
            )
            rows.append(row)
    print(format_rows(rows))
    if args.json:
        text = json.dumps([asdict(row) for row in rows], indent=2)
        Path(args.json).write_text(text + "\n")
    return EXIT_FAILED if any(row.error for row in rows) else EXIT_OK


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Measure sagas and events per second, saga latency, peak memory and "
        "processes of each runner on each database, beside eventsourcing's own "
        "runners and the database's ceiling. Each measurement gets a fresh "
        "database and a fresh Python process."
    )
    parser.add_argument(
        "--orders",
        type=positive_int,
        default=150,
        metavar="N",
        help="sagas placed at once, for throughput (default %(default)s)",
    )
    parser.add_argument(
        "--latency-orders",
        type=positive_int,
        default=40,
        metavar="N",
        help="sagas placed one at a time, for latency (default %(default)s)",
    )
    parser.add_argument(
        "--database",
        dest="databases",
        action="append",
        metavar="URL",
        help="a SQLite file (each measurement gets a new file beside it) or a "
        "PostgreSQL database (each gets a new database on its server, dropped "
        f"afterwards); repeat for several (env {DATABASE_URL_VARIABLE}; default "
        f"{DEFAULTS.database_url})",
    )
    parser.add_argument(
        "--runner",
        dest="runners",
        action="append",
        metavar="NAME",
        help=f"{', '.join(BENCH_RUNNERS)}; repeat for several (default all)",
    )
    parser.add_argument(
        "--poll-interval",
        type=seconds,
        default=0.5,
        metavar="SECONDS",
        help="our runners' longest wait between looks (default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=120.0,
        metavar="SECONDS",
        help="give up on a measurement after this long (default %(default)s)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows here")
