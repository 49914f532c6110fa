"""Errors shown to the user: never a traceback, always what to fix and where."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


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


def _folded(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def closest_name(name: Any, candidates: Iterable[str]) -> str | None:
    """The valid name the user most likely meant by `name`, or None.

    Tried in order: the same name but for case and '-'/' '/'_' (`Device-ID` -> `device_id`); the
    only candidate that `name` begins, from 3 characters on (`separate_repo` ->
    `separate_repository`, `env` -> `environment`); difflib's closest match, similarity >= 0.6
    (`replica` -> `replicas`, `device_idx` -> `device_id`).
    """
    if not isinstance(name, str) or not name.strip():
        return None
    folded: dict[str, str] = {}
    for candidate in candidates:
        if isinstance(candidate, str) and candidate != name:
            folded.setdefault(_folded(candidate), candidate)
    typed = _folded(name)
    if typed in folded:
        return folded[typed]
    if len(typed) >= 3:
        longer = [c for f, c in folded.items() if f.startswith(typed)]
        if len(longer) == 1:
            return longer[0]
    close = difflib.get_close_matches(typed, list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def did_you_mean(name: Any, candidates: Iterable[str]) -> str:
    """The suffix `; did you mean 'x'?` when a valid name is close to `name`, else nothing."""
    match = closest_name(name, candidates)
    return f"; did you mean {match!r}?" if match else ""
