"""Pull a leader's new events into a follower, once each, naming what failed.

Every runner here processes events through :func:`process_new_events`: it starts
after the follower's tracking position (read from the follower's own database),
so the tracking record committed with the follower's new events is what makes
processing exactly-once. Events are never pushed into a follower from memory.
"""

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy.exc
from eventsourcing import persistence
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
    for notifications in follower.pull_notifications(
        leader_name, start=start, inclusive_of_start=False
    ):
        for notification in follower.filter_received_notifications(notifications):
            if should_stop():
                return processed
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
            processed += 1
    return processed


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
    follower: Follower[Any],
    leader_name: str,
    *,
    should_stop: Callable[[], bool],
    on_retry: Callable[[BaseException, float], None],
    max_conflicts: int = 10,
) -> int:
    """Like process_new_events, retrying transient errors with backoff.

    A conflict that persists after ``max_conflicts`` tries is not transient (a
    policy creating an aggregate that already exists, say): it is raised as an
    EventProcessingFailed naming the event.
    """
    backoff = Backoff()
    conflicts = 0
    while True:
        try:
            return process_new_events(follower, leader_name, should_stop)
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
