"""The Ansible filter adapters pass inventory values through to the renderers correctly."""

from hive_builder.plugins.filter import hive_filters as f


def test_rules_v4_agent_port_from_the_repository_and_syslog_from_the_gwbridge_range():
    text = f.hive_rules_v4(["10.0.0.4", "10.0.0.5"], is_repository=True, internal_cidr="172.31.252.0/22",
                           repository_ips=["10.0.0.5"])
    assert [x for x in text.splitlines() if "--dport 10050" in x] == [
        "-A HIVE-SERVICE -s 10.0.0.5/32 -p tcp -m tcp --dport 10050 -j ACCEPT"]
    assert "-s 172.31.254.0/25 -p udp -m udp --dport 10514" in text


def test_rules_v4_accepts_a_string_of_ssh_sources():
    text = f.hive_rules_v4(["10.0.0.4"], ssh_sources="192.0.2.1,192.0.2.2", ssh_port="22")
    assert text.count("--limit 5/sec") == 2


def test_load_yaml_file(tmp_path):
    assert f.hive_load_yaml_file(tmp_path / "missing.yml") == {}
    (tmp_path / "facts.yml").write_text("ipvs: false\ndns: [10.1.1.1]\n")
    assert f.hive_load_yaml_file(tmp_path / "facts.yml") == {"ipvs": False, "dns": ["10.1.1.1"]}


def test_resolv_nameservers_skip_loopback(tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\nsearch x\nnameserver 10.2.2.2\nnameserver ::1\n")
    assert f.hive_resolv_nameservers(str(resolv)) == ["10.2.2.2"]


def test_errors_become_filter_errors():
    import pytest
    from ansible.errors import AnsibleFilterError
    guarded = f.FilterModule().filters()["hive_internal_cidr"]
    with pytest.raises(AnsibleFilterError, match="hive_internal_cidr"):
        guarded("10.0.0.1/22")


def test_file_entries_carry_the_contents_under_the_destination(tmp_path):
    (tmp_path / "b.py").write_text("B = 2\n")
    (tmp_path / "a.py").write_text("A = 1\n")
    entries = f.hive_file_entries([str(tmp_path / "b.py"), str(tmp_path / "a.py")], "/usr/local/lib/x/")
    assert entries == [{"path": "/usr/local/lib/x/a.py", "content": "A = 1\n", "mode": "0644"},
                       {"path": "/usr/local/lib/x/b.py", "content": "B = 2\n", "mode": "0644"}]


def test_firewall_opens_the_port_sshd_listens_on():
    # the firewall role passes hive_safe_sshd_port | hive_sshd_port(hive_ssh_source_ips)
    no_sources = f.hive_rules_v4(["10.0.0.4"], ssh_port=f.hive_sshd_port("2222", None))
    assert "--dport 22 -j ACCEPT" in no_sources and "2222" not in no_sources
    strict = f.hive_rules_v4(["10.0.0.4"], ssh_sources=["192.0.2.1"],
                             ssh_port=f.hive_sshd_port("2222", ["192.0.2.1"]))
    assert "-s 192.0.2.1/32 -p tcp -m conntrack --ctstate NEW -m tcp --dport 2222" in strict
    assert "--dport 22 " not in strict


def test_bad_sshd_port_is_a_filter_error():
    import pytest
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="hive_sshd_port"):
        f.FilterModule().filters()["hive_sshd_port"]("x", ["192.0.2.1"])


def test_registry_config_filter_passes_the_private_ip():
    assert "addr: 10.0.0.7:5000" in f.hive_registry_config("h", "5000", "10.0.0.7")
    assert "addr: :5000" in f.hive_registry_config("h", 5000)


def test_host_certificate_filter_maps_empty_inventory_values_to_defaults():
    params = f.hive_host_certificate("p-hive0.demo", "demo", "10.0.0.4", "")
    assert params["subject_ordered"] == [{"DC": "demo"}, {"CN": "p-hive0.demo"}]
    assert params["key_type"] == "RSA" and params["key_size"] == 4096


def test_ifupdown_stanza_for_the_internal_network():
    assert f.hive_ifupdown_stanza("eth1", "172.21.0.5", 16).splitlines() == [
        "# Managed by hive-builder (setup-hosts, role internal-network)",
        "auto eth1", "iface eth1 inet static", "    address 172.21.0.5/16"]
    assert "address 172.21.0.5/16" in f.hive_ifupdown_stanza("eth1", "172.21.0.5", "255.255.0.0")
    assert "iface ens4 inet6 static\n    address fd00::5/64" in f.hive_ifupdown_stanza("ens4", "fd00::5", "64")


def test_ifupdown_stanza_rejects_bad_values():
    import pytest
    for args, message in [(("eth1; reboot", "10.0.0.5", 24), "hive_internal_net_if"),
                          (("eth1", "10.0.0.5", 33), "hive_internal_net_cidr"),
                          (("eth1", "10.0.0.0", 24), "not a host address")]:
        with pytest.raises(ValueError, match=message):
            f.hive_ifupdown_stanza(*args)
