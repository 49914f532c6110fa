"""build-infra asks the stage's provider for a sanity check before Ansible runs anything."""

from pathlib import Path

from hive_builder.cli.main import main
from hive_builder.execution import ansible


def _project(tmp_path: Path, provider_block: str) -> tuple[Path, Path]:
    root = tmp_path / "proj"
    (root / "inventory").mkdir(parents=True)
    (root / "inventory" / "hive.yml").write_text(
        "plugin: hive_inventory\nname: pf\nstages:\n  private:\n" + provider_block)
    temp = tmp_path / "t"
    temp.mkdir()
    return root, temp


def test_unimplemented_provider_is_refused_before_ansible(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(ansible, "run_command", lambda argv, env: calls.append(argv) or 0)
    root, temp = _project(tmp_path, "    provider: kickstart\n    cidr: 10.1.0.0/24\n"
                                    "    kickstart_config: {iso_src: /x.iso}\n")
    assert main(["-r", str(root), "-W", str(temp), "build-infra"]) == 1
    err = capsys.readouterr().err
    assert "provider kickstart is not implemented yet" in err and "Traceback" not in err
    assert calls == []
    assert not (root / ".hive" / "private" / "id_rsa").exists()


def test_destroy_skips_the_check_so_teardown_stays_possible(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(ansible, "run_command", lambda argv, env: calls.append(argv) or 0)
    root, temp = _project(tmp_path, "    provider: kickstart\n    cidr: 10.1.0.0/24\n"
                                    "    kickstart_config: {iso_src: /x.iso}\n")
    assert main(["-r", str(root), "-W", str(temp), "build-infra", "-D"]) == 0
    assert len(calls) == 1 and calls[0][-1].endswith("build-infra.yml")
