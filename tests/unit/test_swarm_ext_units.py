"""follow-swarm-service building blocks: label parsing, addresses, hooks, marks, NAT, state, plan."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys

import pytest

from hive_builder.swarm_extension import nat
from hive_builder.swarm_extension.hooks import hooks_of_service, hooks_of_services, local_tasks
from hive_builder.swarm_extension.mark import apply_labels, plan_labels
from hive_builder.swarm_extension.reconcile import Observation, plan
from hive_builder.swarm_extension.state import State, StateFile
from hive_builder.swarm_extension.system import run_command
from hive_builder.swarm_extension.vip import (
    IfAddr, Placement, VipLabelError, VipSpec, addr_add, choose_placement, find_present, garp,
    parse_ip_json, parse_vip, ping,
)
from tests.unit.test_swarm_ext_fakes import NODE_ID, service, task

ip = ipaddress.ip_address
iface = ipaddress.ip_interface


# ---- VIP labels ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, v6, expected", [
    ("192.168.0.50", False, VipSpec(ip("192.168.0.50"))),
    (" 192.168.0.50/25 ", False, VipSpec(ip("192.168.0.50"), 25)),
    ("10.1.1.5/32@lo", False, VipSpec(ip("10.1.1.5"), 32, "lo")),
    ("10.1.1.5@eth1", False, VipSpec(ip("10.1.1.5"), 32, "eth1")),
    ("fd00::50", True, VipSpec(ip("fd00::50"))),
    ("fd00::50/64@eth0", True, VipSpec(ip("fd00::50"), 64, "eth0")),
])
def test_parse_vip(value, v6, expected):
    assert parse_vip(value, v6) == expected


@pytest.mark.parametrize("value, v6", [
    ("192.168.0.500", False), ("192.168.0.5/33", False), ("192.168.0.5/x@eth0", False),
    ("192.168.0.5/24@", False), ("fd00::1", False), ("192.168.0.5", True), ("", False),
])
def test_parse_vip_errors(value, v6):
    with pytest.raises(VipLabelError):
        parse_vip(value, v6)


IP_JSON = json.dumps([
    {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8},
                                    {"family": "inet6", "local": "::1", "prefixlen": 128}]},
    {"ifname": "eth0", "addr_info": [{"family": "inet", "local": "192.168.0.10", "prefixlen": 24},
                                      {"family": "inet", "local": "192.168.0.50", "prefixlen": 24,
                                       "secondary": True},
                                      {"family": "inet6", "local": "fd00::10", "prefixlen": 64}]},
    {"ifname": "eth1", "addr_info": [{"family": "inet", "local": "10.0.0.10", "prefixlen": 16}]},
    {"ifname": "eth2", "addr_info": []},
])


def test_parse_ip_json():
    addrs = parse_ip_json(IP_JSON)
    assert [(a.ifname, str(a.interface), a.secondary) for a in addrs] == [
        ("lo", "127.0.0.1/8", False), ("lo", "::1/128", False), ("eth0", "192.168.0.10/24", False),
        ("eth0", "192.168.0.50/24", True), ("eth0", "fd00::10/64", False), ("eth1", "10.0.0.10/16", False)]
    assert parse_ip_json("") == []


def test_parse_ip_json_of_this_machine():
    if not shutil.which("ip"):
        pytest.skip("iproute2 not installed")
    addrs = parse_ip_json(run_command(["ip", "-j", "addr", "show"]).stdout)
    assert any(str(a.interface) == "127.0.0.1/8" and a.ifname == "lo" for a in addrs)


def test_choose_placement():
    addrs = parse_ip_json(IP_JSON)
    assert choose_placement(parse_vip("10.0.5.5"), addrs) == Placement("eth1", iface("10.0.5.5/16"))
    assert choose_placement(parse_vip("10.0.5.5/24"), addrs) == Placement("eth1", iface("10.0.5.5/24"))
    assert choose_placement(parse_vip("172.16.0.1"), addrs) is None
    assert choose_placement(parse_vip("8.8.8.8/32@lo"), addrs) == Placement("lo", iface("8.8.8.8/32"))
    assert choose_placement(parse_vip("fd00::99", True), addrs) == Placement("eth0", iface("fd00::99/64"))


def test_first_matching_interface_wins():
    addrs = [IfAddr("eth0", iface("10.0.0.1/8")), IfAddr("eth1", iface("10.1.0.1/16"))]
    assert choose_placement(parse_vip("10.1.2.3"), addrs).ifname == "eth0"


def test_find_present():
    addrs = parse_ip_json(IP_JSON)
    assert find_present(addrs, ip("192.168.0.50")) == Placement("eth0", iface("192.168.0.50/24"))
    assert find_present(addrs, ip("192.168.0.51")) is None


def test_commands():
    p4 = Placement("eth0", iface("192.168.0.50/24"))
    assert addr_add(p4) == ["ip", "-4", "addr", "add", "192.168.0.50/24", "dev", "eth0"]
    assert garp(p4) == ["arping", "-c", "1", "-U", "-I", "eth0", "192.168.0.50"]
    assert ping(p4, "192.168.0.1")[-3:] == ["-I", "192.168.0.50", "192.168.0.1"]
    assert ping(Placement("eth0", iface("fd00::5/64")), "fd00::1")[:2] == ["ping", "-6"]


# ---- hooks --------------------------------------------------------------------------------------

def test_hooks_of_service_all_kinds():
    s = service("id1", "dns", HIVE_MARK="lead", HIVE_VIP="192.168.0.50", HIVE_ROUTER="192.168.0.1",
                HIVE_DNAT_PORTS="53/udp", HIVE_ENABLE_VIP_SNAT="True", HIVE_VIP3="10.0.0.3",
                HIVE_VIP_V6="fd00::50", HIVE_ROUTER_V6="fd00::1", HIVE_VIP2_V6="fd00::52",
                HIVE_ENABLE_VIP_SNAT3="false", OTHER="x")
    hooks = {h.cls: h for h in hooks_of_service(s)}
    assert set(hooks) == {"MarkNode", "SetVIP", "SetVIP3", "SetVIPv6", "SetVIP2v6"}
    assert hooks["SetVIP"].router == "192.168.0.1" and hooks["SetVIP"].snat
    assert hooks["SetVIP"].dnat_ports == "53/udp"
    assert not hooks["SetVIP3"].snat and hooks["SetVIP3"].router is None
    assert hooks["SetVIPv6"].v6 and hooks["SetVIPv6"].router == "fd00::1"
    assert hooks["SetVIP2v6"].router is None
    assert hooks["MarkNode"].ident == "lead@dns#MarkNode"
    assert hooks["SetVIP3"].ident == "10.0.0.3@dns#SetVIP3"


def test_hooks_without_labels():
    assert hooks_of_service({"ID": "x", "Spec": {"Name": "plain"}}) == []
    assert hooks_of_services([service("a", "b", HIVE_VIP=" ")]) == []


def test_local_tasks_first_running_task_on_this_node():
    tasks = [task("s1", desired="shutdown", tid="old"), task("s1", tid="new"), task("s1", tid="newer"),
             task("s2", "other-node"), {"ID": "t", "ServiceID": "s3", "NodeID": NODE_ID,
                                        "DesiredState": "running", "Status": {}}]
    local = local_tasks(tasks, NODE_ID)
    assert set(local) == {"s1", "s3"}
    assert local["s1"].task_id == "new" and local["s1"].container_id == "c-s1"
    assert local["s3"].container_id is None


# ---- marks --------------------------------------------------------------------------------------

def test_plan_labels():
    labels = {"a": "true", "b": "false", "c": "true", "keep": "1"}
    add, remove = plan_labels(labels, desired={"a", "b", "d"}, managed={"a", "b", "c", "d", "e"})
    assert add == ["b", "d"] and remove == ["c"]
    assert apply_labels(labels, add, remove) == {"a": "true", "b": "true", "d": "true", "keep": "1"}


# ---- NAT ----------------------------------------------------------------------------------------

def test_parse_ports():
    assert nat.parse_ports("53/udp, 80,443/TCP,") == [("udp", 53), ("tcp", 80), ("tcp", 443)]
    for bad in ("80/sctp", "http", "0", "70000"):
        with pytest.raises(nat.DnatPortsError):
            nat.parse_ports(bad)


def test_ipv6_rules():
    rules = nat.desired_rules("fd00::50", "eth0", "fd01::3", "dns", "53/udp", True, True)
    assert [r.insert()[0] for r in rules] == ["ip6tables"] * 3
    assert "[fd01::3]:53" in rules[0].insert()
    assert rules[2].comment == "hive_snat_fd00::50_dns"


REAL_S_OUTPUT = """\
-N DOCKER
-A DOCKER -d 192.168.0.50/32 -p tcp -m tcp --dport 80 -m comment --comment "hive_dnat_192.168.0.50_tcp_80_dns" -j DNAT --to-destination 172.18.0.3:80
-A DOCKER -d 192.168.0.50/32 -p udp -m udp --dport 53 -m comment --comment "hive_dnat_192.168.0.50_udp_53_dns" -j DNAT --to-destination 172.18.0.3:53
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.2:5000
-A DOCKER -m comment --comment "someone else's" -j RETURN
"""


def test_parse_listing_keeps_only_our_rules():
    present = nat.parse_listing(REAL_S_OUTPUT, "nat", False)
    assert [p.comment for p in present] == ["hive_dnat_192.168.0.50_tcp_80_dns", "hive_dnat_192.168.0.50_udp_53_dns"]
    assert present[0].delete()[:5] == ["iptables", "-t", "nat", "-D", "DOCKER"]
    assert present[0].delete()[-2:] == ["--to-destination", "172.18.0.3:80"]


def test_plan_nat_keeps_right_rules_replaces_changed_removes_stale():
    present = nat.parse_listing(REAL_S_OUTPUT, "nat", False)
    same = nat.desired_rules("192.168.0.50", "eth0", "172.18.0.3", "dns", "80", False, False)
    cmds = nat.plan_nat([r for r in same if r.table == "nat"], present)
    assert [c[3] for c in cmds] == ["-D"] and "53" in cmds[0]          # udp 53 no longer wanted
    moved = nat.desired_rules("192.168.0.50", "eth0", "172.18.0.30", "dns", "80", False, False)
    cmds = nat.plan_nat([r for r in moved if r.table == "nat"], present)
    assert [c[3] for c in cmds] == ["-D", "-D", "-I"]                   # 172.18.0.3 is not 172.18.0.30


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("iptables") or not shutil.which("unshare"),
                    reason="needs root, iptables and unshare (a private network namespace)")
def test_rules_round_trip_through_real_iptables():
    """Insert, list with -S, reconcile to nothing: every command is accepted by iptables and the
    listing finds exactly our rules (done in a fresh network namespace, the host is untouched)."""
    script = r"""
import subprocess, sys
from hive_builder.swarm_extension import nat
for t in ("nat", "filter"):
    subprocess.run(["iptables", "-t", t, "-N", "DOCKER"], check=True)
def present():
    out = []
    for t, c in nat.CHAINS:
        s = subprocess.run(["iptables", "-t", t, "-S", c], capture_output=True, text=True, check=True).stdout
        out += nat.parse_listing(s, t, False)
    return out
rules = nat.desired_rules("192.168.0.50", "eth0", "172.18.0.3", "dns", "53/udp,80", True, False)
for argv in nat.plan_nat(rules, present()):
    subprocess.run(argv, check=True)
assert len(present()) == 5, present()
assert nat.plan_nat(rules, present()) == []
for argv in nat.plan_nat([], present()):
    subprocess.run(argv, check=True)
assert present() == []
print("ok")
"""
    r = subprocess.run(["unshare", "-n", sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


# ---- state --------------------------------------------------------------------------------------

def test_state_file_round_trip(tmp_path):
    sf = StateFile(tmp_path / "sub" / "state.json")
    assert sf.load() == State()
    st = State({"a@b#SetVIP": {"ifname": "eth0", "cidr": "10.0.0.1/24"}}, {"x"}, {"a@b#SetVIP": "t1"}, {"v4"})
    sf.save(st)
    assert sf.load() == st
    sf.path.write_text("{not json")
    assert sf.load() == State()


# ---- plan (pure) --------------------------------------------------------------------------------

def obs(services, tasks, addrs=None, labels=None, state=None):
    from hive_builder.swarm_extension.hooks import hooks_of_services as hs
    return Observation(hs(services), local_tasks(tasks, NODE_ID),
                       addrs if addrs is not None else parse_ip_json(IP_JSON), labels or {}, state or State())


def test_plan_empty_when_everything_right():
    p = plan(obs([service("s", "web", HIVE_VIP="192.168.0.50", HIVE_MARK="m")], [task("s")], labels={"m": "true"}))
    assert p.is_empty and set(p.kept_vips) == {"192.168.0.50@web#SetVIP"}


def test_plan_same_vip_twice_added_once():
    p = plan(obs([service("s", "web", HIVE_VIP="10.0.7.7"), service("t", "api", HIVE_VIP="10.0.7.7")],
                 [task("s"), task("t")]))
    assert len(p.add_vips) == 1


def test_plan_vip_desired_by_one_service_not_removed_because_other_left():
    p = plan(obs([service("s", "web", HIVE_VIP="192.168.0.50"), service("t", "api", HIVE_VIP="192.168.0.50")],
                 [task("s")]))
    assert p.del_vips == [] and p.add_vips == []


def test_plan_full_length_untracked_vip_without_task_removed():
    addrs = [IfAddr("eth0", iface("192.168.0.10/24")), IfAddr("lo", iface("10.9.9.9/32"))]
    p = plan(obs([service("s", "web", HIVE_VIP="10.9.9.9/32@lo")], [], addrs))
    assert [d.placement for d in p.del_vips] == [Placement("lo", iface("10.9.9.9/32"))]


def test_plan_unrelated_secondary_address_untouched():
    addrs = [IfAddr("eth0", iface("192.168.0.10/24")), IfAddr("eth0", iface("192.168.0.77/24"), True)]
    assert plan(obs([service("s", "web", HIVE_VIP="192.168.0.50")], [], addrs)).is_empty


def test_run_command_missing_binary_and_success():
    assert run_command(["/nonexistent/binary"]).rc == 127
    r = run_command([sys.executable, "-c", "print('x')"])
    assert r.ok and r.stdout == "x\n"
