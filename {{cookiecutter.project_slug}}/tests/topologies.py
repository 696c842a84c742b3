"""Other Systems than the order saga, to show the runners work with any System.

Their event classes live in this importable module (not in a test's __main__),
so that worker processes can resolve their topics.
"""

import os
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, event
from eventsourcing.system import ProcessApplication, System

#: A note with this text makes every copier's policy raise, as a bug would.
POISON_VARIABLE = "TOPOLOGY_POISON"


class Note(Aggregate):
    class Written(Aggregate.Created):
        text: str

    @event(Written)
    def __init__(self, text: str) -> None:
        self.text = text


class Copy(Aggregate):
    """A copy of a note (or of a copy); one per source and copier."""

    class Made(Aggregate.Created):
        source_id: UUID
        text: str
        made_by: str

    @staticmethod
    def create_id(source_id: UUID, made_by: str) -> UUID:
        return uuid5(source_id, made_by)

    @event(Made)
    def __init__(self, source_id: UUID, text: str, made_by: str) -> None:
        self.source_id = source_id
        self.text = text


class Notebook(Application[UUID]):
    def write(self, text: str) -> UUID:
        note = Note(text=text)
        self.save(note)
        return note.id


class Copier(ProcessApplication[UUID]):
    @singledispatchmethod
    def policy(self, domain_event: Any, processing: ProcessingEvent[UUID]) -> None:
        if not isinstance(domain_event, Note.Written | Copy.Made):
            return
        if domain_event.text == os.environ.get(POISON_VARIABLE):
            msg = f"cannot copy {domain_event.text!r}"
            raise RuntimeError(msg)
        copy = Copy(
            source_id=domain_event.originator_id,
            text=domain_event.text,
            made_by=self.name,
        )
        processing.collect_events(copy)

    def copies_made(self) -> int:
        # Counted, not read off the last id: PostgreSQL's ids come from a
        # sequence, which rolled-back transactions (a killed worker's, or a
        # batch retried one event at a time) leave with gaps.
        return len(self.recorder.select_notifications(start=None, limit=1_000_000))


class LeftCopier(Copier):
    pass


class RightCopier(Copier):
    pass


class FirstCopier(Copier):
    pass


class SecondCopier(Copier):
    pass


#: One leader, two followers.
fan_out = System(pipes=[[Notebook, LeftCopier], [Notebook, RightCopier]])

#: A chain of three: each copies what the one before it wrote.
chain = System(pipes=[[Notebook, FirstCopier, SecondCopier]])
