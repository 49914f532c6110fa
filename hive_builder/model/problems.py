"""Collects every validation error of one inventory load, with the place it refers to.

Validation never stops at the first problem: users fix a whole file at once. Each parser gets a
`Where` (file + object path) and reports through it; `load_site` raises `InventoryErrors` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hive_builder.errors import InventoryError, InventoryErrors


@dataclass
class Problems:
    errors: list[InventoryError] = field(default_factory=list)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InventoryErrors(list(self.errors))


@dataclass(frozen=True)
class Where:
    """A place in the inventory: file (relative to the inventory dir) and object path."""

    problems: Problems
    file: str | None = None
    obj: str | None = None

    def at(self, obj: str) -> "Where":
        """A sub-object, e.g. `Where(obj="service web").at("volume #2")`."""
        return Where(self.problems, self.file, f"{self.obj}, {obj}" if self.obj else obj)

    def error(self, message: str, attr: str | None = None) -> None:
        self.problems.errors.append(InventoryError(message, file=self.file, obj=self.obj, attr=attr))


def type_name(value: Any) -> str:
    """The YAML-ish name of a value's type, for messages ("a list", "a number" ...)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
