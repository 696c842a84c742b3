"""Which service follows which. Deployment is decided elsewhere (see runtime/).

One process application that follows itself: add your own services here, e.g.
``System(pipes=[[Tasks, Tasks], [Tasks, Reminders]])``.
"""

from eventsourcing.system import System

from .services.tasks import Tasks

system = System(pipes=[[Tasks, Tasks]])
