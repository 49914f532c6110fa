"""Errors shown to the user: never a traceback, always what to fix and where."""

from __future__ import annotations


class HiveError(Exception):
    """A user-facing error. The CLI prints `HIVE ERROR: <message>` and exits non-zero."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InventoryError(HiveError):
    """An invalid hive definition or service definition.

    `file` is the inventory file, `obj` the object path (e.g. "stage private",
    "service web", "service web / volume 2", "service web / port 1") and `attr` the attribute.
    """

    def __init__(self, message: str, *, file: str | None = None, obj: str | None = None,
                 attr: str | None = None, hint: str | None = None):
        self.file, self.obj, self.attr = file, obj, attr
        where = ", ".join(p for p in (file, obj, f"attribute '{attr}'" if attr else None) if p)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class InventoryErrors(HiveError):
    """Several inventory errors found in one pass (all are reported, not just the first)."""

    def __init__(self, errors: list[InventoryError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
