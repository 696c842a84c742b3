"""An event-sourced system whose services run in one process or in many."""
