"""Deployment: how many OS processes a System occupies, and on which database.

Everything here is generic: it takes any eventsourcing ``System`` and imports
nothing from the domain or the services. Switching between one process and one
process per service is a matter of configuration, decided in this package only.
"""

import warnings

from .config import ConfigurationError, Database, parse_database_url
from .processing import EventProcessingFailed
from .runners import RUNNER_NAMES, make_runner

# eventsourcing-sqlalchemy names every tracking table's record class alike, and
# SQLAlchemy warns at each one; the tables themselves are distinct and correct.
warnings.filterwarnings(
    "ignore",
    message="This declarative base already contains a class with the same class name",
)

__all__ = [
    "RUNNER_NAMES",
    "ConfigurationError",
    "Database",
    "EventProcessingFailed",
    "make_runner",
    "parse_database_url",
]
