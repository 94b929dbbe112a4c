"""servicekit.database.storage_fault: the cause a 503 and its log line name (issue 15, 9)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from servicekit.database import storage_fault


def _sqlite(message: str) -> OperationalError:
    return OperationalError("INSERT ...", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("exc", "code", "cause"),
    [
        (_sqlite("database or disk is full"), "storage_full", "disk full"),
        (OSError(errno.ENOSPC, "No space left on device"), "storage_full", "disk full"),
        (_sqlite("attempt to write a readonly database"), "storage_read_only", "read-only"),
        (OSError(errno.EROFS, "Read-only file system"), "storage_read_only", "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "storage_read_only", "read-only"),
        (_sqlite("database is locked"), "database_unavailable", "locked"),
        (_sqlite("connection refused"), "database_unavailable", "unreachable"),
    ],
)
def test_storage_fault(exc: BaseException, code: str, cause: str) -> None:
    fault = storage_fault(exc)
    assert (fault.code, fault.cause) == (code, cause)
    assert fault.what_to_do


def test_postgres_disk_full_by_sqlstate() -> None:
    class DiskFull(Exception):
        sqlstate = "53100"

    assert storage_fault(OperationalError("x", {}, DiskFull("x"))).cause == "disk full"
