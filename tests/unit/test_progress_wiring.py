"""How hive selects the progress callback, and how a long module step (the docker provider's node
image) reaches the user while ansible runs."""

import os
import threading
import time
from pathlib import Path

from hive_builder.execution import ansible
from hive_builder.providers.docker import image


def env_for(values, base):
    files = ansible.GeneratedFiles(Path("/t/ansible.cfg"), Path("/t/vars.yml"))
    return ansible.ansible_environment(values, files, base=base)


def test_progress_callback_unless_verbose():
    env = env_for({"verbose": False}, {"ANSIBLE_CALLBACK_PLUGINS": "/mine:/other"})
    assert env["ANSIBLE_STDOUT_CALLBACK"] == "hive_progress"
    assert env["ANSIBLE_CALLBACK_PLUGINS"] == os.pathsep.join([str(ansible.CALLBACK_DIR), "/mine", "/other"])
    assert (ansible.CALLBACK_DIR / "hive_progress.py").is_file()
    assert env_for({}, {})["ANSIBLE_CALLBACK_PLUGINS"] == str(ansible.CALLBACK_DIR)
    verbose = env_for({"verbose": True}, {"ANSIBLE_STDOUT_CALLBACK": "yaml"})
    assert verbose["ANSIBLE_STDOUT_CALLBACK"] == "yaml"
    assert env_for({"stdout_callback": "default"}, {})["ANSIBLE_STDOUT_CALLBACK"] == "hive_progress"
    chosen = env_for({"stdout_callback": "json"}, {})   # the user's own choice (ansible.cfg) wins
    assert "ANSIBLE_STDOUT_CALLBACK" not in chosen


def test_prefork_callback_enabled_for_every_run_next_to_the_users_own():
    assert (ansible.CALLBACK_DIR / "hive_prefork.py").is_file()
    for values in ({}, {"verbose": True}, {"stdout_callback": "json"}):
        env = env_for(values, {})
        assert env["ANSIBLE_CALLBACKS_ENABLED"] == "hive_prefork"
        assert env["ANSIBLE_CALLBACK_PLUGINS"] == str(ansible.CALLBACK_DIR)
    mine = env_for({}, {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks, hive_prefork"})
    assert mine["ANSIBLE_CALLBACKS_ENABLED"] == "hive_prefork,ansible.posix.profile_tasks"
    # the module payloads it shares between runs live in hive's temp dir, next to ansible.cfg
    assert Path(env["HIVE_ANSIBALLZ_CACHE"]).parent == Path(env["ANSIBLE_CONFIG"]).parent


def test_prepend_path_once():
    assert ansible.prepend_path("/a", None) == "/a"
    assert ansible.prepend_path("/a", f"/b{os.pathsep}/a{os.pathsep}") == f"/a{os.pathsep}/b"


def test_follow_progress_reports_lines_as_they_come(tmp_path):
    path = tmp_path / "progress.1"
    path.write_text("stale line of an earlier run\n")
    seen = []
    first_seen = threading.Event()

    def report(line):
        seen.append(line)
        first_seen.set()

    with ansible.follow_progress(path, report, interval=0.05):
        with open(path, "a") as fh:
            fh.write("building node image\nstep 1/9: FROM debian\npartial")
        assert first_seen.wait(5)          # reported while the body still runs
        with open(path, "a") as fh:
            fh.write(" line completed\n")
        time.sleep(0.01)
    assert seen == ["building node image", "step 1/9: FROM debian", "partial line completed"]
    assert not path.exists()


def test_image_say_writes_the_progress_file(tmp_path, monkeypatch, capsys):
    progress = tmp_path / "progress"
    monkeypatch.setenv("HIVE_PROGRESS_FILE", str(progress))
    image._say("building node image hive-builder/node:abc")
    assert progress.read_text() == "hive docker provider: building node image hive-builder/node:abc\n"
    assert "building node image" in capsys.readouterr().err
    monkeypatch.delenv("HIVE_PROGRESS_FILE")
    image._say("again")   # no file: stderr only
    assert progress.read_text().count("\n") == 1


def test_debootstrap_milestones_only():
    assert image.debootstrap_milestone("I: Retrieving InRelease \n") == "Retrieving InRelease"
    assert image.debootstrap_milestone("I: Retrieving Packages ") == "Retrieving Packages"
    assert image.debootstrap_milestone("I: Base system installed successfully.") == \
        "Base system installed successfully."
    assert image.debootstrap_milestone("I: Installing core packages...") == "Installing core packages..."
    for noise in ("I: Retrieving libc6 2.36-9", "I: Validating libc6 2.36-9", "I: Extracting libc6...",
                  "I: Unpacking libc6...", "W: something", ""):
        assert image.debootstrap_milestone(noise) is None, noise


def test_build_step_from_the_stream():
    assert image.build_step({"stream": "Step 3/9 : RUN apt-get update &&     apt-get install -y x\n"}) == \
        "step 3/9: RUN apt-get update && apt-get install -y x"
    assert image.build_step({"stream": " ---> Running in 0123\n"}) is None
    assert image.build_step({"status": "Downloading"}) is None
    long = image.build_step({"stream": "Step 1/2 : RUN " + "x" * 200})
    assert long.endswith("\u2026") and len(long) < 110
