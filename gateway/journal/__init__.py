"""The durable journal: messages, stage events, deliveries, attempts, dead letters, audit.

``base`` is the interface and its records; each backend lives in its own module
(``sqlite`` now, ``postgres`` next) and passes the same test suite.
"""

from gateway.journal.base import (
    ORIGINAL_KEY,
    Attempt,
    AuditEntry,
    DeadLetter,
    DeadLetterFilter,
    Delivery,
    Event,
    Journal,
    Message,
    MessageFilter,
    NewDelivery,
    NewMessage,
    Original,
    Stats,
)

__all__ = [
    "ORIGINAL_KEY",
    "Attempt",
    "AuditEntry",
    "DeadLetter",
    "DeadLetterFilter",
    "Delivery",
    "Event",
    "Journal",
    "Message",
    "MessageFilter",
    "NewDelivery",
    "NewMessage",
    "Original",
    "Stats",
]


def open_journal(url_or_path: str) -> Journal:
    """The composition roots call this; only journal modules know database drivers."""
    from gateway.journal.sqlite import SqliteJournal

    return SqliteJournal(url_or_path.removeprefix("sqlite:///"))
