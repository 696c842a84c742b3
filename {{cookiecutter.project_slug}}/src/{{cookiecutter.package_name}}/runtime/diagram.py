"""The System as a picture: a Mermaid flowchart of who follows whom.

Services are nodes; an arrow goes from a leader to each of its followers,
labelled with the domain event types that cross it: the follower's ``topics``
(the events its policy takes), by their short names (``Order.Placed``).
GitHub, GitLab and many editors draw a Markdown ``mermaid`` code block as a picture.
"""

import sys

from eventsourcing.system import System

#: The label of an edge whose follower takes every event (it sets no ``topics``).
EVERY_EVENT = "every event"


def short_name(topic: str) -> str:
    """``package.domain.orders:Order.Placed`` is shown as ``Order.Placed``."""
    return topic.rpartition(":")[2]


def _recorded_by(system: System, name: str) -> set[str]:
    """Topics of the classes whose events the named application may record.

    A System does not say which leader records which events, so this is
    inferred: the classes its module names (the aggregates it imports or
    defines), less those whose events it only receives (its own ``topics``).
    """
    cls = system.get_app_cls(name)
    module = sys.modules[cls.__module__]
    named = {
        f"{value.__module__}:{value.__qualname__}"
        for value in vars(module).values()
        if isinstance(value, type)
    }
    received = {_owner(topic) for topic in getattr(cls, "topics", ())}
    return named - received


def _owner(topic: str) -> str:
    """The topic of the class an event class is defined in (its aggregate)."""
    module, _, qualname = topic.partition(":")
    owner, dot, _ = qualname.rpartition(".")
    return f"{module}:{owner}" if dot else topic


def edge_events(system: System) -> dict[tuple[str, str], list[str]]:
    """For each (leader, follower) edge, the event topics that cross it.

    A follower with one leader takes all its topics from it. A follower with
    several takes each event from the leaders seen to record that event's
    aggregate; when that cannot be told, the event is shown on every edge to
    the follower: the picture may show too much, never too little.
    """
    edges: dict[tuple[str, str], list[str]] = {}
    for follower in system.followers:
        leaders = system.follows[follower]
        topics = list(getattr(system.get_app_cls(follower), "topics", ()))
        if len(leaders) == 1:
            edges[(leaders[0], follower)] = topics
            continue
        recorded = {leader: _recorded_by(system, leader) for leader in leaders}
        for leader in leaders:
            crossing = [t for t in topics if _crosses(t, leader, recorded)]
            edges[(leader, follower)] = crossing or topics
    return {edge: edges[edge] for edge in system.edges}


def _crosses(topic: str, leader: str, recorded: dict[str, set[str]]) -> bool:
    """Whether the leader records the event's aggregate, or no leader is seen to."""
    owner = _owner(topic)
    if owner in recorded[leader]:
        return True
    return not any(owner in owners for owners in recorded.values())


def mermaid_flowchart(system: System) -> str:
    """The System as Mermaid flowchart source (without the ``` fence)."""
    lines = ["flowchart LR"]
    lines += [f"    {name}" for name in system.singles]
    for (leader, follower), topics in edge_events(system).items():
        label = "<br/>".join(short_name(t) for t in topics) or EVERY_EVENT
        lines.append(f'    {leader} -->|"{label}"| {follower}')
    return "\n".join(lines)
