"""Polling helpers shared by end-to-end tests that wait for something a site does by itself."""

from __future__ import annotations

import time
import urllib.error
import urllib.request


def wait_for(what: str, probe, timeout: float, interval: float = 1.0):
    """Poll `probe` until it returns something true; fail naming `what` and the last value seen.
    A probe raising AssertionError (e.g. ssh to a server still booting) means "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except AssertionError as exc:
            value = f"probe failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"
            ok = False
        else:
            ok = bool(value)
        if ok:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last seen: {value!r})")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5) -> tuple[int, str]:
    """(status, body); status 0 with the error text when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)
