"""build-images decisions (reference §4.5, §4.7, §6.3)."""

from __future__ import annotations

import json
import os
import shlex
from datetime import datetime, timedelta, timezone

import pytest

from hive_builder.errors import InventoryError
from hive_builder.render import standalone as sd
from hive_builder.render.image_build import (EXEC_ENTRYPOINT, KEEPALIVE_COMMAND, SPEC_DIGEST_LABEL,
                                             build_container_params, commit_changes, image_spec_digest,
                                             immutable_tag, role_dirs, role_files_digest)
from tests.unit.render_module_specs import container_spec, validation_errors

MICRO = {"inventory_hostname": "image_web", "hive_from": "debian:12", "hive_roles": ["python-aptk", "web"]}
FULL = dict(MICRO, hive_env={"LANG": "C.UTF-8", "WORKERS": 4}, hive_stop_signal="SIGQUIT", hive_user="www-data",
            hive_working_dir="/srv", hive_privileged=True, hive_expose=[80, "53/udp"],
            hive_entrypoint=["/docker-entrypoint.sh"], hive_command=["nginx", "-g", "daemon off;"])
STANDALONE = dict(MICRO, hive_standalone=True, hive_privileged=True)
BASE = {"Entrypoint": ["/usr/local/bin/base-entry"], "Cmd": ["bash"], "User": "", "WorkingDir": ""}


# ---------------------------------------------------------------- build container


def test_build_container_params_are_valid_docker_container_options():
    for image_vars in (MICRO, FULL, STANDALONE):
        p = build_container_params("web", image_vars, {"HTTP_PROXY": "http://p:3128"}, spec_digest="d" * 64)
        assert validation_errors(container_spec(), p) == []


def test_validation_helper_detects_a_wrong_option_name():
    assert validation_errors(container_spec(), {"name": "x", "exposed_port": ["80"]})


def test_micro_service_build_container():
    p = build_container_params("web", MICRO, {})
    assert p == {"name": "build_image_web", "hostname": "image_web", "image": "debian:12", "privileged": False,
                 "user": "root", "command_handling": "correct", "entrypoint": [], "command": KEEPALIVE_COMMAND}


def test_keepalive_has_no_time_limit_and_stops_on_term():
    script = KEEPALIVE_COMMAND[2]
    assert KEEPALIVE_COMMAND[:2] == ["/bin/sh", "-c"]
    assert "while :" in script and "2400" not in script
    trapped = script.split("trap 'exit 0' ", 1)[1].split(";", 1)[0].split()
    assert {"TERM", "INT", "QUIT"} <= set(trapped)     # docker stop sends the image's stop signal
    shlex.split(script)     # well-formed shell quoting


def test_full_build_container():
    p = build_container_params("web", FULL, {"HTTP_PROXY": "http://p:3128", "NO_PROXY": "", "LANG": "x"},
                               spec_digest="abc")
    assert p["env"] == {"HTTP_PROXY": "http://p:3128", "LANG": "C.UTF-8", "WORKERS": "4"}
    assert p["privileged"] is True and p["user"] == "www-data"
    assert p["exposed_ports"] == ["80", "53/udp"]
    assert p["working_dir"] == "/srv" and p["stop_signal"] == "SIGQUIT"
    assert p["labels"] == {SPEC_DIGEST_LABEL: "abc"}
    # the image's entrypoint/command are written at commit, the container only stays alive
    assert p["entrypoint"] == [] and p["command"] == KEEPALIVE_COMMAND


def test_image_env_wins_over_proxy():
    p = build_container_params("web", dict(MICRO, hive_env={"HTTP_PROXY": ""}), {"HTTP_PROXY": "http://p:3128"})
    assert p["env"] == {"HTTP_PROXY": ""}


def test_standalone_build_container_boots_systemd_like_the_service():
    p = build_container_params("web", STANDALONE, {})
    assert p["entrypoint"] == [] and p["command"] == sd.BUILD_COMMAND
    assert set(sd.CAPABILITIES) <= set(p["capabilities"]) and "SYS_ADMIN" in p["capabilities"]
    assert {m["target"] for m in p["mounts"]} == {"/sys/fs/cgroup", "/run", "/tmp"}
    assert next(m for m in p["mounts"] if m["target"] == "/sys/fs/cgroup")["read_only"] is True
    assert p["stop_signal"] == "SIGRTMIN+3" and p["privileged"] is True
    assert build_container_params("web", dict(STANDALONE, hive_stop_signal="SIGTERM"), {})["stop_signal"] == "SIGTERM"
    assert validation_errors(container_spec(), p) == []


def test_standalone_build_command_boots_init_or_waits_for_it():
    script = sd.BUILD_COMMAND[2]
    assert script.index("-x /sbin/init") < script.index("exec /sbin/init") < script.index("while :")
    assert "cgroup2" in script


def test_build_container_errors():
    with pytest.raises(InventoryError, match="service web.*image.from"):
        build_container_params("web", {"hive_roles": []}, {})
    with pytest.raises(InventoryError, match="image.expose"):
        build_container_params("web", dict(MICRO, hive_expose="http"), {})


# ---------------------------------------------------------------- commit changes


def test_micro_service_commit_uses_base_entrypoint_and_cmd():
    assert commit_changes(MICRO, BASE) == ['ENTRYPOINT ["/usr/local/bin/base-entry"]', 'CMD ["bash"]']


def test_micro_service_commit_defaults_when_base_has_none():
    changes = commit_changes(MICRO, {"Entrypoint": None, "Cmd": None})
    assert changes == ["ENTRYPOINT " + json.dumps(EXEC_ENTRYPOINT), "CMD []"]
    assert changes[0] == 'ENTRYPOINT ["/bin/sh", "-c", "exec \\"$@\\"", "--"]'


def test_full_commit_changes():
    assert commit_changes(FULL, BASE) == [
        'ENTRYPOINT ["/docker-entrypoint.sh"]',
        'CMD ["nginx", "-g", "daemon off;"]',
        "WORKDIR /srv",
        "EXPOSE 80",
        "EXPOSE 53/udp",
        'ENV LANG="C.UTF-8"',
        'ENV WORKERS="4"',
        "USER www-data",
    ]


def test_stop_signal_is_not_a_commit_change_but_a_build_container_setting():
    # the engine refuses `--change STOPSIGNAL`; the commit keeps the container's StopSignal
    assert not any(c.startswith("STOPSIGNAL") for c in commit_changes(FULL, BASE))
    assert build_container_params("web", FULL, {})["stop_signal"] == "SIGQUIT"


def test_standalone_commit_runs_init_without_entrypoint():
    assert commit_changes(STANDALONE, BASE) == ["ENTRYPOINT []", 'CMD ["/sbin/init"]']
    explicit = commit_changes(dict(STANDALONE, hive_command=["/sbin/init", "--log-level=info"]), BASE)
    assert explicit == ["ENTRYPOINT []", 'CMD ["/sbin/init", "--log-level=info"]']


def test_commit_restores_base_user_after_root_build():
    assert "USER nobody" in commit_changes(MICRO, dict(BASE, User="nobody"))
    assert not any(c.startswith("USER") for c in commit_changes(MICRO, BASE))


def test_env_instruction_quotes_dockerfile_specials():
    changes = commit_changes(dict(MICRO, hive_env={"A": 'say "hi" $HOME \\n'}), BASE)
    assert 'ENV A="say \\"hi\\" \\$HOME \\\\n"' in changes
    with pytest.raises(InventoryError, match="image.env"):
        commit_changes(dict(MICRO, hive_env={"A": "two\nlines"}), BASE)


# ---------------------------------------------------------------- build identity


def test_spec_digest_is_stable_across_key_order_and_absent_defaults():
    reordered = dict(reversed(list(FULL.items())))
    assert image_spec_digest(FULL, "r1") == image_spec_digest(reordered, "r1")
    assert image_spec_digest(MICRO, "r1") == image_spec_digest(dict(MICRO, hive_standalone=False,
                                                                    hive_privileged=None, hive_env=None), "r1")
    assert len(image_spec_digest(MICRO, "r1")) == 64


@pytest.mark.parametrize(("key", "value"), [
    ("hive_from", "debian:13"), ("hive_roles", ["web", "python-aptk"]), ("hive_roles", ["python-aptk"]),
    ("hive_env", {"LANG": "C"}), ("hive_stop_signal", "SIGTERM"), ("hive_user", "root"),
    ("hive_working_dir", "/app"), ("hive_entrypoint", ["/e"]), ("hive_command", ["c"]),
    ("hive_privileged", False), ("hive_expose", [80]), ("hive_standalone", True),
])
def test_spec_digest_changes_with_every_build_attribute(key, value):
    assert image_spec_digest(dict(FULL, **{key: value}), "r1") != image_spec_digest(FULL, "r1")


def test_spec_digest_ignores_pull_settings_and_follows_role_files():
    pulled = dict(FULL, hive_pull_on=["production"], hive_pull_from="ext/x:1")
    assert image_spec_digest(pulled, "r1") == image_spec_digest(FULL, "r1")
    assert image_spec_digest(FULL, "r2") != image_spec_digest(FULL, "r1")


def test_immutable_tag():
    moment = datetime(2026, 11, 28, 3, 30, 5, tzinfo=timezone.utc)
    digest = "0123456789abcdef" * 4
    assert immutable_tag(digest, moment) == "20261128033005-0123456789ab"
    assert immutable_tag(digest, moment.timestamp()) == "20261128033005-0123456789ab"
    tokyo = moment.astimezone(timezone(timedelta(hours=9)))
    assert immutable_tag(digest, tokyo) == "20261128033005-0123456789ab"


def _make_role(root, name, files):
    for rel, content in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root / name


def test_role_files_digest_is_deterministic_and_content_sensitive(tmp_path):
    a = _make_role(tmp_path / "one", "web", {"tasks/main.yml": "- ping:\n", "files/x.conf": "x=1\n"})
    b = _make_role(tmp_path / "two", "web", {"files/x.conf": "x=1\n", "tasks/main.yml": "- ping:\n"})
    assert role_files_digest([a]) == role_files_digest([b])     # location and creation order do not matter
    (b / "files" / "x.conf").write_text("x=2\n")
    assert role_files_digest([a]) != role_files_digest([b])


def test_role_files_digest_sees_added_removed_renamed_and_mode(tmp_path):
    role = _make_role(tmp_path, "web", {"tasks/main.yml": "- ping:\n"})
    before = role_files_digest([role])
    (role / "files").mkdir()
    (role / "files" / "new.sh").write_text("echo\n")
    added = role_files_digest([role])
    os.chmod(role / "files" / "new.sh", 0o755)
    chmodded = role_files_digest([role])
    (role / "files" / "new.sh").rename(role / "files" / "old.sh")
    renamed = role_files_digest([role])
    (role / "files" / "old.sh").unlink()
    assert len({before, added, chmodded, renamed}) == 4
    assert role_files_digest([role]) == before


def test_role_files_digest_ignores_caches_and_follows_role_order(tmp_path):
    web = _make_role(tmp_path, "web", {"tasks/main.yml": "a"})
    db = _make_role(tmp_path, "db", {"tasks/main.yml": "a"})
    before = role_files_digest([web, db])
    (web / "__pycache__").mkdir()
    (web / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (web / "library").mkdir()
    (web / "library" / "m.pyc").write_bytes(b"\0")
    assert role_files_digest([web, db]) == before
    assert role_files_digest([db, web]) != before


def test_missing_role_dir_counts(tmp_path):
    missing = tmp_path / "nope"
    digest = role_files_digest([missing])
    missing.mkdir()
    assert role_files_digest([missing]) != digest


def test_role_dirs_search_order(tmp_path):
    project, builtin = tmp_path / "roles", tmp_path / "builtin"
    _make_role(project, "web", {"tasks/main.yml": ""})
    _make_role(builtin, "web", {"tasks/main.yml": ""})
    _make_role(builtin, "hive-syslog", {"tasks/main.yml": ""})
    assert role_dirs(["hive-syslog", "web", "ghost"], [project, builtin]) == [
        builtin / "hive-syslog", project / "web", project / "ghost"]
