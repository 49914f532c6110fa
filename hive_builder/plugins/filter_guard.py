"""Shared by the filter plugins: a failing pure function becomes an AnsibleFilterError with its
message (a HiveError's text as is, naming file, object and attribute), never a Python traceback."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from hive_builder.errors import HiveError


def guard(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except HiveError as exc:
            raise AnsibleFilterError(str(exc)) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise AnsibleFilterError(f"{fn.__name__}: {exc}") from None
    return wrapper


def as_bool(value) -> bool:
    """A boolean as Ansible may pass it: a real bool, or a string from -e, INI files or Jinja."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def guarded_filters(*fns) -> dict:
    """A FilterModule's `filters()` result: each function under its own name, guarded."""
    return {fn.__name__: guard(fn) for fn in fns}
