"""Ansible stdout callback `hive_progress`: one line per play and per role (step) instead of
ansible's thousands of lines; failures told in full; the full default-style detail goes to the
log (ansible.cfg's log_path) only.

Thin: the text is made by hive_builder.execution.progress_format (pure, unit-tested). `hive`
selects this callback unless -v (ANSIBLE_STDOUT_CALLBACK / ANSIBLE_CALLBACK_PLUGINS).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: hive_progress
type: stdout
short_description: compact progress of a hive phase (one line per role), failures in full
description:
  - One line per play and per step (consecutive tasks of one role; tasks without a role grouped
    per play; every task of a play of strategy free) with ok/changed/failed/unreachable counts
    summed over hosts, and the duration.
  - On a terminal (without NO_COLOR) a live line shows the current task.
  - The full task-level output goes to the log (log_path) only, its results in
    callback_result_format (hive's ansible.cfg says yaml).
extends_documentation_fragment:
  - result_format_callback
"""

import json
import os
import shutil
import sys
import threading
import time

from ansible.plugins.callback import CallbackBase

from hive_builder.execution import progress_format as fmt

DEBUG_ACTIONS = ("debug", "ansible.builtin.debug", "ansible.legacy.debug")


def _role_name(task) -> str | None:
    role = getattr(task, "_role", None)
    return None if role is None else role.get_name()


def _message(summary) -> str:
    event = getattr(summary, "event", None)
    return str(getattr(event, "msg", None) or summary)


class _Step:
    """Consecutive tasks of one role (or of no role) in one play; in a play of strategy free,
    where each host goes through the roles at its own pace, every task of the play (the label
    then names the roles in the order they started)."""

    def __init__(self, role: str | None):
        self.role = role
        self.labels = [role or "tasks"]
        self.started = time.monotonic()
        self.tasks = 0
        self.per_host: dict[str, fmt.Counts] = {}
        self.notes: list[tuple[str, str, str]] = []   # (kind, host, text): fmt.note_lines

    @property
    def label(self) -> str:
        return ", ".join(self.labels)

    def add_role(self, role: str | None) -> None:
        if (role or "tasks") not in self.labels:
            self.labels.append(role or "tasks")

    def count(self, host: str, status: str, changed: bool = False) -> None:
        """Count one result as ansible's recap does: a changed result is also ok, an ignored
        failure is ok too (and changed when it changed something)."""
        counts = self.per_host.setdefault(host, fmt.Counts())
        if status in ("changed", "ignored"):
            counts.ok += 1
        if status == "ignored" and changed:
            counts.changed += 1
        setattr(counts, status, getattr(counts, status) + 1)

    @property
    def failed(self) -> bool:
        return any(c.bad for c in self.per_host.values())


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "hive_progress"

    def __init__(self, display=None, options=None, stream=None, environ=None):
        super().__init__(display=display, options=options)
        self._out = stream or sys.stdout
        environ = os.environ if environ is None else environ
        tty = self._out.isatty()
        self._color = fmt.use_color(tty, environ)
        self._live = fmt.live_enabled(tty, environ)
        self._lock = threading.RLock()
        self._step: _Step | None = None
        self._free_play = False     # strategy free: the hosts' tasks interleave, one step per play
        self._current = ""          # live line: current task label
        self._current_started = time.monotonic()
        self._live_shown = False
        self._deprecations = 0
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- output -------------------------------------------------------------------------------
    def _emit(self, text: str) -> None:
        with self._lock:
            self._clear_live()
            self._out.write(text + "\n")
            self._out.flush()
            self._draw_live()

    def _log(self, text: str) -> None:
        """Default-style detail for the log file only (ansible's log_path; nothing when unset)."""
        self._display.display(text, log_only=True)

    def _clear_live(self) -> None:
        if self._live and self._live_shown:
            self._out.write("\r\033[K")
            self._live_shown = False

    def _draw_live(self) -> None:
        if not self._live or not self._current:
            return
        width = shutil.get_terminal_size((100, 24)).columns
        self._out.write("\r\033[K" + fmt.paint(
            fmt.live_text(self._current, time.monotonic() - self._current_started, width), "dim",
            self._color))
        self._out.flush()
        self._live_shown = True

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                self._draw_live()

    def _start_ticker(self) -> None:
        if self._live and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="hive_progress", daemon=True)
            self._ticker.start()

    # ---- steps --------------------------------------------------------------------------------
    def _close_step(self) -> None:
        step, self._step = self._step, None
        if step is None:
            return
        counts = fmt.total(step.per_host.values())
        lines = [fmt.step_line(step.label, step.tasks, counts, time.monotonic() - step.started,
                               failed=step.failed, color=self._color)]
        if step.failed:
            lines += fmt.host_count_lines(step.per_host, self._color)
        lines += fmt.note_lines(step.notes, self._color)
        with self._lock:
            self._current = ""
            self._emit("\n".join(lines))

    def _task_started(self, task, handler: bool = False) -> None:
        role = _role_name(task)
        if self._step is not None and self._step.role != role and not self._free_play:
            self._close_step()
        if self._step is None:
            self._step = _Step(role)
        else:
            self._step.add_role(role)
        self._step.tasks += 1
        label = task.get_name()   # "role : name" (ansible's TASK [...] label)
        with self._lock:
            self._current = label + (" (handler)" if handler else "")
            self._current_started = time.monotonic()
            self._draw_live()
        self._log(f"{'RUNNING HANDLER' if handler else 'TASK'} [{label}]")

    def _count(self, result, status: str) -> _Step:
        """Count the result in the current step (which it returns)."""
        if self._step is None:   # a result outside any announced task (should not happen)
            self._step = _Step(None)
        self._step.count(result.host.get_name(), status, bool(result.result.get("changed", False)))
        return self._step

    def _warnings(self, result, step: _Step) -> None:
        """Module warnings: a compact note under the step (and the log); deprecations: log only."""
        host = result.host.get_name()
        for w in getattr(result, "warnings", None) or ():
            text = _message(w)
            self._log(f"[WARNING]: {host}: {text}")
            step.notes.append(("warning", host, text))
        for d in getattr(result, "deprecations", None) or ():
            self._deprecations += 1
            self._log(f"[DEPRECATION WARNING]: {host}: {_message(d)}")

    @staticmethod
    def _debug_notes(result, step: _Step) -> None:
        """debug tasks' `msg`: the playbooks' messages for the user."""
        res = result.result
        items = res.get("results") if isinstance(res.get("results"), list) else [res]
        host = result.host.get_name()
        for item in items:
            if isinstance(item, dict) and "msg" in item and not item.get("skipped"):
                msg = item["msg"]
                step.notes.append(("note", host, msg if isinstance(msg, str) else json.dumps(msg)))

    def _failure(self, result, unreachable: bool = False) -> None:
        self._emit(fmt.failure_text(result.host.get_name(), result.task.get_name(),
                                    _role_name(result.task), result.result,
                                    unreachable=unreachable, color=self._color))

    def _log_result(self, word: str, result, show: bool = False, failed: bool = False) -> None:
        label = self.host_label(result) + ("]: FAILED!" if failed else "]")
        if show:
            self._log(f"{word}: [{label} => {self._dump_results(result.result, indent=4)}")
        else:
            self._log(f"{word}: [{label}")

    # ---- ansible events -------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        self._start_ticker()
        self._log(f"PLAYBOOK: {os.path.basename(getattr(playbook, '_file_name', '') or '')}")

    def v2_playbook_on_play_start(self, play):
        self._close_step()
        self._free_play = str(getattr(play, "strategy", "") or "").rsplit(".", 1)[-1] == "free"
        name = play.get_name().strip() or "play"
        self._emit(fmt.play_line(name, self._color))
        self._log(f"PLAY [{name}]")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started(task, handler=True)

    def v2_playbook_on_no_hosts_matched(self):
        self._emit("  (no hosts matched)")
        self._log("skipping: no hosts matched")

    def v2_runner_on_ok(self, result):
        status = "changed" if result.result.get("changed", False) else "ok"
        step = self._count(result, status)
        self._warnings(result, step)
        is_debug = getattr(result.task, "action", "") in DEBUG_ACTIONS
        if is_debug:
            self._debug_notes(result, step)
        self._log_result(status, result, show=is_debug or self._run_is_verbose(result))

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")
        self._log_result("skipping", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._warnings(result, self._count(result, "ignored" if ignore_errors else "failed"))
        self._log_result("fatal", result, show=True, failed=True)
        if ignore_errors:
            self._log("...ignoring")
        else:
            self._failure(result)

    def v2_runner_on_unreachable(self, result):
        # ignore_unreachable: ansible's recap counts the host ok and ignored, and goes on with it
        ignored = bool(getattr(result.task, "ignore_unreachable", False))
        self._count(result, "ignored" if ignored else "unreachable")
        self._log(f"fatal: [{self.host_label(result)}]: UNREACHABLE! => "
                  f"{self._dump_results(result.result, indent=4)}")
        if ignored:
            self._log("...ignoring")
        else:
            self._failure(result, unreachable=True)

    def v2_runner_item_on_ok(self, result):
        word = "changed" if result.result.get("changed", False) else "ok"
        self._log(f"{word}: [{self.host_label(result)}] => (item={self._get_item_label(result.result)})")

    def v2_runner_item_on_failed(self, result):
        self._log(f"failed: [{self.host_label(result)}] (item={self._get_item_label(result.result)}) => "
                  f"{self._dump_results(result.result, indent=4)}")

    def v2_runner_item_on_skipped(self, result):
        self._log(f"skipping: [{self.host_label(result)}] => (item={self._get_item_label(result.result)})")

    def v2_runner_retry(self, result):
        attempts = result.result.get("attempts", "?")
        retries = result.result.get("retries", "?")
        self._log(f"FAILED - RETRYING: [{self.host_label(result)}]: {result.task.get_name()} "
                  f"({attempts} of {retries})")
        with self._lock:
            base = self._current.split("  [retry", 1)[0]
            self._current = f"{base}  [retry {attempts}/{retries}]"
            self._draw_live()

    def v2_on_file_diff(self, result):
        if result.result.get("diff"):
            self._log(self._get_diff(result.result["diff"]))

    def v2_playbook_on_include(self, included_file):
        self._log(f"included: {included_file._filename} for "
                  f"{', '.join(h.get_name() for h in included_file._hosts)}")

    def v2_playbook_on_stats(self, stats):
        self._close_step()
        self._stop.set()
        hosts = sorted(stats.processed.keys())
        self._log("PLAY RECAP")
        per_host = {}
        for host in hosts:
            s = stats.summarize(host)
            per_host[host] = fmt.Counts(ok=s["ok"], changed=s["changed"], failed=s["failures"],
                                        unreachable=s["unreachable"], skipped=s["skipped"],
                                        rescued=s["rescued"], ignored=s["ignored"])
            self._log(f"{host} : {fmt.counts_text(per_host[host])}")
        # always: per-host counts are how an operator sees that a second run changed nothing
        self._emit("\n".join(fmt.recap_lines(per_host, self._color)))
        if self._deprecations:
            self._emit(f"  ({self._deprecations} deprecation warning(s): see the log)")
