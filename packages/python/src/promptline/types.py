"""Public shapes that are not prompts or spans."""

from dataclasses import dataclass, field
from typing import List


@dataclass(frozen=True)
class UpdateEvent:
    """Payload of the ``update`` event: a new snapshot is in memory."""

    environment: str
    etag: str
    #: ``server`` for a fetched snapshot, ``cache`` for the disk copy read at start.
    source: str
    #: Prompts whose release or content changed (added and removed ones included).
    changed: List[str] = field(default_factory=list)
