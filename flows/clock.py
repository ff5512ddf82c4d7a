"""The clock, in one place: flows/ reads it and passes the time to transforms/, which never do."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current UTC time, naive (all timestamps in the warehouse are UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
