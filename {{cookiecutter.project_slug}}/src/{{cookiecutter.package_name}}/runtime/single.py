"""The library's single-threaded runner, made to catch up and to name failures."""

import contextlib
from typing import Any, cast

from eventsourcing.system import Follower, RecordingEvent, SingleThreadedRunner, System

from .applications import create_tables
from .config import Database
from .coordination import holding_locks, open_doorbell
from .processing import process_new_events, process_with_retries


class SingleProcessRunner(SingleThreadedRunner[Any]):
    """Runs every application of a System in this process, in one thread.

    Differences from eventsourcing's SingleThreadedRunner:

    * it catches up when it starts: events committed by an earlier run but not
      processed by a follower (say the process died in between) are processed
      now, not at the next write;
    * ``serve()`` also processes events that *other* processes write (a separate
      ``place-order``, say), woken by the database's doorbell or a poll;
    * a failing policy is reported with the follower, the leader, the
      notification id and the event type; the event is not skipped, so it is
      tried again at the next write or start;
    * on a shared database it holds each follower's lock, so no other process
      can process the same follower's events at the same time.
    """

    def __init__(
        self, system: System, database: Database, *, poll_interval: float = 1.0
    ) -> None:
        self.database = database
        self.poll_interval = poll_interval
        self._locks = contextlib.ExitStack()
        create_tables(system, database)
        super().__init__(system, env=database.application_env(create_table=False))

    def start(self) -> None:
        if self.database.is_shared:
            self._locks.enter_context(
                holding_locks(self.database, list(self.system.followers))
            )
        try:
            super().start()
            self.catch_up()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        super().stop()
        self._locks.close()

    def catch_up(self) -> int:
        """Process everything every follower has not yet tracked; return how many."""
        return self._process_prompted(self.system.leaders)

    def check(self) -> None:
        """Failures here are raised where they happen; nothing to report later."""

    def serve(self, should_stop: Any) -> None:
        """Process new events, whoever writes them, until ``should_stop()``."""
        channels = [
            str(getattr(self.apps[name].recorder, "channel_name", ""))
            for name in self.system.leaders
        ]
        with open_doorbell(self.database, channels) as doorbell:
            while not should_stop():
                # Another process may have the database busy, or get to an
                # aggregate first: retried, as in the workers, from the tracking
                # position.
                process_with_retries(
                    lambda _: self.catch_up(),
                    should_stop=should_stop,
                    on_retry=lambda error, delay: None,
                )
                doorbell.wait(self.poll_interval, should_stop)

    def receive_recording_event(self, new_recording_event: RecordingEvent[Any]) -> None:
        self._process_prompted([new_recording_event.application_name])

    def _process_prompted(self, leader_names: list[str]) -> int:
        # As the library's receive_recording_event(), but pulling through
        # process_new_events(), so that a failure names the event, and forgetting
        # the prompts when one fails: the tracking position, not this set, says
        # where to resume. Processing that leads to more processing (a follower's
        # new events) only adds prompts, so no follower is ever re-entered.
        with self._prompted_names_lock:
            self._prompted_names.update(leader_names)
        if not self._processing_lock.acquire(blocking=False):
            return 0
        processed = 0
        try:
            while True:
                with self._prompted_names_lock:
                    prompted_names = self._prompted_names
                    self._prompted_names = set()
                if not prompted_names:
                    return processed
                for leader_name in prompted_names:
                    for follower_name in self.system.leads[leader_name]:
                        follower = cast(Follower[Any], self.apps[follower_name])
                        processed += process_new_events(follower, leader_name)
        except BaseException:
            with self._prompted_names_lock:
                self._prompted_names.clear()
            raise
        finally:
            self._processing_lock.release()
