"""converge_stamp: what `hive all` hashes before skipping setup-hosts, and when it may skip."""

from pathlib import Path

import pytest
import yaml

from hive_builder.execution import converge_stamp as cs
from hive_builder.phases import playbook_argv

SETUP_HOSTS = Path(cs.__file__).parents[1] / "playbooks" / "setup-hosts.yml"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "proj"
    (root / "inventory").mkdir(parents=True)
    (root / "inventory" / "hive.yml").write_text("plugin: hive_inventory\n")
    context = root / ".hive" / "private"
    context.mkdir(parents=True)
    (context / "id_rsa").write_text("key")
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "setup-hosts.yml").write_text("[]\n")
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("x = 1\n")

    def digest(env=None, generated=None, skip=()):
        return cs.inputs_digest(root_dir=root, context_dir=context, playbooks_dir=playbooks,
                                generated=generated or {"vars.yml": "a: 1\n"}, env=env or {},
                                package_dir=package, skip=skip)
    return root, context, playbooks, package, digest


@pytest.mark.parametrize("change", [
    lambda root, context, playbooks, package: (root / "inventory" / "hive.yml").write_text("x\n"),
    lambda root, context, playbooks, package: (root / "roles" / "r").mkdir(parents=True)
    or (root / "roles" / "r" / "main.yml").write_text("[]\n"),
    lambda root, context, playbooks, package: (context / "provider_facts.yml").write_text("ipvs: false\n"),
    lambda root, context, playbooks, package: (context / "id_rsa").chmod(0o600),
    lambda root, context, playbooks, package: (playbooks / "setup-hosts.yml").write_text("- {}\n"),
    lambda root, context, playbooks, package: (package / "module.py").write_text("x = 2\n"),
    lambda root, context, playbooks, package: (root / ".hive" / cs.PERSISTENT_FILE).write_text(
        "hive_users: {private: [x]}\n"),
])
def test_every_input_changes_the_digest(site, change):
    root, context, playbooks, package, digest = site
    before = digest()
    change(root, context, playbooks, package)
    assert digest() != before


def test_bookkeeping_does_not_change_the_digest(site):
    root, context, playbooks, package, digest = site
    temp = root / "tmp"
    before = digest(skip=[temp])
    (context / "hive.log").write_text("run")
    (context / "hive.log.1").write_text("old run")
    (context / "hive.lock").write_text("1")
    (context / "progress.123").write_text("x")
    cs.save_record(context, "stamp", "inputs")
    (root / ".hive" / cs.PERSISTENT_FILE).write_text("start_phase: {private: build-images}\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    temp.mkdir()
    (temp / "vars.yml").write_text("x")
    (root / "inventory" / "__pycache__").mkdir()
    (root / "inventory" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    assert digest(skip=[temp]) == before


def test_environment_and_generated_files_count(site):
    *_, digest = site
    assert digest(env={"PATH": "/a"}) == digest(env={"PATH": "/b"})
    assert digest(env={"HIVE_PROGRESS_FILE": "/a"}) == digest(env={})
    assert digest(env={"ANSIBLE_FORKS": "5"}) != digest(env={})
    assert digest(env={"HIVE_STAGE": "staging"}) != digest(env={})
    assert digest(generated={"vars.yml": "a: 2\n"}) != digest()


def test_large_files_are_hashed_by_size_and_time(site, monkeypatch):
    root, context, playbooks, package, digest = site
    monkeypatch.setattr(cs, "LARGE_FILE", 10)
    big = root / "data.bin"
    big.write_bytes(b"x" * 100)
    before = digest()
    big.write_bytes(b"y" * 101)
    assert digest() != before


def test_eligible_only_for_a_full_converge():
    assert cs.eligible({"stage": "private"})
    for key in ("tags", "limit_target", "check_mode", "halt", "destroy"):
        assert not cs.eligible({key: "x"})
    assert cs.eligible({"tags": "", "limit_target": None})


ANSWERS = {"h0": (0, "S\n", ""), "h1": (0, "S\n", "")}


@pytest.mark.parametrize("record, inputs, answers, skip, reason", [
    ({"stamp": "S", "inputs": "I"}, "I", ANSWERS, True, "nothing changed since all 2 servers converged"),
    (None, "I", ANSWERS, False, "no full converge of setup-hosts has ended well here"),
    ({"stamp": "S", "inputs": "I"}, "J", ANSWERS, False, "its inputs changed since the last converge"),
    ({"stamp": "S", "inputs": "I"}, "I", {}, False, "no server to ask"),
    ({"stamp": "S", "inputs": "I"}, "I", {**ANSWERS, "h1": (0, "", "")}, False,
     "h1 has not converged since it started"),
    ({"stamp": "S", "inputs": "I"}, "I", {**ANSWERS, "h0": (0, "T\n", "")}, False,
     "h0 was last converged with other inputs"),
    ({"stamp": "S", "inputs": "I"}, "I", {**ANSWERS, "h1": (255, "", "ssh: connect refused\n")},
     False, "h1 did not answer (ssh: connect refused)"),
])
def test_verdict(record, inputs, answers, skip, reason):
    assert cs.verdict(record, inputs, answers) == cs.Verdict(skip, reason)


def test_record_round_trip_and_corrupt_record(tmp_path):
    assert cs.load_record(tmp_path) is None
    cs.save_record(tmp_path, "S", "I")
    assert cs.load_record(tmp_path) == {"stamp": "S", "inputs": "I"}
    cs.record_path(tmp_path).write_text("{not json")
    assert cs.load_record(tmp_path) is None
    cs.record_path(tmp_path).write_text("[1]")
    assert cs.load_record(tmp_path) is None
    cs.clear_record(tmp_path)
    cs.clear_record(tmp_path)   # twice: nothing to remove is fine
    assert not cs.record_path(tmp_path).exists()


def test_before_run_forgets_the_last_converge(site, monkeypatch):
    root, context, *_ = site
    monkeypatch.setattr(cs, "current_inputs", lambda values: "INPUTS")
    values = {"context_dir": str(context)}
    cs.save_record(context, "S", "I")
    assert cs.before_run({**values, "check_mode": True}) == {}
    assert cs.load_record(context) is not None            # a dry run changes nothing
    assert cs.before_run({**values, "tags": "base"}) == {}
    assert cs.load_record(context) is None                # a partial run: no skip afterwards
    extra = cs.before_run(values)
    assert extra == {cs.STAMP_VAR: "INPUTS"}
    monkeypatch.setattr(cs, "current_inputs", lambda values: "AFTER")
    cs.after_success(values, extra)
    assert cs.load_record(context) == {"stamp": "INPUTS", "inputs": "AFTER"}
    cs.clear_record(context)
    cs.after_success(values, {})
    assert cs.load_record(context) is None


def test_read_stamps_asks_every_host_in_order():
    asked = []

    def run(host, command):
        asked.append((host, command))
        return 0, f"{host}-stamp\n", "", "ignored"
    assert cs.read_stamps(run, ["b", "a"]) == {"b": (0, "b-stamp\n", ""), "a": (0, "a-stamp\n", "")}
    assert sorted(asked) == [("a", cs.read_command()), ("b", cs.read_command())]
    assert cs.read_stamps(run, []) == {}


def test_the_playbook_writes_what_hive_reads():
    plays = yaml.safe_load(SETUP_HOSTS.read_text())
    last = plays[-1]
    assert last["hosts"] == "servers" and last["become"] is True
    task = last["tasks"][0]
    assert cs.STAMP_FILE in task["ansible.builtin.shell"]
    assert task["environment"]["STAMP"] == "{{ %s }}" % cs.STAMP_VAR
    assert task["when"] == f"{cs.STAMP_VAR} is defined"
    assert task["changed_when"] is False
    assert cs.STAMP_FILE.startswith("/run/")   # emptied at boot: a restarted server converges


def test_playbook_argv_passes_extra_vars_last_before_the_playbook():
    argv = playbook_argv("setup-hosts", stage="private", playbook="/p/setup-hosts.yml",
                         vars_file="/t/vars.yml", extra_vars={cs.STAMP_VAR: "abc"})
    assert argv[-5:] == ["--extra-vars", "@/t/vars.yml", "--extra-vars",
                         '{"%s": "abc"}' % cs.STAMP_VAR, "/p/setup-hosts.yml"]
