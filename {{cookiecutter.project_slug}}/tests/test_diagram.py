"""The system as a picture: the ``diagram`` command's Mermaid flowchart."""

import pytest
from eventsourcing.system import System
from eventsourcing.utils import get_topic

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.runtime.diagram import (
    edge_events,
    mermaid_flowchart,
)
from {{ cookiecutter.package_name }}.system import system

from .topologies import Copier, Copy, LeftCopier, Note, Notebook, RightCopier, chain


{% if cookiecutter.example == "order-saga" -%}
def test_each_edge_is_labelled_with_the_events_its_leader_sends() -> None:
    # Orders follows two leaders: each edge shows only what that leader records.
    # (Services you add draw more edges: these must stay.)
    lines = mermaid_flowchart(system).splitlines()
    assert lines[0] == "flowchart LR"
    for edge in [
        '    Orders -->|"Order.Placed<br/>Order.Cancelled"| Inventory',
        '    Inventory -->|"Reservation.Confirmed<br/>Reservation.Refused"| Orders',
        '    Orders -->|"Order.StockReserved"| Payments',
        '    Payments -->|"Payment.Taken<br/>Payment.Declined"| Orders',
    ]:
        assert edge in lines


{% endif -%}
def test_any_system_can_be_drawn() -> None:
    # The copiers take every event: they set no topics.
    assert mermaid_flowchart(chain).splitlines() == [
        "flowchart LR",
        '    Notebook -->|"every event"| FirstCopier',
        '    FirstCopier -->|"every event"| SecondCopier',
    ]


class Archive(Copier):
    """Follows two leaders, taking two event types."""

    topics = (get_topic(Note.Written), get_topic(Copy.Made))


def test_events_whose_leader_cannot_be_told_are_shown_on_every_edge() -> None:
    # Notebook and LeftCopier are defined in one module, which names both Note
    # and Copy: which of them records which cannot be told from the code.
    drawn = System(pipes=[[Notebook, Archive], [LeftCopier, Archive], [RightCopier]])
    events = edge_events(drawn)
    assert events[("Notebook", "Archive")] == list(Archive.topics)
    assert events[("LeftCopier", "Archive")] == list(Archive.topics)
    lines = mermaid_flowchart(drawn).splitlines()
    assert '    Notebook -->|"Note.Written<br/>Copy.Made"| Archive' in lines
    assert "    RightCopier" in lines  # in the System, following no one


def test_the_diagram_command_prints_the_flowchart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["diagram"]) == 0
    assert capsys.readouterr().out == mermaid_flowchart(system) + "\n"
