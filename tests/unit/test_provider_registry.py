"""Provider registry, apply() and the prepared provider (no Docker needed)."""

import pytest
import yaml

from hive_builder.errors import HiveError
from hive_builder.providers import apply, get_provider
from hive_builder.providers.base import Provider
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.prepared import NO_LIFECYCLE, PreparedProvider


def plan(tmp_path, **kw):
    return ProvisionPlan(hive_name="demo", stage="staging", cidr="192.168.0.96/27",
                         servers=(ServerPlan("s-hive0.demo", "192.168.0.98", root_password=kw.get("pw")),
                                  ServerPlan("s-hive1.demo", "192.168.0.99")),
                         context_dir=tmp_path / "ctx", root_dir=tmp_path)


class Recording(Provider):
    name = "fake"

    def __init__(self, facts):
        self._facts, self.done = facts, []

    def sanity_check(self, plan):
        pass

    def provision(self, plan):
        self.done.append("provision")
        return False

    def halt(self, plan):
        self.done.append("halt")
        return True

    def destroy(self, plan):
        self.done.append("destroy")
        return True

    def ssh_config(self, plan):
        return "Host x\n"

    def facts(self, plan):
        return self._facts


@pytest.mark.parametrize("name", ["kickstart"])
def test_unimplemented_providers_say_so(name, tmp_path):
    with pytest.raises(HiveError, match=f"provider {name} is not implemented yet in this version"):
        apply(get_provider(name), plan(tmp_path))


def test_unknown_provider():
    with pytest.raises(HiveError, match="unknown provider 'openstack'"):
        get_provider("openstack")


def test_known_providers():
    assert get_provider("docker").name == "docker" and get_provider("prepared").name == "prepared"
    assert get_provider("vagrant").name == "vagrant"
    assert get_provider("azure").name == "azure"   # importable without the azure extra


def test_apply_writes_files_and_announces_gaps_once(tmp_path):
    p, prov = plan(tmp_path), Recording({"ipvs": False, "drbd": "emulated"})
    first = apply(prov, p)
    assert first.changed and len(first.messages) == 1 and "IPVS" in first.messages[0]
    assert (p.context_dir / "ssh_config").read_text() == "Host x\n"
    assert yaml.safe_load((p.context_dir / "provider_facts.yml").read_text()) == {"ipvs": False, "drbd": "emulated"}
    second = apply(prov, p)
    assert not second.changed and second.messages == []


def test_apply_halt_and_destroy_do_not_write(tmp_path):
    p, prov = plan(tmp_path), Recording({})
    assert apply(prov, p, "halted").changed and apply(prov, p, "absent").changed
    assert prov.done == ["halt", "destroy"] and not (p.context_dir / "ssh_config").exists()
    with pytest.raises(HiveError, match="state must be one of"):
        apply(prov, p, "stopped")


def test_prepared_ssh_config_uses_private_ips(tmp_path):
    text = PreparedProvider().ssh_config(plan(tmp_path))
    assert "Host s-hive0.demo\n  HostName 192.168.0.98\n" in text and "User admin" in text


def test_prepared_halt_destroy_say_unsupported(tmp_path):
    prov = PreparedProvider()
    result = apply(prov, plan(tmp_path), "halted")
    assert result.changed is False and result.messages == [NO_LIFECYCLE]
    assert NO_LIFECYCLE == "prepared provider does not support stop/destroy mode"


def test_prepared_with_password_needs_sshpass(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(HiveError, match="sshpass"):
        PreparedProvider().sanity_check(plan(tmp_path, pw="x"))
    PreparedProvider().sanity_check(plan(tmp_path))   # no password: no need


def test_prepared_ssh_config_carries_the_moved_sshd_port(tmp_path):
    p = ProvisionPlan(hive_name="demo", stage="staging", cidr="192.168.0.96/27",
                      servers=(ServerPlan("s-hive0.demo", "192.168.0.98", ssh_port=2222),
                               ServerPlan("s-hive1.demo", "192.168.0.99")),
                      context_dir=tmp_path / "ctx", root_dir=tmp_path)
    blocks = PreparedProvider().ssh_config(p).split("# END")
    assert "  Port 2222\n" in blocks[0] and "Port" not in blocks[1]
