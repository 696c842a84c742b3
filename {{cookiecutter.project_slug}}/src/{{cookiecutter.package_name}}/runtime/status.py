"""How far each follower has got, read from the database by any process or host."""

from dataclasses import asdict, dataclass
from typing import Any

from eventsourcing.system import Follower, System

from .applications import create_tables, open_application
from .config import ConfigurationError, Database


@dataclass(frozen=True)
class EdgeStatus:
    """One edge of the System: a leader, a follower, and the gap between them."""

    leader: str
    follower: str
    leader_position: int
    follower_position: int
    lag: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def system_status(system: System, database: Database) -> list[EdgeStatus]:
    """For every edge: the leader's last notification id, the follower's
    tracking position, and how many of the events the follower takes are still
    to be processed (a follower takes only its policy's event types, so the lag
    counts those, not the raw difference of positions)."""
    if not database.is_shared:
        msg = "status reads a shared database; 'memory' lives inside one process"
        raise ConfigurationError(msg)
    create_tables(system, database)
    apps = {name: open_application(system, name, database) for name in system.nodes}
    try:
        rows = []
        for leader_name, follower_name in system.edges:
            leader = apps[leader_name]
            follower = apps[follower_name]
            assert isinstance(follower, Follower)
            leader_position = leader.recorder.max_notification_id() or 0
            follower_position = follower.recorder.max_tracking_id(leader_name) or 0
            lag = _count_after(leader.recorder, follower_position, follower.topics)
            rows.append(
                EdgeStatus(
                    leader=leader_name,
                    follower=follower_name,
                    leader_position=leader_position,
                    follower_position=follower_position,
                    lag=lag,
                )
            )
        return rows
    finally:
        for app in apps.values():
            app.close()


def _count_after(recorder: Any, position: int, topics: Any) -> int:
    count = 0
    page = 1000
    while True:
        notifications = recorder.select_notifications(
            start=position, limit=page, topics=list(topics), inclusive_of_start=False
        )
        count += len(notifications)
        if len(notifications) < page:
            return count
        position = notifications[-1].id
