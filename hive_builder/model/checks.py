"""Small type checks shared by the parsers: each reports "expected X, found Y" and returns a bool."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hive_builder.errors import closest_name, did_you_mean
from hive_builder.model.problems import Where, type_name

STAGES = ("private", "staging", "production")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def want_str(w: Where, value: Any, attr: str, *, empty_ok: bool = False) -> bool:
    if isinstance(value, str) and (empty_ok or value):
        return True
    w.error(f"expected a {'' if empty_ok else 'non-empty '}string, found {type_name(value)}", attr)
    return False


def want_bool(w: Where, value: Any, attr: str) -> bool:
    if isinstance(value, bool):
        return True
    w.error(f"expected true or false, found {type_name(value)}", attr)
    return False


def want_int(w: Where, value: Any, attr: str, lo: int | None = None, hi: int | None = None) -> bool:
    if is_int(value) and (lo is None or value >= lo) and (hi is None or value <= hi):
        return True
    bounds = (f" between {lo} and {hi}" if hi is not None else f" >= {lo}") if lo is not None else ""
    w.error(f"expected an integer{bounds}, found {type_name(value)}", attr)
    return False


def want_mapping(w: Where, value: Any, attr: str | None) -> bool:
    if isinstance(value, dict):
        return True
    w.error(f"expected a mapping, found {type_name(value)}", attr)
    return False


def want_list(w: Where, value: Any, attr: str | None) -> bool:
    if isinstance(value, list):
        return True
    w.error(f"expected a list, found {type_name(value)}", attr)
    return False


def want_str_list(w: Where, value: Any, attr: str, *, scalars: bool = False) -> bool:
    """A list of strings (`scalars`: numbers allowed too, e.g. command arguments)."""
    ok_types = (str, int, float) if scalars else (str,)
    if isinstance(value, list) and all(isinstance(v, ok_types) and not isinstance(v, bool)
                                       for v in value):
        return True
    what = "strings or numbers" if scalars else "strings"
    found = type_name(value) if not isinstance(value, list) else "a list containing " + ", ".join(
        type_name(v) for v in value if not isinstance(v, ok_types) or isinstance(v, bool))
    w.error(f"expected a list of {what}, found {found}", attr)
    return False


def want_one_of(w: Where, value: Any, attr: str, allowed: Iterable[str]) -> bool:
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return True
    w.error(f"expected one of {', '.join(allowed)}, found {type_name(value)}"
            + did_you_mean(value, allowed), attr)
    return False


def want_stages(w: Where, value: Any, attr: str) -> tuple[str, ...] | None:
    """A list of stage names (available_on, pull_on)."""
    if not want_list(w, value, attr):
        return None
    bad = [v for v in value if v not in STAGES]
    if bad:
        w.error(f"expected stage names among {', '.join(STAGES)}, found "
                + ", ".join(_with_guess(b, STAGES) if isinstance(b, str) else type_name(b)
                            for b in bad), attr)
        return None
    return tuple(dict.fromkeys(value))


def _with_guess(name: str, candidates: Iterable[str]) -> str:
    """`'prod' (did you mean 'production'?)` in a list of wrong names."""
    match = closest_name(name, candidates)
    return f"{name!r} (did you mean {match!r}?)" if match else repr(name)


def unknown_key(w: Where, key: Any, allowed: Iterable[str], what: str) -> None:
    """Report `key` (as typed) unknown in `what`: the closest valid key, else the valid ones."""
    allowed = tuple(allowed)
    hint = did_you_mean(key, allowed) or f"; expected one of {', '.join(allowed)}"
    w.error(f"unknown parameter {key!r} in {what}{hint}", str(key))


def reject_unknown(w: Where, mapping: dict, allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    for key in mapping:
        if key not in allowed:
            unknown_key(w, key, allowed, what)
