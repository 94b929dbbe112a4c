"""Times as a person reads them: in Bhutan time by default, always with the zone named.

``1796188008`` means nothing to a teller; ``2026-12-02 19:46 Bhutan time (UTC+06:00)`` does.
The zone is an argument (an IANA name such as ``Asia/Thimphu``), so each role chooses it from
its settings or its command line (``DRUKID_TIME_ZONE``) and tests pass their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BHUTAN", "local_time", "valid_zone"]

BHUTAN = "Asia/Thimphu"
_NAMES = {BHUTAN: "Bhutan time", "UTC": "UTC"}


def valid_zone(name: str) -> bool:
    """Whether ``name`` is a time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_time(timestamp: int | float, zone: str = BHUTAN) -> str:
    """``timestamp`` (seconds since 1970, UTC) as a date and time in ``zone``, zone named."""
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(ZoneInfo(zone))
    offset = moment.strftime("%z")
    utc = "UTC" if offset == "+0000" else f"UTC{offset[:3]}:{offset[3:]}"
    name = _NAMES.get(zone, zone)
    label = name if name == utc else f"{name} ({utc})"
    return f"{moment:%Y-%m-%d %H:%M} {label}"
