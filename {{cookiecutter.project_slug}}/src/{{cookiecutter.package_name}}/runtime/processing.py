"""Pull a leader's new events into a follower, once each, naming what failed.

Every runner here processes events through :func:`process_new_events` (or, in
a worker, an :class:`EdgeProcessor`): it starts after the follower's tracking
position (read from the follower's own database), so the tracking record
committed with the follower's new events is what makes processing
exactly-once. Events are never pushed into a follower from memory.
"""

import time
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy.exc
from eventsourcing import persistence
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.system import Follower

#: Errors worth another try: the database was busy, the connection dropped,
#: or another writer got to an aggregate first.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    persistence.IntegrityError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.IntegrityError,
    sqlalchemy.exc.DisconnectionError,
)
CONFLICT_ERRORS = (persistence.IntegrityError, sqlalchemy.exc.IntegrityError)


class EventProcessingFailed(Exception):
    """A follower could not process one event from one leader.

    The event is not skipped: its tracking position was not advanced, so the
    next attempt (after the cause is fixed) starts at this very event.
    """

    def __init__(
        self,
        follower: str,
        leader: str,
        notification_id: int,
        topic: str,
        cause: BaseException,
    ) -> None:
        self.follower = follower
        self.leader = leader
        self.notification_id = notification_id
        self.topic = topic
        self.cause = cause
        super().__init__(
            f"{follower} failed to process notification {notification_id} from "
            f"{leader} ({topic}): {type(cause).__name__}: {cause}"
        )


class TransientFailure(EventProcessingFailed):
    """Processing one event hit a busy database, a dropped connection or a
    conflict. Trying again may well succeed."""


RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (
    TransientFailure,
    *TRANSIENT_ERRORS,
)


def process_new_events(
    follower: Follower[Any],
    leader_name: str,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Process the leader's events that the follower has not yet tracked.

    Returns how many were processed. A transient error while processing an event
    raises TransientFailure (call again to retry); anything else raised by the
    policy is raised as EventProcessingFailed. Checks ``should_stop`` between
    events, so stopping never cuts a transaction in half.
    """
    processed = 0
    start = follower.recorder.max_tracking_id(leader_name)
    section_size = follower.readers[leader_name].section_size
    for notifications in follower.pull_notifications(
        leader_name, start=start, inclusive_of_start=False
    ):
        for notification in follower.filter_received_notifications(notifications):
            if should_stop():
                return processed
            process_one(follower, leader_name, notification)
            processed += 1
        # A short section is the end of the log as it was: skip the empty
        # select that would confirm it (later commits prompt another pull).
        if len(notifications) < section_size:
            break
    return processed


def process_one(
    follower: Follower[Any], leader_name: str, notification: Notification
) -> None:
    """Process one event in a transaction of its own, naming it if that fails."""
    try:
        [(domain_event, tracking)] = follower.convert_notifications(
            leader_name, [notification]
        )
        follower.process_event(domain_event, tracking)
    except Exception as error:
        failure = (
            TransientFailure
            if isinstance(error, TRANSIENT_ERRORS)
            else EventProcessingFailed
        )
        raise failure(
            follower=follower.name,
            leader=leader_name,
            notification_id=notification.id,
            topic=notification.topic,
            cause=error,
        ) from error


#: Most events a worker processes in one transaction.
BATCH_SIZE = 20


class EdgeProcessor:
    """Takes one leader's new events into one follower, in batches.

    For a worker, which holds the follower's lock (so no other process moves
    its tracking position) and has no followers of its own in this process
    (so nothing reads its events before they are committed). Compared with
    process_new_events:

    * it remembers the tracking position between pulls, reading it from the
      database only at first and after a failure: one query less per pull;
    * it processes each page of up to ``batch_size`` events in one transaction
      with one tracking record, for the last of them: the whole page commits,
      or none of it does, so each event is still processed exactly once, and
      the commit, the table lock and the tracking checks are paid once a page;
    * if a page fails, it is rolled back and processed again one event per
      transaction, which names the event that fails and retries conflicts.

    Batching needs a recorder whose transactions nest (eventsourcing-sqlalchemy)
    and no aggregate cache (a rolled-back page would leave the cache ahead of
    the database); without them every event gets a transaction of its own.
    """

    def __init__(
        self,
        follower: Follower[Any],
        leader_name: str,
        leader_recorder: ApplicationRecorder,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.follower = follower
        self.leader_name = leader_name
        self.leader_recorder = leader_recorder
        self.batch_size = batch_size
        self.position: int | None = None
        transaction = getattr(follower.recorder, "transaction", None)
        can_batch = follower.repository.cache is None and batch_size > 1
        self.transaction: Callable[..., Any] | None = (
            transaction if callable(transaction) and can_batch else None
        )

    def process_new_events(self, should_stop: Callable[[], bool]) -> int:
        """Process what the follower has not yet tracked; return how many."""
        processed = 0
        try:
            if self.position is None:
                tracked = self.follower.recorder.max_tracking_id(self.leader_name)
                self.position = tracked or 0
            while not should_stop():
                page = self.leader_recorder.select_notifications(
                    start=self.position,
                    limit=self.batch_size,
                    topics=self.follower.topics,
                    inclusive_of_start=False,
                )
                wanted = self.follower.filter_received_notifications(page)
                done = self._process(wanted, should_stop)
                processed += done
                if done < len(wanted) or len(page) < self.batch_size:
                    return processed  # stopping, or the end of the log as it was
                self.position = max(self.position, page[-1].id)
            return processed
        except BaseException:
            self.position = None  # the database knows where we got to
            raise

    def _process(
        self, notifications: Sequence[Notification], should_stop: Callable[[], bool]
    ) -> int:
        if self.transaction is not None and notifications:
            try:
                self._process_in_one_transaction(notifications)
            except Exception:
                pass  # rolled back: one event at a time below names what failed
            else:
                self.position = notifications[-1].id
                return len(notifications)
        processed = 0
        for notification in notifications:
            if should_stop():
                break
            process_one(self.follower, self.leader_name, notification)
            self.position = notification.id
            processed += 1
        return processed

    def _process_in_one_transaction(
        self, notifications: Sequence[Notification]
    ) -> None:
        assert self.transaction is not None
        jobs = self.follower.convert_notifications(self.leader_name, notifications)
        last = len(jobs) - 1
        # Everything the follower does below joins this transaction.
        with self.transaction(commit=True):
            for index, (domain_event, tracking) in enumerate(jobs):
                # Untracked (ProcessingEvent and the recorder take None) but for
                # the last: the page commits whole, so its last position says it all.
                self.follower.process_event(
                    domain_event,
                    tracking if index == last else None,  # type: ignore[arg-type]
                )


class Backoff:
    """Waits longer after each consecutive failure, up to a ceiling."""

    def __init__(self, first: float = 0.05, ceiling: float = 5.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.failures = 0

    def next_delay(self) -> float:
        delay = min(self.ceiling, self.first * 2.0**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


def process_with_retries(
    process: Callable[[Callable[[], bool]], int],
    *,
    should_stop: Callable[[], bool],
    on_retry: Callable[[BaseException, float], None],
    max_conflicts: int = 10,
) -> int:
    """Call ``process(should_stop)`` (an EdgeProcessor's process_new_events, say),
    retrying transient errors with backoff.

    A conflict that persists after ``max_conflicts`` tries is not transient (a
    policy creating an aggregate that already exists, say): it is raised as an
    EventProcessingFailed naming the event.
    """
    backoff = Backoff()
    conflicts = 0
    while True:
        try:
            return process(should_stop)
        except RETRYABLE_ERRORS as error:
            cause = error.cause if isinstance(error, TransientFailure) else error
            if isinstance(cause, CONFLICT_ERRORS):
                conflicts += 1
                if conflicts > max_conflicts and isinstance(error, TransientFailure):
                    raise EventProcessingFailed(
                        follower=error.follower,
                        leader=error.leader,
                        notification_id=error.notification_id,
                        topic=error.topic,
                        cause=cause,
                    ) from cause
            delay = backoff.next_delay()
            on_retry(error, delay)
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not should_stop():
                time.sleep(min(0.01, delay))
            if should_stop():
                return 0
