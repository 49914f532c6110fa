"""PURE text of hive's progress output: what the `hive_progress` Ansible stdout callback prints
(plugins/callback/hive_progress.py) and the closing table of `hive all`.

Nothing here does I/O: counts, failures and durations in, lines of text out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

OK_MARK, FAIL_MARK, PLAY_MARK, NOTE_MARK, WARN_MARK, LIVE_MARK = "\u2713", "\u2717", "\u25b6", "\u00b7", "!", "\u2026"
STDOUT_TAIL, STDERR_TAIL = 20, 40

_COLORS = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}


def paint(text: str, color: str | None, enabled: bool) -> str:
    """`text` in an ANSI colour when `enabled` (a tty without NO_COLOR)."""
    if not enabled or color not in _COLORS:
        return text
    return f"\033[{_COLORS[color]}m{text}\033[0m"


def _mark(ok: bool, color: bool) -> str:
    return paint(OK_MARK, "green", color) if ok else paint(FAIL_MARK, "red", color)


def use_color(isatty: bool, environ: Mapping[str, str]) -> bool:
    """https://no-color.org: colour only on a terminal, never when NO_COLOR is set (any value)."""
    return isatty and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def live_enabled(isatty: bool, environ: Mapping[str, str]) -> bool:
    """The overwritten (\\r) current-task line: a terminal only, and not with NO_COLOR (plain lines)."""
    return use_color(isatty, environ)


def format_duration(seconds: float) -> str:
    """4.2s, 42s, 3m07s, 1h02m."""
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class Counts:
    """Task results as ansible's recap counts them (`ok` includes `changed`)."""
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def bad(self) -> bool:
        return bool(self.failed or self.unreachable)


def total(counts: Iterable[Counts]) -> Counts:
    result = Counts()
    for c in counts:
        result.add(c)
    return result


def counts_text(counts: Counts, color: bool = False) -> str:
    """`ok=36 changed=3`: ok always, the others only when not zero."""
    parts = [f"ok={counts.ok}"]
    for name, tint in (("changed", "yellow"), ("failed", "red"), ("unreachable", "red"),
                       ("skipped", None), ("rescued", None), ("ignored", None)):
        value = getattr(counts, name)
        if value:
            parts.append(paint(f"{name}={value}", tint, color))
    return " ".join(parts)


def play_line(name: str, color: bool = False) -> str:
    return paint(f"{PLAY_MARK} {name}", "bold", color)


def step_line(label: str, tasks: int, counts: Counts, seconds: float, *, failed: bool = False,
              color: bool = False) -> str:
    """`  ✓ docker (12 tasks)  ok=36 changed=3  4.2s` (✗ when a host failed or was unreachable)."""
    noun = "task" if tasks == 1 else "tasks"
    return (f"  {_mark(not failed, color)} {label} ({tasks} {noun})  {counts_text(counts, color)}  "
            f"{paint(format_duration(seconds), 'dim', color)}")


def host_count_lines(per_host: Mapping[str, Counts], color: bool = False, indent: str = "      ") -> list[str]:
    """One line per host (sorted), aligned: used under a failed step and as the closing recap."""
    width = max(map(len, per_host), default=0)
    return [f"{indent}{_mark(not per_host[host].bad, color)} {host.ljust(width)}  "
            f"{counts_text(per_host[host], color)}" for host in sorted(per_host)]


def recap_lines(per_host: Mapping[str, Counts], color: bool = False) -> list[str]:
    """Replaces ansible's PLAY RECAP: one line per host, zero counts left out (but `ok`)."""
    return [paint("recap:", "bold", color)] + host_count_lines(per_host, color, indent="  ")


def task_label(task_name: str, role: str | None) -> str:
    return f"{role} : {task_name}" if role and not task_name.startswith(f"{role} : ") else task_name


def _block(title: str, text: object, limit: int, indent: str) -> list[str]:
    """`title: text` on one line, or its last `limit` lines under `title:`."""
    if text in (None, "", []):
        return []
    if isinstance(text, list):
        text = "\n".join(str(t) for t in text)
    all_lines = str(text).rstrip("\n").splitlines()
    shown, cut = all_lines[-limit:], max(0, len(all_lines) - limit)
    if len(shown) == 1 and not cut:
        return [f"{indent}{title}: {shown[0]}"]
    head = f"{indent}{title} (last {limit} of {limit + cut} lines):" if cut else f"{indent}{title}:"
    return [head] + [f"{indent}  {line}" for line in shown]


def result_detail(result: Mapping[str, object], indent: str = "      ") -> list[str]:
    """msg, rc, stderr, stdout tail of a module result; readable, not a JSON dump."""
    lines: list[str] = []
    msg = result.get("msg")
    if msg not in (None, ""):
        lines += _block("msg", msg if isinstance(msg, (str, list)) else repr(msg), STDERR_TAIL, indent)
    if result.get("rc") is not None:
        lines.append(f"{indent}rc: {result['rc']}")
    if result.get("cmd"):
        cmd = result["cmd"]
        lines.append(f"{indent}cmd: {' '.join(map(str, cmd)) if isinstance(cmd, list) else cmd}")
    lines += _block("stderr", result.get("stderr"), STDERR_TAIL, indent)
    lines += _block("stdout", result.get("stdout"), STDOUT_TAIL, indent)
    lines += _block("module stderr", result.get("module_stderr"), STDERR_TAIL, indent)
    lines += _block("module stdout", result.get("module_stdout"), STDOUT_TAIL, indent)
    reason = result.get("reason")
    if reason and not msg:
        lines += _block("reason", reason, STDERR_TAIL, indent)
    for item in result.get("results") or ():   # a loop: the items that failed
        if isinstance(item, Mapping) and (item.get("failed") or item.get("unreachable")):
            label = item.get("_ansible_item_label", item.get("item"))
            lines.append(f"{indent}item {label!r}:")
            lines += result_detail(item, indent + "  ")
    if not lines:
        lines.append(f"{indent}(no message; the log has the full result)")
    return lines


def failure_text(host: str, task_name: str, role: str | None, result: Mapping[str, object], *,
                 unreachable: bool = False, color: bool = False) -> str:
    """The whole story of a failed task or an unreachable host, for a human."""
    what = "UNREACHABLE" if unreachable else "FAILED"
    head = paint(f"  {FAIL_MARK} {what}: {host}", "red", color)
    lines = [f"{head}  task: {task_label(task_name, role)}"]
    lines += result_detail(result)
    return "\n".join(lines)


def note_lines(notes: Sequence[tuple[str, str, str]], color: bool = False) -> list[str]:
    """Messages of debug tasks (`·`, kind "note") and module warnings (`!`, kind "warning") under
    their step, given as (kind, host, text); each distinct text once, with the number of hosts
    that gave it when more than one did."""
    seen: dict[tuple[str, str], list[str]] = {}
    for kind, host, text in notes:
        seen.setdefault((kind, text), []).append(host)
    lines = []
    for (kind, text), hosts in seen.items():
        mark = paint(WARN_MARK, "yellow", color) if kind == "warning" else NOTE_MARK
        who = f" ({len(hosts)} hosts)" if len(hosts) > 1 else ""
        first, *rest = str(text).splitlines() or [""]
        lines.append(f"      {mark} {first}{who}")
        lines += [f"        {line}" for line in rest]
    return lines


def live_text(label: str, seconds: float, width: int) -> str:
    """The current task on a terminal, cut to its width (overwritten with \\r)."""
    text = f"  {LIVE_MARK} {label}  {format_duration(seconds)}"
    width = max(20, width - 1)
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def phase_table(rows: Sequence[tuple[str, bool | None, float | None]], total_seconds: float,
                color: bool = False, skipped: Collection[str] = ()) -> str:
    """Closing table of `hive all`: phase, ✓/✗ (None: not run), duration; then the total.
    `skipped`: phases found unchanged, not run."""
    width = max([len("phase")] + [len(name) for name, _, _ in rows])
    lines = [f"  {'phase'.ljust(width)}      duration"]
    for name, ok, seconds in rows:
        if ok is None:
            mark, took = "-", "not run"
        elif ok and name in skipped:
            mark, took = _mark(ok, color), f"unchanged, skipped ({format_duration(seconds or 0.0)})"
        else:
            mark, took = _mark(ok, color), format_duration(seconds or 0.0)
        lines.append(f"  {name.ljust(width)}  {mark}   {took}")
    lines.append(f"  {'total'.ljust(width)}      {format_duration(total_seconds)}")
    return "\n".join(lines)


__all__ = ["Counts", "total", "counts_text", "format_duration", "play_line", "step_line",
           "host_count_lines", "recap_lines", "failure_text", "result_detail", "note_lines",
           "live_text", "phase_table", "paint", "use_color", "live_enabled", "task_label"]
