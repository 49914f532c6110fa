"""`hive check` refuses what build-infra's provider preflight would refuse without asking anything
remote: a provider not implemented yet, a prepared stage whose root_password needs sshpass."""


import pytest

from hive_builder.cli.main import main
from hive_builder.providers.unimplemented import NOT_YET
from tests.unit.test_cli_preflight import _project


EXTRA = {"kickstart": "    kickstart_config: {iso_src: /x.iso}\n", "aws": "    region: r\n",
         "azure": "    region: r\n", "gcp": "    region: r\n"}


@pytest.mark.parametrize("provider", NOT_YET)
def test_check_refuses_a_provider_not_implemented(tmp_path, capsys, provider):
    root, temp = _project(tmp_path, f"    provider: {provider}\n    cidr: 10.1.0.0/24\n"
                          + EXTRA.get(provider, ""))
    assert main(["-r", str(root), "-W", str(temp), "check"]) == 1
    captured = capsys.readouterr()
    assert f"HIVE ERROR: provider {provider} is not implemented yet" in captured.err
    assert "is valid" not in captured.err and "Traceback" not in captured.err
    assert "p-hive0.pf" in captured.out  # the summary of the (valid) inventory is still shown


def test_check_refuses_prepared_with_password_when_sshpass_is_missing(tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    root, temp = _project(tmp_path, "    provider: prepared\n    cidr: 10.1.0.0/24\n"
                                    "    root_password: secret\n")
    assert main(["-r", str(root), "-W", str(temp), "check"]) == 1
    assert "sshpass is not installed" in capsys.readouterr().err


def test_check_accepts_prepared_and_does_not_ask_the_docker_engine(tmp_path, capsys, monkeypatch):
    from hive_builder.providers.docker import DockerProvider

    def engine_touched(*args, **kwargs):
        raise AssertionError("hive check must not contact the docker engine")

    monkeypatch.setattr(DockerProvider, "sanity_check", engine_touched)
    for provider in ("prepared", "docker"):
        root, temp = _project(tmp_path / provider, f"    provider: {provider}\n"
                                                   "    cidr: 10.1.0.0/24\n")
        assert main(["-r", str(root), "-W", str(temp), "check"]) == 0
        assert "inventory of stage private is valid" in capsys.readouterr().err
