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
