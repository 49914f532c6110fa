from hive_builder.render.iptables import FirewallInput, normalize_sources, render_rules_v4, rule_sets

IPS = ("10.0.0.4", "10.0.0.5", "10.0.0.6")


def names(fw):
    return [rs.name for rs in rule_sets(fw)]


def test_every_server_gets_swarm_and_zabbix_rule_sets():
    assert names(FirewallInput(stage_ips=IPS)) == ["docker_api_swarm", "docker_swarm_udp", "zabbix_tcp"]


def test_zabbix_server_port_only_on_the_repository():
    assert "zabbix_server" not in names(FirewallInput(stage_ips=IPS, repository_ips=("10.0.0.6",)))
    sets = {rs.name: rs for rs in rule_sets(FirewallInput(stage_ips=IPS, is_repository=True))}
    assert sets["zabbix_server"].ports == ("10051",) and sets["zabbix_server"].sources == IPS


def test_repository_adds_registry_and_syslog():
    fw = FirewallInput(stage_ips=IPS, is_repository=True, syslog_port=10514, registry_port=5000)
    sets = {rs.name: rs for rs in rule_sets(fw)}
    assert sets["syslog"].proto == "udp" and sets["syslog"].ports == ("10514",)
    assert sets["registry"].ports == ("5000",) and sets["registry"].sources == IPS


def test_mirrored_disk_opens_drbd_range():
    sets = {rs.name: rs for rs in rule_sets(FirewallInput(stage_ips=IPS, has_mirrored_disk=True))}
    assert sets["drbd"].ports == ("7000:7999",)


def test_rules_file_layout():
    text = render_rules_v4(FirewallInput(stage_ips=IPS, is_repository=True,
                                         repository_ips=("10.0.0.6",), gwbridge_range="172.20.0.0/16"))
    lines = text.splitlines()
    assert lines[1] == "*filter" and lines[-1] == "COMMIT"
    # only INPUT and the hive chain are replaced: Docker's chains must survive --noflush
    assert "-F INPUT" in lines and ":HIVE-SERVICE - [0:0]" in lines
    assert not any(line.startswith((":FORWARD", ":OUTPUT", "-F FORWARD")) for line in lines)
    order = [lines.index(x) for x in (
        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A INPUT -i lo -j ACCEPT",
        "-A INPUT -j HIVE-SERVICE",
        "-A INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 22 -j ACCEPT",
        "-A INPUT -j REJECT --reject-with icmp-host-prohibited")]
    assert order == sorted(order)
    for ip in IPS:
        assert f"-A HIVE-SERVICE -s {ip}/32 -p tcp -m multiport --dports 2376,2377,7946 -j ACCEPT" in lines
        assert f"-A HIVE-SERVICE -s {ip}/32 -p udp -m multiport --dports 7946,4789 -j ACCEPT" in lines
        assert f"-A HIVE-SERVICE -s {ip}/32 -p udp -m udp --dport 10514 -j ACCEPT" in lines
    # the agent answers the repository (the Zabbix server) only; the server takes active checks
    assert [x for x in lines if "--dport 10050" in x] == [
        "-A HIVE-SERVICE -s 10.0.0.6/32 -p tcp -m tcp --dport 10050 -j ACCEPT"]
    for ip in IPS:
        assert f"-A HIVE-SERVICE -s {ip}/32 -p tcp -m tcp --dport 10051 -j ACCEPT" in lines
    assert "-A HIVE-SERVICE -s 172.20.0.0/16 -p udp -m udp --dport 10514 -j ACCEPT" in lines


def test_all_ssh_sources_are_kept_and_the_open_ssh_rule_goes():
    text = render_rules_v4(FirewallInput(stage_ips=IPS, ssh_port=2222,
                                         ssh_sources=("192.0.2.1", "198.51.100.0/24")))
    assert "--dport 2222 -j ACCEPT" not in text
    for src in ("192.0.2.1/32", "198.51.100.0/24"):
        assert (f"-A INPUT -s {src} -p tcp -m conntrack --ctstate NEW -m tcp --dport 2222 "
                "-m limit --limit 5/sec --limit-burst 20 -j ACCEPT") in text


def test_internal_network_replaces_peer_list_and_is_accepted_on_its_interface():
    fw = FirewallInput(stage_ips=IPS, internal_net={"if": "eth1", "addr": "10.1.0.0", "cidr": 24})
    text = render_rules_v4(fw)
    assert "-A INPUT -i eth1 -s 10.1.0.0/24 -m conntrack --ctstate NEW -j ACCEPT" in text
    assert "-s 10.0.0.4/32" not in text


def test_normalize_sources():
    assert normalize_sources("1.1.1.1, 2.2.2.2 3.3.3.3") == ("1.1.1.1", "2.2.2.2", "3.3.3.3")
    assert normalize_sources(["1.1.1.1"]) == ("1.1.1.1",)
    assert normalize_sources(None) == () and normalize_sources("") == ()
