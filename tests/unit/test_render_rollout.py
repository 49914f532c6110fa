"""deploy-services rollout and convergence (render/rollout.py; reference §6.6, §14.6 item 57):
force updates, `docker service ps` reports, and the stability check that ends the deploy."""

from __future__ import annotations

import json

import pytest

from hive_builder.render.rollout import (PS_MARK, all_converged, convergence_report, explain_task_error,
                                         needs_force_update, ps_command, ps_report, split_ps,
                                         stability_failures)


# ---------------------------------------------------------------- force update (§14.6 item 57)


def test_force_update_when_a_running_image_differs_from_the_pulled_one():
    pulled = {"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:new"}
    assert needs_force_update({"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:old"}, pulled) is True
    assert needs_force_update({"p-hive0.pdns": ["sha256:new", "sha256:old"]}, pulled) is True


def test_no_force_update_when_all_running_images_are_current():
    pulled = {"p-hive0.pdns": "sha256:new", "p-hive1.pdns": "sha256:other"}
    assert needs_force_update({"p-hive0.pdns": "sha256:new", "p-hive1.pdns": ["sha256:other"]}, pulled) is False
    assert needs_force_update({}, pulled) is False


def test_force_update_matches_short_node_names_and_ids_without_prefix():
    pulled = {"p-hive0.pdns": "sha256:abc"}
    assert needs_force_update({"p-hive0": "abc"}, pulled) is False
    assert needs_force_update({"p-hive0": "def"}, pulled) is True


def test_node_without_pull_result_is_no_reason_to_force():
    assert needs_force_update({"p-hive9": "sha256:old"}, {"p-hive0": "sha256:new"}) is False


# ---------------------------------------------------------------- convergence


def task(name, node, desired, current, error="", **extra):
    return {"Name": name, "Node": node, "DesiredState": desired, "CurrentState": current, "Error": error, **extra}


def test_converged_when_all_desired_tasks_run():
    tasks = [task("web.1", "p-hive0", "Running", "Running 5 seconds ago"),
             task("web.2", "p-hive1", "Running", "Running 4 seconds ago"),
             task("web.1", "p-hive0", "Shutdown", "Failed 1 minute ago", "task: non-zero exit (1)")]
    assert convergence_report(tasks, service="web") == (True, "service web: 2/2 tasks running")


def test_pending_for_placement_reports_scheduler_error():
    err = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    ok, message = convergence_report([task("web.1", "", "Running", "Pending 3 seconds ago", err)], service="web")
    assert ok is False
    assert "0/1 tasks running" in message and err in message and "placement constraints" in message


def test_image_pull_failure_from_rejected_history():
    tasks = [task("web.1", "p-hive1", "Ready", "Preparing 1 second ago"),
             task("web.1", "p-hive0", "Shutdown", "Rejected 3 seconds ago",
                  "No such image: p-hive0.pdns:5000/image_web:latest")]
    tasks[0]["DesiredState"] = "Running"
    ok, message = convergence_report(tasks, service="web")
    assert not ok and "image cannot be pulled" in message and "web.1 on p-hive0" in message


def test_exit_code_of_failed_task():
    tasks = [task("db.1", "p-hive2", "Running", "Starting 1 second ago"),
             task("db.1", "p-hive2", "Shutdown", "Failed 5 seconds ago", "task: non-zero exit (137)")]
    ok, message = convergence_report(tasks, service="db")
    assert not ok and "task exited with code 137" in message


def test_healthcheck_required_when_service_has_one():
    running = task("web.1", "p-hive0", "Running", "Running 2 seconds ago")
    assert convergence_report([dict(running, healthy=True)], has_healthcheck=True)[0] is True
    ok, message = convergence_report([dict(running, health="starting")], service="web", has_healthcheck=True)
    assert not ok and "health starting" in message and "0/1 tasks running and healthy" in message
    ok, message = convergence_report([running], has_healthcheck=True)
    assert not ok and "health unknown" in message
    # without a health check, health is not looked at
    assert convergence_report([dict(running, healthy=False)])[0] is True


def test_expected_replicas_not_yet_created():
    tasks = [task("web.1", "p-hive0", "Running", "Running 2 seconds ago")]
    ok, message = convergence_report(tasks, service="web", expected=3)
    assert not ok and "1/3" in message
    assert convergence_report([], expected=0)[0] is True


def test_snake_case_tasks_and_plain_waiting_message():
    tasks = [{"name": "web.1", "node": "n1", "desired_state": "running", "current_state": "preparing"}]
    ok, message = convergence_report(tasks, service="web")
    assert not ok and message == "service web: 0/1 tasks running; web.1 on n1: preparing"


# ---------------------------------------------------------------- real `docker service ps` output
# Captured from a one-node swarm (engine 20.10.24, Debian 12) with
# `docker service ps --no-trunc --format '{{json .}}' <svc>` (ID/Image/Ports fields dropped).

REAL_PS = {
    "good": [{"CurrentState": "Running 34 seconds ago", "DesiredState": "Running", "Error": "",
              "Name": "good.1", "Node": "hdfnode0"}],
    "unplaceable": [{"CurrentState": "Pending 38 seconds ago", "DesiredState": "Running",
                     "Error": "\"no suitable node (scheduling constraints not satisfied on 1 node)\"",
                     "Name": "unplaceable.1", "Node": ""}],
    "crashing": [{"CurrentState": "Starting 1 second ago", "DesiredState": "Running", "Error": "",
                  "Name": "crashing.1", "Node": "hdfnode0"},
                 {"CurrentState": "Failed 2 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"task: non-zero exit (3)\"", "Name": "crashing.1", "Node": "hdfnode0"},
                 {"CurrentState": "Failed 5 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"task: non-zero exit (3)\"", "Name": "crashing.1", "Node": "hdfnode0"}],
    "badimage": [{"CurrentState": "Rejected 1 second ago", "DesiredState": "Ready",
                  "Error": "\"No such image: hdf.invalid/nothing:1\"", "Name": "badimage.1", "Node": "hdfnode0"},
                 {"CurrentState": "Rejected 6 seconds ago", "DesiredState": "Shutdown",
                  "Error": "\"No such image: hdf.invalid/nothing:1\"", "Name": "badimage.1", "Node": "hdfnode0"}],
    "unhealthy": [{"CurrentState": "Ready 2 seconds ago", "DesiredState": "Ready", "Error": "",
                   "Name": "unhealthy.1", "Node": "hdfnode0"},
                  {"CurrentState": "Failed 3 seconds ago", "DesiredState": "Shutdown",
                   "Error": "\"task: non-zero exit (137): dockerexec: unhealthy container\"",
                   "Name": "unhealthy.1", "Node": "hdfnode0"}],
    "portclash": [{"CurrentState": "Pending 15 seconds ago", "DesiredState": "Running",
                   "Error": "\"no suitable node (host-mode port already in use on 1 node)\"",
                   "Name": "portclash.1", "Node": ""}],
}


def test_real_running_healthy_service_converges():
    tasks = [dict(t, healthy=True) for t in REAL_PS["good"]]
    assert convergence_report(tasks, service="good", has_healthcheck=True, expected=1) == (
        True, "service good: 1/1 tasks running and healthy")


@pytest.mark.parametrize(("svc", "expected"), [
    ("unplaceable", 'unplaceable.1: no suitable node (scheduling constraints not satisfied on 1 node) — check '
                    "placement constraints"),
    ("crashing", "crashing.1 on hdfnode0: task exited with code 3 (task: non-zero exit (3))"),
    ("badimage", "badimage.1 on hdfnode0: image cannot be pulled (No such image: hdf.invalid/nothing:1)"),
    ("unhealthy", "unhealthy.1 on hdfnode0: health check failed"),
    ("portclash", "a published port is taken on every node"),
])
def test_real_failures_are_explained(svc, expected):
    ok, message = convergence_report(REAL_PS[svc], service=svc, expected=1)
    assert ok is False
    assert message.startswith(f"service {svc}: 0/1 tasks running; ")
    assert expected in message
    assert '"' not in message      # the CLI's quotes around the error are removed

def test_unknown_errors_are_passed_through():
    assert explain_task_error("something new") == "something new"
    assert "mount failed" in explain_task_error("invalid mount config for type \"bind\"")
    assert "already in use" in explain_task_error("Bind for 0.0.0.0:80 failed: port is already allocated")


# ---------------------------------------------------------------- registered `docker service ps` results


def ps(item, *tasks, rc=0, stderr="", **extra):
    """What Ansible registers for one loop item of the `docker service ps` command task."""
    return {"item": item, "rc": rc, "stderr": stderr, "stdout_lines": [json.dumps(t) for t in tasks],
            "changed": False, **extra}


def running(name, task_id, node="p-hive0"):
    return dict(task(name, node, "Running", "Running 3 seconds ago"), ID=task_id)


def ps_all(*sections, rc=0, stderr=""):
    """What Ansible registers for one run of ps_command: (service, exit status, lines) sections."""
    lines = []
    for service, status, body in sections:
        lines += [f"{PS_MARK}{service} {status}", *body]
    return {"rc": rc, "stderr": stderr, "stdout_lines": lines, "changed": False}


def test_split_ps_cuts_one_result_per_service():
    web, db = running("web.1", "a"), running("db.1", "b")
    result = ps_all(("web", 0, [json.dumps(web)]), ("db", 0, ["WARNING: a note on stderr", json.dumps(db), ""]),
                    ("gone", 1, ["Error: No such service: gone"]))
    assert split_ps(result, ["web", "db", "gone"]) == [
        {"item": "web", "rc": 0, "stdout_lines": [json.dumps(web)]},
        {"item": "db", "rc": 0, "stdout_lines": [json.dumps(db)]},
        {"item": "gone", "rc": 1, "stdout_lines": [], "stderr": "Error: No such service: gone"}]


def test_split_ps_gives_the_commands_own_failure_to_every_service():
    [web] = split_ps({"rc": 255, "stdout_lines": [], "stderr": "ssh: connection refused"}, ["web"])
    assert web == {"item": "web", "rc": 255, "stdout_lines": [], "stderr": "ssh: connection refused"}
    assert ps_report(web, "web") == (False, "service web: docker service ps failed (exit 255): ssh: connection refused")
    assert split_ps({"skipped": True}, ["web"]) == []


def test_all_converged_needs_every_service():
    web, pending = running("web.1", "a"), task("db.1", "", "Running", "Pending 1 second ago")
    assert all_converged(ps_all(("web", 0, [json.dumps(web)])), ["web"])
    assert not all_converged(ps_all(("web", 0, [json.dumps(web)]), ("db", 0, [json.dumps(pending)])), ["web", "db"])
    assert not all_converged(ps_all(("web", 0, [json.dumps(web)])), ["web", "db"])


def test_ps_command_lists_services_in_one_shell_run(tmp_path):
    """PS_SCRIPT under a real sh, with a docker that answers for `web` only."""
    import os
    import subprocess
    fake = tmp_path / "docker"
    fake.write_text('#!/bin/sh\n[ "$3" = web ] && echo \'{"Name": "web.1"}\' && exit 0\n'
                    'echo "no such service: $3" >&2; exit 1\n')
    fake.chmod(0o755)
    proc = subprocess.run(ps_command(["web", "it's gone"]), capture_output=True, text=True,
                          env=dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}"))
    result = {"rc": proc.returncode, "stdout_lines": proc.stdout.splitlines(), "stderr": proc.stderr}
    assert split_ps(result, ["web", "it's gone"]) == [
        {"item": "web", "rc": 0, "stdout_lines": ['{"Name": "web.1"}']},
        {"item": "it's gone", "rc": 1, "stdout_lines": [], "stderr": "no such service: it's gone"}]


def test_ps_report_reads_the_registered_result():
    assert ps_report(ps("web", running("web.1", "a")), "web") == (True, "service web: 1/1 tasks running")
    ok, message = ps_report(ps("web", rc=1, stderr="Error: No such service: web"), "web")
    assert not ok and message == "service web: docker service ps failed (exit 1): Error: No such service: web"
    ok, message = ps_report({"item": "web", "rc": 0, "stdout_lines": ["not json"]}, "web")
    assert not ok and "cannot read docker service ps output" in message
    assert ps_report({"rc": 0, "stdout_lines": ["", "  "]}, "web") == (True, "service web: 0/0 tasks running")


def test_stable_services_have_no_failures():
    before = [ps("web", running("web.1", "a"), running("web.2", "b")), ps("db", running("db.1", "c"))]
    after = [ps("web", running("web.2", "b"), running("web.1", "a"))]       # order does not matter
    assert stability_failures(before, after, 5) == []
    assert stability_failures(before) == []


def test_unconverged_service_is_reported_with_its_task_error():
    err = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    before = [ps("web", task("web.1", "", "Running", "Pending 3 seconds ago", err)), ps("db", running("db.1", "c"))]
    (message,) = stability_failures(before, [], 5)
    assert message.startswith("service web: 0/1 tasks running; web.1: ") and "placement constraints" in message


def test_tasks_replaced_within_the_monitor_period_are_not_stable():
    before = [ps("web", running("web.1", "a"))]
    after = [ps("web", running("web.1", "b"))]                              # a new task in the same slot
    assert stability_failures(before, after, "5") == [
        "service web: 1/1 tasks running (not stable: its tasks were replaced within 5 s)"]


def test_failure_after_the_monitor_period_is_reported_once():
    before = [ps("db", running("db.1", "a"))]
    after = [ps("db", task("db.1", "p-hive0", "Running", "Starting 1 second ago"),
                dict(task("db.1", "p-hive0", "Shutdown", "Failed 2 seconds ago", "task: non-zero exit (3)"), ID="a"))]
    (message,) = stability_failures(before, after, 5)
    assert "task exited with code 3" in message and "not stable" not in message


def test_services_not_converged_before_are_not_checked_again_and_skipped_results_say_nothing():
    before = [ps("web", task("web.1", "p-hive0", "Running", "Preparing 1 second ago")),
              {"item": "db", "skipped": True, "changed": False}]
    after = [ps("web", running("web.1", "a")), ps("db", rc=1, stderr="gone")]
    assert stability_failures(before, after, 5) == ["service web: 0/1 tasks running; web.1 on p-hive0: Preparing 1 second ago"]


def test_failed_ps_after_the_monitor_period_is_a_failure():
    before = [ps("web", running("web.1", "a"))]
    (message,) = stability_failures(before, [ps("web", rc=1, stderr="Cannot connect to the Docker daemon")], 5)
    assert message == "service web: docker service ps failed (exit 1): Cannot connect to the Docker daemon"


# ---------------------------------------------------------------- Ansible filter adapter


def _filters():
    import importlib.util
    from pathlib import Path

    import hive_builder
    path = Path(hive_builder.__file__).parent / "plugins" / "filter" / "hive_deploy_filters.py"
    spec = importlib.util.spec_from_file_location("hive_deploy_filters_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()


def test_filters_used_by_deploy_yml():
    f = _filters()
    assert f["hive_ps_command"](["web"])[:2] == ["sh", "-c"]
    assert f["hive_ps_split"]({"skipped": True}, ["web"]) == []
    assert f["hive_ps_all_converged"]({"rc": 0, "stdout_lines": ["#hive-service web 0",
                                                                  json.dumps(running("web.1", "a"))]}, ["web"])
    assert f["hive_stability_failures"]([ps("web", running("web.1", "a"))], [ps("web", running("web.1", "b"))],
                                        5) == ["service web: 1/1 tasks running (not stable: its tasks were "
                                               "replaced within 5 s)"]
    assert f["hive_stability_failures"](None, None, 5) == []
    assert f["hive_needs_force_update"]({"p-hive0": "sha256:old"}, {"p-hive0": "sha256:new"}) is True
    assert f["hive_convergence"]([running("web.1", "a")], "web", "false", "1")["ok"] is True


# ---------------------------------------------------------------- deploy.yml's own tasks, real Ansible

FAKE_DOCKER = """#!{python}
# `docker service ps SERVICE ...`: prints the next of the outputs listed for SERVICE (the last repeats)
import json, os, sys
path = os.environ["FAKE_PS"]
outputs = json.load(open(path))
service = sys.argv[3]
queue = outputs.get(service)
if queue is None:
    sys.stderr.write("no such service: " + service); sys.exit(1)
out = queue.pop(0) if len(queue) > 1 else queue[0]
json.dump(outputs, open(path, "w"))
print("\\n".join(json.dumps(t) for t in out))
"""
WAIT_TASKS = ("wait until each service has converged", "monitor period for the services just changed",
              "tasks after the monitor period", "every service converged")


def _run_wait_tasks(tmp_path, outputs: dict, changed: list[str], timeout: int = 2,
                    services: list[str] | None = None):
    """deploy.yml's waiting tasks as written, on localhost, with a fake `docker`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    deploy = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks" / "roles" / "deploy-service" / "tasks"
    tasks = [t for t in yaml.safe_load((deploy / "deploy.yml").read_text()) if t.get("name") in WAIT_TASKS]
    assert [t["name"] for t in tasks] == list(WAIT_TASKS)
    services = services or list(outputs)
    tmp_path.mkdir(parents=True, exist_ok=True)
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks, "vars": {
        "hive_deploy_services": services, "hive_deploy_timeout": timeout, "hive_deploy_poll_interval": 1,
        "hive_deploy_monitor": 1, "hive_destroy": False, "hive_deploy_changed": changed,
        "hive_deploy_result": {"results": [{"item": s, "changed": s in changed} for s in services]}}}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "ps.json").write_text(json.dumps(outputs))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "docker").write_text(FAKE_DOCKER.format(python=sys.executable))
    (bindir / "docker").chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", FAKE_PS=str(tmp_path / "ps.json"),
               ANSIBLE_FILTER_PLUGINS=str(deploy.parents[3] / "plugins" / "filter"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"),
               ANSIBLE_NOCOLOR="1")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={sys.executable}", str(tmp_path / "play.yml")],
                          env=env, capture_output=True, text=True)


def test_deploy_yml_reports_a_service_replaced_during_the_monitor_period(tmp_path):
    outputs = {"web": [[running("web.1", "a")]],
               "db": [[running("db.1", "c")], [running("db.1", "d")]],          # replaced during the monitor
               "cache": [[running("cache.1", "e")], [running("cache.1", "f")]]}  # not changed: not monitored
    proc = _run_wait_tasks(tmp_path, outputs, changed=["web", "db"], timeout=1)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = proc.stdout.split("every service converged")[1]
    assert ("service db: 1/1 tasks running (not stable: its tasks were replaced within 1 s) (waited up to "
            "1 s;") in report
    assert "service web" not in report and "service cache" not in report


def test_deploy_yml_reports_a_stuck_service_with_its_task_error(tmp_path):
    err = "no suitable node (scheduling constraints not satisfied on 3 nodes)"
    outputs = {"web": [[running("web.1", "a")]],
               "stuck": [[task("stuck.1", "", "Running", "Pending 1 second ago", err)]]}
    proc = _run_wait_tasks(tmp_path, outputs, changed=["web", "stuck"], timeout=1)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = proc.stdout.split("every service converged")[1]
    assert ("service stuck: 0/1 tasks running; stuck.1: " + err + " — check placement constraints against the "
            "node labels (waited up to 1 s;") in report
    assert "service web" not in report


def test_deploy_yml_reports_a_missing_service_with_dockers_message(tmp_path):
    """One command lists every service: a failing `docker service ps` is that service's error."""
    proc = _run_wait_tasks(tmp_path, {"web": [[running("web.1", "a")]]}, changed=[], timeout=1,
                           services=["web", "gone"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = proc.stdout.split("every service converged")[1]
    assert "service gone: docker service ps failed (exit 1): no such service: gone" in report
    assert "service web" not in report


def test_deploy_yml_passes_stable_services(tmp_path):
    proc = _run_wait_tasks(tmp_path, {"web": [[running("web.1", "a")]]}, ["web"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_service_replaced_during_the_monitor_period_says_why_its_task_was_replaced():
    """A task that crashes at once is caught "Running" by the wait; the replacement's history
    carries the exit code, which the message must give (not only "not stable")."""
    crashed = task("broken.1", "p-hive1", "Shutdown", "Failed 1 second ago", "task: non-zero exit (3)")
    failures = stability_failures([ps("broken", running("broken.1", "a"))],
                                  [ps("broken", running("broken.1", "b"), dict(crashed, ID="a"))], 5)
    [message] = failures
    assert message.startswith("service broken: 1/1 tasks running (not stable: its tasks were replaced "
                              "within 5 s; broken.1 on p-hive1: ")
    assert "exited with code 3" in message
    # replaced without a failure (a node left, a rescheduling): no reason is made up
    assert stability_failures([ps("web", running("web.1", "a"))], [ps("web", running("web.1", "b"))], 5) == [
        "service web: 1/1 tasks running (not stable: its tasks were replaced within 5 s)"]
