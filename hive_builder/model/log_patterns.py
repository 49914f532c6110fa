"""monitor_error / ignore_error patterns (manual 7.2): checked as rsyslog will compile them.

rsyslog's re_match() compiles with the C library's regcomp(REG_EXTENDED), POSIX extended syntax,
not Python's. An invalid pattern is a configuration error on the repository server that drops the
service's monitor rule; so the check calls the same regcomp through ctypes, and falls back to
Python's `re` (close, not exact) only where no C library can be loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
from functools import cache

REG_EXTENDED = 1   # the same value in glibc and musl
# generous: glibc's regex_t is 64 bytes, musl's smaller
_REGEX_T_SIZE = 256
# accepted by glibc but not what a Perl/Python writer means: \d is a literal "d" there
_PERLISMS = {"d": "[0-9]", "D": "[^0-9]"}


@cache
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        regcomp, regerror, regfree = libc.regcomp, libc.regerror, libc.regfree
    except (OSError, AttributeError):
        return None
    regcomp.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    regcomp.restype = ctypes.c_int
    regerror.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    regerror.restype = ctypes.c_size_t
    regfree.argtypes = [ctypes.c_void_p]
    regfree.restype = None
    return regcomp, regerror, regfree


def _compile_error(pattern: str) -> str | None:
    funcs = _libc()
    if funcs is None:
        try:
            re.compile(pattern)
        except re.error as exc:
            return str(exc)
        return None
    regcomp, regerror, regfree = funcs
    buf = ctypes.create_string_buffer(_REGEX_T_SIZE)
    code = regcomp(buf, pattern.encode(), REG_EXTENDED)
    if code == 0:
        regfree(buf)
        return None
    message = ctypes.create_string_buffer(256)
    regerror(code, buf, message, len(message))
    return message.value.decode(errors="replace") or f"regcomp error {code}"


def _perlism(pattern: str) -> str | None:
    index = 0
    while index < len(pattern) - 1:
        if pattern[index] == "\\":
            nxt = pattern[index + 1]
            if nxt in _PERLISMS:
                return (f"\\{nxt} is not a digit class in POSIX regular expressions (it matches a "
                        f"plain {nxt!r}): write {_PERLISMS[nxt]}")
            index += 2
        else:
            index += 1
    return None


def pattern_problem(pattern: str) -> str | None:
    """Why rsyslog would not compile `pattern` as the user means it, or None when it is fine."""
    if not pattern:
        return "an empty pattern matches every line"
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in pattern):
        return ("contains a control character, which never reaches the pattern: rsyslog stores "
                "a received control character as #ooo (a tab as #011), match that text instead")
    error = _compile_error(pattern)
    if error:
        return f"not a valid POSIX extended regular expression (as rsyslog compiles it): {error}"
    return _perlism(pattern)
