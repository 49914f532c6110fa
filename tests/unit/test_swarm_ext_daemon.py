"""follow-swarm-service end to end against fakes: reference §14.8 items 63-71 and decisions item 10."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hive_builder.swarm_extension.follow_swarm_service import PING_RETRY_SLEEP, Daemon, is_relevant
from hive_builder.swarm_extension.state import MemoryStateFile, State
from tests.unit.test_swarm_ext_fakes import OTHER_NODE, FakeDocker, FakeHost, service, task

VIP_ADD = ["ip", "-4", "addr", "add", "192.168.0.50/24", "dev", "eth0"]
VIP_DEL = ["ip", "-4", "addr", "del", "192.168.0.50/24", "dev", "eth0"]
GARP = ["arping", "-c", "1", "-U", "-I", "eth0", "192.168.0.50"]
PING = ["ping", "-4", "-c", "1", "-W", "2", "-I", "192.168.0.50", "192.168.0.1"]


def make(docker, host=None, state=None):
    host = host or FakeHost()
    sleeps: list[float] = []
    store = MemoryStateFile(state)
    d = Daemon(docker, runner=host, state_file=store, sleep=sleeps.append, clock=lambda: 1000.0)
    return d, host, store, sleeps


def web(**labels):
    return service("s1", "web", **labels)


# ---- 63, 64, 66, 67: VIP basics -----------------------------------------------------------------

def test_63_vip_added_with_network_prefix_then_garp_no_ping_without_router():
    d, host, store, _ = make(FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")]))
    d.reconcile()
    assert host.mutations() == [VIP_ADD, GARP]
    assert host.count("ping") == 0
    assert store.state.vips == {"192.168.0.50@web#SetVIP": {"ifname": "eth0", "cidr": "192.168.0.50/24"}}


def test_64_explicit_interface_and_prefix():
    d, host, _, _ = make(FakeDocker([web(HIVE_VIP="10.1.1.5/32@lo")], [task("s1")]))
    d.reconcile()
    assert host.mutations()[0] == ["ip", "-4", "addr", "add", "10.1.1.5/32", "dev", "lo"]


def test_no_interface_fits_logs_error_once_and_does_nothing(caplog):
    docker = FakeDocker([web(HIVE_VIP="10.9.9.9")], [task("s1")])
    d, host, _, _ = make(docker)
    with caplog.at_level(logging.ERROR):
        d.reconcile()
        d.reconcile()
    assert host.mutations() == []
    assert sum("No network interface to which a virtual IP 10.9.9.9" in r.message for r in caplog.records) == 1


def test_unparsable_vip_label_is_logged_not_raised(caplog):
    d, host, _, _ = make(FakeDocker([web(HIVE_VIP="192.168.0.500/24@eth0")], [task("s1")]))
    with caplog.at_level(logging.ERROR):
        d.reconcile()
    assert host.mutations() == []
    assert any("bad HIVE_VIP label" in r.message for r in caplog.records)


def test_66_vip_already_present_no_commands():
    host = FakeHost([("eth0", "192.168.0.10/24"), ("eth0", "192.168.0.50/24")])
    d, host, store, _ = make(FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")]), host)
    d.reconcile()
    assert host.mutations() == []
    assert "192.168.0.50@web#SetVIP" in store.state.vips   # adopted: released on leave


def test_67_task_moves_away_vip_removed():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    docker.tasks_ = [task("s1", OTHER_NODE)]
    d.reconcile()
    assert host.mutations()[-1] == VIP_DEL
    assert not host.has("192.168.0.50/24", "eth0")
    assert store.state.vips == {}


def test_task_shutdown_desired_state_counts_as_gone():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, _, _ = make(docker)
    d.reconcile()
    docker.tasks_ = [task("s1", desired="shutdown")]
    d.reconcile()
    assert host.mutations()[-1] == VIP_DEL


# ---- 65 and decision 10: router check ------------------------------------------------------------

def test_65_router_unreachable_five_pings_garp_before_each_retry_then_removed(caplog):
    host = FakeHost(pings=[False] * 5)
    d, host, store, sleeps = make(FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_ROUTER="192.168.0.1")],
                                             [task("s1")]), host)
    with caplog.at_level(logging.ERROR):
        d.reconcile()
    assert host.mutations() == [VIP_ADD, GARP] + [PING, GARP] * 4 + [PING, VIP_DEL]
    assert sleeps == [PING_RETRY_SLEEP] * 4
    assert any("Exceed max retry ping test count:5" in r.message for r in caplog.records)
    assert store.state.vips == {} and store.state.failed == {"192.168.0.50@web#SetVIP": "t-s1-node-a"}


def test_router_unreachable_not_retried_for_same_task_but_for_a_new_one():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_ROUTER="192.168.0.1")], [task("s1")])
    d, host, store, _ = make(docker, FakeHost(pings=[False] * 5))
    d.reconcile()
    n = len(host.mutations())
    d.reconcile()
    assert len(host.mutations()) == n              # no add/remove loop on every event
    docker.tasks_ = [task("s1", tid="t-new")]
    d.reconcile()
    assert host.mutations()[n:] == [VIP_ADD, GARP, PING]
    assert store.state.failed == {}


def test_router_ping_fails_twice_then_succeeds_three_garps_vip_kept():
    host = FakeHost(pings=[False, False, True])
    d, host, store, sleeps = make(FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_ROUTER="192.168.0.1")],
                                             [task("s1")]), host)
    d.reconcile()
    assert host.mutations() == [VIP_ADD, GARP, PING, GARP, PING, GARP, PING]
    assert host.count("arping") == 3 and len(sleeps) == 2
    assert host.has("192.168.0.50/24", "eth0") and store.state.vips


# ---- 68, 69: HIVE_MARK ---------------------------------------------------------------------------

def test_68_mark_added_kept_and_removed():
    docker = FakeDocker([service("z", "zabbix", HIVE_MARK="zabbix")], [task("z")])
    d, host, _, _ = make(docker)
    d.reconcile()
    assert docker.labels == {"zabbix": "true"}
    d.reconcile()
    assert docker.label_updates == [(["zabbix"], [])]       # already "true": no update
    docker.tasks_ = []
    d.reconcile()
    assert docker.labels == {} and docker.label_updates[-1] == ([], ["zabbix"])
    assert host.mutations() == []


def test_mark_with_other_value_is_corrected():
    docker = FakeDocker([service("z", "zabbix", HIVE_MARK="zabbix")], [task("z")], labels={"zabbix": "false"})
    make(docker)[0].reconcile()
    assert docker.labels == {"zabbix": "true"}


def test_69_label_value_change_replaces_mark():
    docker = FakeDocker([service("z", "lead", HIVE_MARK="x")], [task("z")])
    d, _, store, _ = make(docker)
    d.reconcile()
    docker.services_ = [service("z", "lead", HIVE_MARK="y")]
    d.reconcile()
    assert docker.labels == {"y": "true"}
    assert docker.label_updates[-1] == (["y"], ["x"])
    assert store.state.marks == {"y"}


def test_vip_label_value_change_moves_vip():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    docker.services_ = [web(HIVE_VIP="192.168.0.51")]
    d.reconcile()
    assert host.mutations()[2:] == [VIP_DEL, ["ip", "-4", "addr", "add", "192.168.0.51/24", "dev", "eth0"],
                                    ["arping", "-c", "1", "-U", "-I", "eth0", "192.168.0.51"]]
    assert list(store.state.vips) == ["192.168.0.51@web#SetVIP"]


def test_unrelated_labels_untouched():
    docker = FakeDocker([service("z", "lead", HIVE_MARK="x")], [], labels={"hives": "true", "x": "true"})
    make(docker)[0].reconcile()
    assert docker.labels == {"hives": "true"}


# ---- 70 and decision 10: start, restart, stop ----------------------------------------------------

def test_70_startup_reconciles_once_and_sigterm_releases_everything():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_MARK="web")], [task("s1")])
    d, host, store, _ = make(docker)
    d.run(windows=1)
    assert host.mutations().count(VIP_ADD) == 1 and docker.label_updates == [(["web"], [])]
    d.release_all()
    assert host.mutations()[-1] == VIP_DEL
    assert docker.labels == {}
    assert store.state == State()


def test_restart_with_vip_and_label_present_issues_no_commands():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_MARK="web")], [task("s1")])
    first, host, store, _ = make(docker)
    first.reconcile()
    before, updates = len(host.mutations()), len(docker.label_updates)
    # a new daemon process: same host, same /run state file
    second = Daemon(docker, runner=host, state_file=store, sleep=lambda s: None)
    second.run(windows=1)
    assert len(host.mutations()) == before and len(docker.label_updates) == updates


def test_restart_after_service_moved_removes_stale_vip_and_label_it_owned():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50", HIVE_MARK="web")], [task("s1")])
    first, host, store, _ = make(docker)
    first.reconcile()
    docker.tasks_ = [task("s1", OTHER_NODE)]         # moved while the daemon was down
    Daemon(docker, runner=host, state_file=store, sleep=lambda s: None).reconcile()
    assert host.mutations()[-1] == VIP_DEL and docker.labels == {}


def test_stale_vip_found_without_state_file_is_removed_but_primary_address_never():
    # state lost; the VIP of a service that now runs elsewhere is still here as a secondary address
    host = FakeHost([("eth0", "192.168.0.10/24"), ("eth0", "192.168.0.50/24")])
    host.addrs[1][2] = True
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50"), service("s2", "bad", HIVE_VIP="192.168.0.10")],
                        [task("s1", OTHER_NODE), task("s2", OTHER_NODE)])
    d, host, _, _ = make(docker, host)
    d.reconcile()
    assert host.mutations() == [VIP_DEL]


def test_service_removed_while_running_here_releases_owned_vip():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    docker.services_, docker.tasks_ = [], []
    d.reconcile()
    assert host.mutations()[-1] == VIP_DEL and store.state.vips == {}


def test_failed_delete_is_retried():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    docker.tasks_ = []
    real = host.__call__
    calls = {"n": 0}

    def flaky(argv):
        if argv[:4] == ["ip", "-4", "addr", "del"] and calls["n"] == 0:
            calls["n"] += 1
            host.calls.append(list(argv))
            from hive_builder.swarm_extension.system import Result
            return Result(2, "", "busy")
        return real(argv)

    d.run_cmd = flaky
    d.reconcile()
    assert host.has("192.168.0.50/24", "eth0") and store.state.vips
    d.reconcile()
    assert not host.has("192.168.0.50/24", "eth0") and store.state.vips == {}


# ---- event loop ------------------------------------------------------------------------------

def test_event_stream_drop_rechecks_and_keeps_vip(caplog):
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")],
                        events=[ConnectionError("stream closed"), ConnectionError("refused"), []])
    d, host, _, sleeps = make(docker)
    with caplog.at_level(logging.WARNING):
        d.run(windows=3)
    assert host.mutations() == [VIP_ADD, GARP]           # added once, never dropped
    assert sleeps == [1.0, 2.0]                          # backoff
    assert sum("lost the Docker event stream" in r.message for r in caplog.records) == 2


def test_recheck_after_drop_sees_move_that_happened_meanwhile():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")], events=[ConnectionError("gone")])
    d, host, _, _ = make(docker)
    d.sleep = lambda s: setattr(docker, "tasks_", [task("s1", OTHER_NODE)])
    d.run(windows=1)
    assert host.mutations()[-1] == VIP_DEL


def test_docker_down_during_recheck_is_survived():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")],
                        events=[ConnectionError("gone"), []])
    d, host, _, sleeps = make(docker)
    d.reconcile()
    docker.fail_services = 1
    d.run(windows=2)
    assert host.mutations() == [VIP_ADD, GARP]


def test_container_event_triggers_check():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [],
                        events=[[{"Type": "container", "Action": "start", "id": "c-s1"}]])
    d, host, _, _ = make(docker)
    d.reconcile()
    docker.tasks_ = [task("s1")]
    checks = []
    original = d.reconcile
    d.reconcile = lambda: checks.append(1) or original()
    d.run(windows=1)
    assert len(checks) >= 2          # startup, the event, end of window
    assert host.mutations() == [VIP_ADD, GARP]


@pytest.mark.parametrize("event, relevant", [
    ({"Type": "service", "Action": "update"}, True),
    ({"Type": "container", "Action": "start"}, True),
    ({"Type": "container", "Action": "die"}, True),
    ({"Type": "container", "Action": "exec_start: sh -c true"}, False),
    ({"Type": "network", "Action": "connect"}, False),
])
def test_relevant_events(event, relevant):
    assert is_relevant(event) is relevant


# ---- several services and IPv6 ---------------------------------------------------------------

def test_two_services_two_vips_on_one_node():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50"), service("s2", "api", HIVE_VIP="192.168.0.60")],
                        [task("s1"), task("s2")])
    d, host, store, _ = make(docker)
    d.reconcile()
    assert host.has("192.168.0.50/24", "eth0") and host.has("192.168.0.60/24", "eth0")
    docker.tasks_ = [task("s1")]
    d.reconcile()
    assert host.has("192.168.0.50/24", "eth0") and not host.has("192.168.0.60/24", "eth0")
    assert list(store.state.vips) == ["192.168.0.50@web#SetVIP"]


def test_numbered_vips_of_one_service():
    docker = FakeDocker([web(HIVE_VIP0="192.168.0.50", HIVE_VIP5="10.2.2.2/32@lo")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    assert host.has("192.168.0.50/24", "eth0") and host.has("10.2.2.2/32", "lo")
    assert set(store.state.vips) == {"192.168.0.50@web#SetVIP0", "10.2.2.2/32@lo@web#SetVIP5"}


def test_ipv6_vip_added_and_removed_with_ip_dash_6_without_arping():
    host = FakeHost([("eth0", "192.168.0.10/24"), ("eth0", "fd00::10/64")])
    docker = FakeDocker([web(HIVE_VIP_V6="fd00::50", HIVE_ROUTER_V6="fd00::1")], [task("s1")])
    d, host, _, _ = make(docker, host)
    d.reconcile()
    assert host.mutations() == [["ip", "-6", "addr", "add", "fd00::50/64", "dev", "eth0"],
                                ["ping", "-6", "-c", "1", "-W", "2", "-I", "fd00::50", "fd00::1"]]
    docker.tasks_ = []
    d.reconcile()
    assert host.mutations()[-1] == ["ip", "-6", "addr", "del", "fd00::50/64", "dev", "eth0"]


# ---- 71: NAT ------------------------------------------------------------------------------------

def iptables_inserts(host):
    return [c for c in host.mutations() if c[0] in ("iptables", "ip6tables") and "-I" in c]


def nat_setup(**labels):
    docker = FakeDocker([service("s1", "dns", HIVE_VIP="192.168.0.50", **labels)], [task("s1")],
                        gwbridge={"c-s1": ("172.18.0.3", None)})
    return docker, *make(docker)


def test_71_dnat_and_snat_rules_with_comments():
    docker, d, host, store, _ = nat_setup(HIVE_DNAT_PORTS="53/udp,80", HIVE_ENABLE_VIP_SNAT="TRUE")
    d.reconcile()
    inserts = iptables_inserts(host)
    assert ["iptables", "-t", "nat", "-I", "DOCKER", "-d", "192.168.0.50/32", "-p", "udp", "--dport", "53",
            "-j", "DNAT", "--to-destination", "172.18.0.3:53",
            "-m", "comment", "--comment", "hive_dnat_192.168.0.50_udp_53_dns"] in inserts
    comments = sorted(c[-1] for c in inserts)
    assert comments == ["hive_accept_192.168.0.50_tcp_80_dns", "hive_accept_192.168.0.50_udp_53_dns",
                        "hive_dnat_192.168.0.50_tcp_80_dns", "hive_dnat_192.168.0.50_udp_53_dns",
                        "hive_snat_192.168.0.50_dns"]
    snat = [c for c in inserts if "POSTROUTING" in c]
    assert snat == [["iptables", "-t", "nat", "-I", "POSTROUTING", "-s", "172.18.0.3/32", "-o", "eth0",
                     "-j", "SNAT", "--to-source", "192.168.0.50", "-m", "comment", "--comment",
                     "hive_snat_192.168.0.50_dns"]]
    n = len(host.mutations())
    d.reconcile()
    assert len(host.mutations()) == n                    # rules already right: untouched
    assert store.state.nat == {"v4"}


def test_nat_removed_when_task_leaves():
    docker, d, host, store, _ = nat_setup(HIVE_DNAT_PORTS="80")
    d.reconcile()
    docker.tasks_ = []
    d.reconcile()
    assert all(lines == [] for lines in host.rules.values())
    assert store.state.nat == set()


def test_nat_pending_until_container_on_gwbridge_then_added():
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80")
    docker.gwbridge = {}
    d.reconcile()
    assert iptables_inserts(host) == []
    docker.gwbridge = {"c-s1": ("172.18.0.3", None)}
    d.reconcile()
    assert len(iptables_inserts(host)) == 2


def test_nat_pending_then_task_leaves_nothing_left_behind():
    """The original's cancel bug: a pending NAT setup was never cancelled."""
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80")
    docker.gwbridge = {}
    d.reconcile()
    docker.tasks_ = []
    docker.gwbridge = {"c-s1": ("172.18.0.3", None)}
    d.reconcile()
    assert iptables_inserts(host) == []


def test_nat_follows_new_container_ip():
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80")
    d.reconcile()
    docker.tasks_ = [task("s1", tid="t2", container="c2")]
    docker.gwbridge = {"c2": ("172.18.0.9", None)}
    d.reconcile()
    lines = host.rules[("iptables", "nat", "DOCKER")]
    assert len(lines) == 1 and "172.18.0.9:80" in lines[0]


def test_release_all_removes_nat_rules():
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80", HIVE_ENABLE_VIP_SNAT="true")
    d.reconcile()
    d.release_all()
    assert all(lines == [] for lines in host.rules.values())


def test_bad_dnat_ports_label_logged(caplog):
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80/sctp")
    with caplog.at_level(logging.ERROR):
        d.reconcile()
    assert any("bad HIVE_DNAT_PORTS" in r.message for r in caplog.records)
    assert host.has("192.168.0.50/24", "eth0")


def test_logger_name_carries_node_name():
    d, *_ = make(FakeDocker())
    assert d.log.name == "FollowSwarm@hive0.test"


# ---- failure paths ----------------------------------------------------------------------------

def test_ip_add_failure_is_retried_at_next_check_not_marked_failed():
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    real = host.__call__
    from hive_builder.swarm_extension.system import Result
    d.run_cmd = lambda argv: Result(2, "", "RTNETLINK answers: Operation not permitted") \
        if argv[:4] == ["ip", "-4", "addr", "add"] else real(argv)
    d.reconcile()
    assert store.state.vips == {} and store.state.failed == {}
    d.run_cmd = real
    d.reconcile()
    assert host.has("192.168.0.50/24", "eth0")


def test_ip_listing_failure_aborts_the_check_and_keeps_state():
    from hive_builder.swarm_extension.follow_swarm_service import CheckError
    from hive_builder.swarm_extension.system import Result
    docker = FakeDocker([web(HIVE_VIP="192.168.0.50")], [task("s1")])
    d, host, store, _ = make(docker)
    d.reconcile()
    owned = dict(store.state.vips)
    calls = []
    d.run_cmd = lambda argv: calls.append(argv) or Result(1, "", "boom")
    with pytest.raises(CheckError, match="ip -j addr show failed"):
        d.reconcile()
    assert calls == [["ip", "-j", "addr", "show"]] and store.state.vips == owned
    docker.event_script = [[]]
    d.run(windows=1)                       # the loop survives it
    assert store.state.vips == owned


def test_label_update_failure_keeps_label_owned_and_retries():
    docker = FakeDocker([service("z", "lead", HIVE_MARK="x")], [task("z")])
    d, _, store, _ = make(docker)
    d.reconcile()
    docker.tasks_ = []
    real = docker.update_node_labels
    docker.update_node_labels = lambda *a: (_ for _ in ()).throw(RuntimeError("update out of sequence"))
    d.reconcile()
    assert store.state.marks == {"x"} and docker.labels == {"x": "true"}
    docker.update_node_labels = real
    d.reconcile()
    assert docker.labels == {} and store.state.marks == set()


def test_gwbridge_unreadable_keeps_rules(caplog):
    docker, d, host, _, _ = nat_setup(HIVE_DNAT_PORTS="80")
    d.reconcile()
    docker.gwbridge_addresses = lambda: (_ for _ in ()).throw(RuntimeError("network not found"))
    with caplog.at_level(logging.ERROR):
        d.reconcile()
    assert len(host.rules[("iptables", "nat", "DOCKER")]) == 1
    assert any("cannot read network docker_gwbridge" in r.message for r in caplog.records)


def test_release_all_survives_label_api_error(caplog):
    docker = FakeDocker([service("z", "lead", HIVE_MARK="x")], [task("z")])
    d, _, store, _ = make(docker)
    d.reconcile()
    docker.node_labels = lambda node_id: (_ for _ in ()).throw(RuntimeError("docker down"))
    with caplog.at_level(logging.INFO):
        d.release_all()
    assert store.state == State()
    assert any("Follow Swarm Service Daemon Stopped" in r.message for r in caplog.records)


# ---- the real adapter over a recorded low-level client ----------------------------------------

class RecordingAPI:
    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return {
                "info": {"Name": "hive0.x", "Swarm": {"NodeID": "n1"}},
                "services": [], "tasks": [],
                "inspect_node": {"Version": {"Index": 42}, "Spec": {"Role": "manager", "Labels": {"a": "true"}}},
                "inspect_network": {"Containers": {"c1": {"IPv4Address": "172.18.0.3/16", "IPv6Address": ""}}},
                "events": iter([]), "update_node": None,
            }[name]
        return call


def test_docker_adapter_calls_and_sdk_compatibility():
    import inspect

    import docker
    from hive_builder.swarm_extension.follow_swarm_service import DockerAdapter

    api = RecordingAPI()
    a = DockerAdapter(api)
    assert a.identity() == ("hive0.x", "n1")
    assert a.node_labels("n1") == {"a": "true"}
    a.update_node_labels("n1", ["b"], ["a"])
    assert api.calls[-1] == ("update_node", ("n1", 42, {"Role": "manager", "Labels": {"b": "true"}}), {})
    assert a.gwbridge_addresses() == {"c1": ("172.18.0.3", None)}
    a.tasks_on_node("n1")
    list(a.events(10.5, 40.5))
    assert api.calls[-1] == ("events", (), {"since": 10, "until": 40, "decode": True})
    # every call the adapter makes exists with these parameters in the installed SDK (and in 5.0.3)
    for name, args, kwargs in api.calls:
        sig = inspect.signature(getattr(docker.APIClient, name))
        sig.bind(None, *args, **kwargs)


# ---- real `ip` in a private network namespace --------------------------------------------------

NETNS_SCRIPT = r"""
import json, subprocess
from hive_builder.swarm_extension.follow_swarm_service import Daemon
from hive_builder.swarm_extension.state import MemoryStateFile
from hive_builder.swarm_extension.system import Result, run_command
from tests.unit.test_swarm_ext_fakes import OTHER_NODE, FakeDocker, service, task

for argv in (["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"], ["ip", "addr", "add", "192.168.77.10/24", "dev", "eth9"],
             ["ip", "link", "set", "eth9", "up"]):
    subprocess.run(argv, check=True)
mutations = []
def runner(argv):
    if argv[0] in ("arping", "ping"):       # not installed here, and nothing may be sent anyway
        mutations.append(list(argv)); return Result(0)
    if argv[:3] != ["ip", "-j", "addr"]:
        mutations.append(list(argv))
    return run_command(argv)
def eth9():
    links = json.loads(subprocess.run(["ip", "-j", "addr", "show", "dev", "eth9"], capture_output=True, text=True).stdout)
    return sorted(f"{a['local']}/{a['prefixlen']}" for a in links[0]["addr_info"] if a["family"] == "inet")
docker = FakeDocker([service("s1", "web", HIVE_VIP="192.168.77.50")], [task("s1")])
store = MemoryStateFile()
Daemon(docker, runner=runner, state_file=store, sleep=lambda s: None).reconcile()
assert eth9() == ["192.168.77.10/24", "192.168.77.50/24"], eth9()
n = len(mutations)
Daemon(docker, runner=runner, state_file=store, sleep=lambda s: None).reconcile()   # restart
assert len(mutations) == n, mutations[n:]
docker.tasks_ = [task("s1", OTHER_NODE)]
Daemon(docker, runner=runner, state_file=MemoryStateFile(), sleep=lambda s: None).reconcile()  # state lost
assert eth9() == ["192.168.77.10/24"], eth9()
print("ok")
"""


@pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip")),
                    reason="needs root, unshare and iproute2 (a private network namespace)")
def test_vip_lifecycle_with_real_ip_in_private_netns():
    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(["unshare", "-n", sys.executable, "-c", NETNS_SCRIPT], capture_output=True, text=True,
                       timeout=60, cwd=root)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr


@pytest.mark.parametrize("env, level", [
    ({}, logging.INFO), ({"HIVE_LOG_LEVEL": "debug"}, logging.DEBUG), ({"HIVE_LOG_LEVEL": "WARNING"}, logging.WARNING),
    ({"HIVE_LOG_LEVEL": "chatty"}, logging.INFO), ({"HIVE_LOG_LEVEL": ""}, logging.INFO),
])
def test_log_level_from_env(env, level):
    from hive_builder.swarm_extension.follow_swarm_service import log_level
    assert log_level(env) == level
