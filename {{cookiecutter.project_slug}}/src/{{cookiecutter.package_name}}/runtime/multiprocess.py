"""Runs any System with one OS process per follower, sharing one database.

The supervisor (the process that calls ``start()``) creates every table once,
then starts one worker per follower: a fresh Python interpreter running
``python -m <package>.runtime`` (the same entry point that runs a service
on a host of its own). Each worker catches up from its tracking position, then
follows its leaders' notification logs, woken by the database's doorbell.
``get(App)`` gives the supervisor an application that writes to the database,
so commands from here, from other processes or from other hosts are all seen.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO, Any, TypeVar

from eventsourcing.application import Application
from eventsourcing.system import Runner, System

from .applications import create_tables, open_application
from .config import DATABASE_URL_VARIABLE, ConfigurationError, Database
from .processing import Backoff
from .worker import EXIT_CONFIGURATION, READY_MARK

TApplication = TypeVar("TApplication", bound=Application[Any])


class WorkerFailed(Exception):
    """A worker process stopped when it was not asked to."""


class WorkerProcess:
    """One worker OS process, and the last thing it said."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen[str] | None = None
        self.last_line = ""
        self.started_at = 0.0
        self.restarts = 0
        self.ready = threading.Event()
        self._relay: threading.Thread | None = None

    def start(self, *, lock_wait: float = 0.0) -> None:
        """Start the process; it waits up to ``lock_wait`` seconds for its lock."""
        command = [*self.command[:-1], "--lock-wait", str(lock_wait), self.command[-1]]
        self.process = subprocess.Popen(
            command,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group: Ctrl-C reaches the supervisor only, which then
            # stops every worker in order.
            process_group=0,
        )
        self.started_at = time.monotonic()
        self.ready = threading.Event()
        self._relay = threading.Thread(
            target=self._relay_output,
            args=(self.process.stderr, self.ready),
            daemon=True,
        )
        self._relay.start()

    def _relay_output(self, stream: IO[str] | None, ready: threading.Event) -> None:
        if stream is None:
            return
        for line in stream:
            # A worker that cannot start says why; start() reports it once.
            if ready.is_set() or not line.startswith("error:"):
                sys.stderr.write(line)
                sys.stderr.flush()
            if line.strip():
                self.last_line = line.strip()
            if READY_MARK in line:
                ready.set()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def poll(self) -> int | None:
        return self.process.poll() if self.process else None

    def signal(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> bool:
        """Wait for the process to exit; whether it did."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            return False
        if self._relay is not None:
            self._relay.join(timeout=1.0)
        return True


class MultiProcessRunner(Runner[Any]):
    """A Runner with one worker OS process per follower of the System.

    ``restart=True`` restarts a worker that dies or fails, after a backoff that
    doubles up to 30 seconds; otherwise the first failure is kept in
    ``failure`` and raised by ``check()`` and ``serve()``.
    """

    def __init__(
        self,
        system: System,
        database: Database,
        *,
        poll_interval: float = 1.0,
        restart: bool = False,
        stop_timeout: float = 5.0,
    ) -> None:
        if not database.is_shared:
            msg = (
                "the multiprocess runner needs a database that processes share: "
                "choose a SQLite file or PostgreSQL, not 'memory'"
            )
            raise ConfigurationError(msg)
        super().__init__(system, env=database.application_env(create_table=False))
        self.database = database
        self.poll_interval = poll_interval
        self.restart = restart
        self.stop_timeout = stop_timeout
        self.workers: dict[str, WorkerProcess] = {}
        self.apps: dict[str, Application[Any]] = {}
        self.failure: str | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    def start(self) -> None:
        super().start()
        create_tables(self.system, self.database)
        env = dict(os.environ)
        env[DATABASE_URL_VARIABLE] = self.database.url
        for name in self.system.followers:
            command = [
                sys.executable,
                "-m",
                __package__ or "",  # runs __main__.py: the worker
                "--system",
                self.system.topic,
                "--poll-interval",
                str(self.poll_interval),
                "--parent-pid",
                str(os.getpid()),
                name,
            ]
            self.workers[name] = WorkerProcess(name, command, env)
        try:
            for worker in self.workers.values():
                worker.start()
            self._monitor = threading.Thread(target=self._watch_workers, daemon=True)
            self._monitor.start()
            self._wait_until_ready(timeout=60.0)
            self._raise_if_a_worker_could_not_start()
        except BaseException:
            self.stop()  # also on Ctrl-C: no worker outlives a failed start
            raise

    def _raise_if_a_worker_could_not_start(self) -> None:
        for worker in self.workers.values():
            code = worker.poll()
            if code is None:
                continue
            worker.wait(1.0)
            reason = worker.last_line.removeprefix("error: ")
            if code == EXIT_CONFIGURATION:
                raise ConfigurationError(reason)
            raise WorkerFailed(describe_exit(worker.name, code, worker.last_line))

    def _wait_until_ready(self, timeout: float) -> None:
        """Return once every worker follows its leaders (or has died: ``check()``
        reports that), so that the system is running when ``start()`` returns."""
        deadline = time.monotonic() + timeout
        for worker in self.workers.values():
            while not worker.ready.wait(0.05):
                if worker.poll() is not None or time.monotonic() > deadline:
                    break

    def _watch_workers(self) -> None:
        backoffs = {name: Backoff(first=0.5, ceiling=30.0) for name in self.workers}
        restart_at: dict[str, float] = {}
        while not self._stopping.wait(0.1):
            for name, worker in self.workers.items():
                if name in restart_at:
                    if time.monotonic() >= restart_at[name]:
                        del restart_at[name]
                        worker.restarts += 1
                        # The dead one's lock may take a moment to be released.
                        worker.start(lock_wait=30.0)
                    continue
                code = worker.poll()
                if code is None:
                    if time.monotonic() - worker.started_at > 60:
                        backoffs[name].reset()
                    continue
                if self._stopping.is_set():
                    return
                worker.wait(1.0)
                reason = describe_exit(name, code, worker.last_line)
                if self.restart:
                    delay = backoffs[name].next_delay()
                    sys.stderr.write(f"{reason}; restarting in {delay:.1f}s\n")
                    restart_at[name] = time.monotonic() + delay
                elif self.failure is None:
                    self.failure = reason

    def check(self) -> None:
        """Raise WorkerFailed if a worker stopped without being asked to."""
        if self.failure is not None:
            raise WorkerFailed(self.failure)

    def serve(self, should_stop: Any) -> None:
        """Supervise until ``should_stop()``, raising if a worker fails."""
        while not should_stop():
            self.check()
            time.sleep(0.1)

    def stop(self) -> None:
        """Ask every worker to finish its transaction and exit; kill stragglers."""
        self._stopping.set()
        for worker in self.workers.values():
            worker.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for worker in self.workers.values():
            if not worker.wait(deadline - time.monotonic()):
                worker.signal(signal.SIGKILL)
                worker.wait(5.0)
        if self._monitor is not None:
            self._monitor.join(timeout=1.0)
        for app in self.apps.values():
            app.close()
        self.apps.clear()

    def get(self, cls: type[TApplication]) -> TApplication:
        """An instance of the application in this process, writing to the database."""
        if cls.name not in self.apps:
            self.apps[cls.name] = open_application(self.system, cls.name, self.database)
        app = self.apps[cls.name]
        assert isinstance(app, cls)
        return app


def describe_exit(name: str, code: int, last_line: str) -> str:
    if code < 0:
        how = f"was killed by signal {signal.Signals(-code).name}"
    else:
        how = f"exited with code {code}"
    said = last_line.removeprefix("error: ")
    return f"worker {name} {how}" + (f": {said}" if said and code > 0 else "")
