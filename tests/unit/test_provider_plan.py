from pathlib import Path

import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.plan import ProvisionPlan, ServerPlan, natural_key, plan_from_hostvars


def hostvars(n=4, prefix="p-", name="demo", base=4):
    hv = {}
    for i in range(n):
        groups = ["hosts", "private", "servers", "hives" if i < n - 1 else "repository"]
        if i == 0:
            groups.append("first_hive")
        hv[f"{prefix}hive{i}.{name}"] = {"hive_private_ip": f"10.233.10.{base + i}", "group_names": groups}
    return hv


def make(hv, **kw):
    args = dict(hive_name="demo", stage="private", cidr="10.233.10.0/24", context_dir="/p/.hive/private")
    args.update(kw)
    return plan_from_hostvars(hv, list(hv), **args)


def test_plan_from_hostvars_servers_roles_and_defaults():
    plan = make(hostvars())
    assert [s.name for s in plan.servers] == [f"p-hive{i}.demo" for i in range(4)]
    assert [s.ip for s in plan.servers] == ["10.233.10.4", "10.233.10.5", "10.233.10.6", "10.233.10.7"]
    assert plan.servers[0].roles == ("hives", "first_hive")
    assert plan.servers[3].roles == ("repository",)
    assert plan.root_dir == Path("/p")
    assert plan.private_key == Path("/p/.hive/private/id_rsa")
    assert plan.public_key == Path("/p/.hive/private/id_rsa.pub")
    assert plan.admin_user == "admin"


def test_servers_are_put_in_natural_order_whatever_the_group_order():
    hv = hostvars(n=12)
    names = sorted(hv)  # lexical: hive0, hive1, hive10, hive11, hive2, ...
    plan = plan_from_hostvars({k: hv[k] for k in names}, names, hive_name="demo", stage="private",
                              cidr="10.233.10.0/24", context_dir="/c")
    assert [s.name for s in plan.servers] == [f"p-hive{i}.demo" for i in range(12)]
    assert natural_key("p-hive2.demo") < natural_key("p-hive10.demo")


def test_network_name_gateway_and_labels():
    plan = make(hostvars(), root_dir="/proj")
    assert plan.network_name == "hive-demo-private"
    assert plan.gateway == "10.233.10.1"
    assert plan.labels == {"hive-builder.site": "demo", "hive-builder.stage": "private",
                           "hive-builder.root_dir": "/proj"}


def test_root_password_and_explicit_key_paths():
    hv = hostvars(n=2)
    hv["p-hive0.demo"]["hive_root_password"] = "pw"
    plan = make(hv, private_key_path="/k/key", admin_user="ops")
    assert plan.servers[0].root_password == "pw" and plan.servers[1].root_password is None
    assert plan.public_key == Path("/k/key.pub") and plan.admin_user == "ops"


def test_short_name_is_first_label():
    assert ServerPlan(name="p-hive0.pdns.example.com", ip="10.0.0.4").short_name == "p-hive0"


@pytest.mark.parametrize("mutate, message", [
    (lambda hv: hv["p-hive1.demo"].update(hive_private_ip="10.9.9.9"), "outside cidr"),
    (lambda hv: hv["p-hive1.demo"].pop("hive_private_ip"), "no hive_private_ip"),
])
def test_invalid_hostvars_are_named(mutate, message):
    hv = hostvars()
    mutate(hv)
    with pytest.raises(HiveError, match=message) as exc:
        make(hv)
    assert "p-hive1.demo" in str(exc.value)


@pytest.mark.parametrize("admin", ["root; rm -rf /", "Admin", "a b", ""])
def test_admin_name_must_be_a_plain_user_name(admin):
    with pytest.raises(HiveError, match="admin user name"):
        ProvisionPlan(hive_name="d", stage="private", cidr="10.0.0.0/24", servers=(), context_dir=Path("/c"),
                      root_dir=Path("/r"), admin_user=admin or "-")


def test_bad_cidr_is_reported():
    with pytest.raises(HiveError, match="not a network"):
        make(hostvars(), cidr="10.233.10.300/24")


def test_ssh_port_follows_sshd_port_only_with_source_ips():
    hv = hostvars(n=2)
    for v in hv.values():
        v["hive_sshd_port"] = 2222
    assert [s.ssh_port for s in make(hv).servers] == [22, 22]
    hv["p-hive1.demo"]["hive_ssh_source_ips"] = ["192.0.2.0/24"]
    assert [s.ssh_port for s in make(hv).servers] == [22, 2222]


def test_bad_sshd_port_names_the_server():
    hv = hostvars(n=2)
    hv["p-hive0.demo"].update(hive_sshd_port="ssh", hive_ssh_source_ips=["192.0.2.1"])
    with pytest.raises(HiveError, match="server p-hive0.demo: hive_sshd_port"):
        make(hv)
