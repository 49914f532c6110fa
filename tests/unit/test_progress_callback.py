"""The hive_progress stdout callback: a real ansible-playbook on localhost (local connection, about
five seconds) and its v2_* methods driven with small fakes for the terminal behaviour."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder.execution.ansible import CALLBACK_DIR, PROGRESS_CALLBACK

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

PLAYBOOK = """
- name: first play
  hosts: all
  gather_facts: false
  tasks:
    - name: say hello
      ansible.builtin.debug: {msg: "hello from the playbook"}
    - name: run true
      ansible.builtin.command: "true"
    - name: skipped one
      ansible.builtin.command: "true"
      when: false
    - name: ignored failure
      ansible.builtin.command: "false"
      ignore_errors: true
- name: role play
  hosts: all
  gather_facts: false
  roles: [myrole]
- name: second play
  hosts: all
  gather_facts: false
  tasks:
    - name: break it
      ansible.builtin.shell: "echo some output; echo bad thing >&2; exit 3"
    - name: never reached
      ansible.builtin.debug: {msg: never}
"""

ROLE_TASKS = """
- name: role task one
  ansible.builtin.command: "true"
  changed_when: false
- name: role task two
  ansible.builtin.command: "true"
- name: loop
  ansible.builtin.debug: {msg: "item {{ item }}"}
  loop: [a, b]
"""


LOCALHOST = ("-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}")


def run_playbook(tmp_path: Path, text: str, *target: str,
                 **extra_env: str) -> tuple[subprocess.CompletedProcess, str]:
    """ansible-playbook with the hive_progress callback on `target` (inventory and connection
    options; default: localhost, local connection); its output and its log."""
    (tmp_path / "pb.yml").write_text(text)
    (tmp_path / "roles" / "myrole" / "tasks").mkdir(parents=True, exist_ok=True)
    (tmp_path / "roles" / "myrole" / "tasks" / "main.yml").write_text(ROLE_TASKS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "HIVE_", "NO_COLOR"))}
    env.update(ANSIBLE_STDOUT_CALLBACK=PROGRESS_CALLBACK, ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
               ANSIBLE_LOG_PATH=str(tmp_path / "hive.log"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_RETRY_FILES_ENABLED="False", **extra_env)
    proc = subprocess.run([ANSIBLE_PLAYBOOK, *(target or LOCALHOST), "pb.yml"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc, (tmp_path / "hive.log").read_text()


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    return run_playbook(tmp_path_factory.mktemp("pb"), PLAYBOOK)


def test_real_run_one_line_per_play_and_step(failing_run):
    proc, _ = failing_run
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert lines[0] == "\u25b6 first play"
    assert lines[1].startswith("  \u2713 tasks (4 tasks)  ok=3 changed=2 skipped=1 ignored=1  ")
    assert lines[2] == "      \u00b7 hello from the playbook"
    assert lines[3] == "\u25b6 role play"
    assert lines[4].startswith("  \u2713 myrole (3 tasks)  ok=3 changed=1  ")
    assert lines[5:7] == ["      \u00b7 item a", "      \u00b7 item b"]
    assert lines[7] == "\u25b6 second play"
    assert "TASK [" not in proc.stdout and "PLAY RECAP" not in proc.stdout and "\033[" not in proc.stdout


def test_real_run_failure_in_full_then_recap(failing_run):
    proc, _ = failing_run
    out = proc.stdout
    failure = out[out.index("\u2717 FAILED: localhost"):]
    assert failure.splitlines()[:6] == [
        "\u2717 FAILED: localhost  task: break it",
        "      msg: non-zero return code",
        "      rc: 3",
        "      cmd: echo some output; echo bad thing >&2; exit 3",
        "      stderr: bad thing",
        "      stdout: some output",
    ]
    assert "  \u2717 tasks (1 task)  ok=0 failed=1  " in out
    assert out.rstrip().splitlines()[-2:] == ["recap:", "  \u2717 localhost  ok=6 changed=3 failed=1 "
                                                         "skipped=1 ignored=1"]
    assert "never" not in out


def test_real_run_log_has_the_full_detail(failing_run):
    _, log = failing_run
    for expected in ("PLAY [first play]", "TASK [say hello]", "TASK [myrole : role task one]",
                     "changed: [localhost]", "skipping: [localhost]", "...ignoring",
                     "ok: [localhost] => (item=a)", "fatal: [localhost]: FAILED! =>",
                     '"stderr": "bad thing"', "PLAY RECAP", "localhost : ok=6 changed=3 failed=1"):
        assert expected in log, expected


def test_real_run_that_went_well_ends_with_a_clean_recap(tmp_path):
    proc, _ = run_playbook(tmp_path, PLAYBOOK.split("- name: second play")[0])
    assert proc.returncode == 0
    assert "\u2717" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[-3].startswith("      \u00b7 item b")
    assert lines[-2:] == ["recap:", "  \u2713 localhost  ok=6 changed=3 skipped=1 ignored=1"]


def test_real_run_unreachable(tmp_path):
    text = ("- hosts: all\n  gather_facts: false\n  tasks:\n    - name: ping it\n"
            "      ansible.builtin.ping:\n")
    proc, _ = run_playbook(tmp_path, text, "-i", "nohost.invalid,",
                           ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_TIMEOUT="2")
    assert proc.returncode == 4
    assert "\u2717 UNREACHABLE: nohost.invalid  task: ping it" in proc.stdout
    assert "      msg: " in proc.stdout
    assert "  \u2717 nohost.invalid  ok=0 unreachable=1" in proc.stdout


# ---- the plugin driven by fakes: terminal behaviour ---------------------------------------------

class FakeStream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


class Named:
    """A host, role or play: what the plugin asks of them is their name."""

    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


FakeHost = FakeRole = FakePlay = Named


class FakeTask:
    def __init__(self, name, role=None, action="ansible.builtin.command"):
        self.name, self.action, self._role = name, action, FakeRole(role) if role else None
        self.delegate_to = None

    def get_name(self):
        return f"{self._role.name} : {self.name}" if self._role else self.name


class FakeResult:
    def __init__(self, host, task, result, warnings=()):
        self.host, self.task, self.result, self.warnings, self.deprecations = \
            FakeHost(host), task, result, list(warnings), []


class FakeStats:
    def __init__(self, per_host):
        self.processed = dict.fromkeys(per_host, 1)
        self.per_host = per_host

    def summarize(self, host):
        base = dict(ok=0, changed=0, failures=0, unreachable=0, skipped=0, rescued=0, ignored=0)
        return {**base, **self.per_host[host]}


class FakeDisplay:
    def __init__(self):
        self.logged = []
        self.verbosity = 0

    def display(self, msg, log_only=False, **kw):
        assert log_only
        self.logged.append(msg)


def make_callback(tty, environ):
    from hive_builder.plugins.callback.hive_progress import CallbackModule
    stream = FakeStream(tty)
    display = FakeDisplay()
    cb = CallbackModule(display=display, stream=stream, environ=environ)
    return cb, stream, display


def drive(cb):
    cb.v2_playbook_on_play_start(FakePlay("setup hosts"))
    t1 = FakeTask("install packages", "docker")
    cb.v2_playbook_on_task_start(t1, False)
    cb.v2_runner_on_ok(FakeResult("h0", t1, {"changed": True}, warnings=["apt cache is old"]))
    cb.v2_runner_on_ok(FakeResult("h1", t1, {"changed": False}, warnings=["apt cache is old"]))
    t2 = FakeTask("start docker", "docker")
    cb.v2_playbook_on_task_start(t2, False)
    cb.v2_runner_on_failed(FakeResult("h1", t2, {"msg": "unit docker.service failed", "rc": 1}))
    cb.v2_runner_on_ok(FakeResult("h0", t2, {}))
    cb.v2_playbook_on_stats(FakeStats({"h0": {"ok": 2, "changed": 1}, "h1": {"ok": 1, "failures": 1}}))


# NO_COLOR: plain lines even on a terminal (no colour, no live line)
@pytest.mark.parametrize("tty, environ", [(False, {}), (True, {"NO_COLOR": "1"})])
def test_fake_plain_when_not_a_tty_or_no_color(tty, environ):
    cb, stream, display = make_callback(tty, environ)
    drive(cb)
    out = stream.getvalue()
    assert "\r" not in out and "\033[" not in out
    lines = out.splitlines()
    assert lines[0] == "\u25b6 setup hosts"
    assert lines[1:3] == ["  \u2717 FAILED: h1  task: docker : start docker",
                          "      msg: unit docker.service failed"]
    assert lines[4].startswith("  \u2717 docker (2 tasks)  ok=3 changed=1 failed=1  ")
    assert lines[5:7] == ["      \u2713 h0  ok=2 changed=1", "      \u2717 h1  ok=1 failed=1"]
    assert lines[7] == "      ! apt cache is old (2 hosts)"
    assert lines[8:] == ["recap:", "  \u2713 h0  ok=2 changed=1", "  \u2717 h1  ok=1 failed=1"]
    assert "TASK [docker : install packages]" in display.logged
    assert "[WARNING]: h0: apt cache is old" in display.logged


def test_fake_live_line_and_colour_on_a_tty():
    cb, stream, _ = make_callback(True, {"TERM": "xterm"})
    drive(cb)
    out = stream.getvalue()
    assert "\r\033[K" in out and "docker : install packages" in out.split("\n")[1]
    assert "\033[32m" in out or "\033[31m" in out
    assert out.endswith("\n")   # the live line is cleared before the end


def test_fake_ignore_unreachable_is_counted_as_ansible_does():
    cb, stream, display = make_callback(False, {})
    cb.v2_playbook_on_play_start(FakePlay("probe"))
    task = FakeTask("ping it")
    task.ignore_unreachable = True
    cb.v2_playbook_on_task_start(task, False)
    cb.v2_runner_on_unreachable(FakeResult("h0", task, {"msg": "timed out", "unreachable": True}))
    cb.v2_playbook_on_stats(FakeStats({"h0": {"ok": 1, "ignored": 1}}))
    lines = stream.getvalue().splitlines()
    assert lines[1].startswith("  \u2713 tasks (1 task)  ok=1 ignored=1  ")
    assert "UNREACHABLE" not in stream.getvalue()
    assert lines[-1] == "  \u2713 h0  ok=1 ignored=1"
    assert "...ignoring" in display.logged


def test_fake_free_strategy_play_is_one_step_naming_its_roles():
    """Under strategy free the hosts' tasks of different roles interleave: one line for the play,
    every result counted in it (a linear play gets a line per run of one role)."""
    cb, stream, _ = make_callback(False, {})
    play = FakePlay("apply roles in build containers")
    play.strategy = "free"
    cb.v2_playbook_on_play_start(play)
    for host, role in (("image_db", "python-aptk"), ("image_web", "python-aptk"), ("image_db", "demo-db"),
                       ("image_web", "demo-web"), ("image_db", None)):
        task = FakeTask(f"{role} task", role)
        cb.v2_playbook_on_task_start(task, False)
        cb.v2_runner_on_ok(FakeResult(host, task, {"changed": role is not None}))
    linear = FakePlay("next")
    cb.v2_playbook_on_play_start(linear)
    for role in ("a", "b"):
        task = FakeTask("t", role)
        cb.v2_playbook_on_task_start(task, False)
        cb.v2_runner_on_ok(FakeResult("h0", task, {}))
    cb.v2_playbook_on_stats(FakeStats({"image_db": {"ok": 3, "changed": 2}, "image_web": {"ok": 2, "changed": 2},
                                       "h0": {"ok": 2}}))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "\u25b6 apply roles in build containers"
    assert lines[1].startswith("  \u2713 python-aptk, demo-db, demo-web, tasks (5 tasks)  ok=5 changed=4  ")
    assert lines[2] == "\u25b6 next"
    assert lines[3].startswith("  \u2713 a (1 task)  ok=1  ") and lines[4].startswith("  \u2713 b (1 task)  ok=1  ")
