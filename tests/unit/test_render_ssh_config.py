from hive_builder.render.ssh_config import SshHost, hosts_in, render_block, render_ssh_config


def test_block_format():
    text = render_block(SshHost(name="p-hive0.demo", hostname="10.233.10.4", user="admin",
                                identity_file="/p/.hive/private/id_rsa"))
    assert text.splitlines() == [
        "# BEGIN ANSIBLE MANAGED BLOCK p-hive0.demo",
        "Host p-hive0.demo",
        "  HostName 10.233.10.4",
        "  UserKnownHostsFile /dev/null",
        "  User admin",
        "  StrictHostKeyChecking no",
        "  PasswordAuthentication no",
        "  IdentityFile /p/.hive/private/id_rsa",
        "  IdentitiesOnly yes",
        "  LogLevel ERROR",
        "# END ANSIBLE MANAGED BLOCK p-hive0.demo",
    ]


def test_port_only_when_not_22_and_log_level_choice():
    text = render_block(SshHost("h", "1.2.3.4", "u", "/k", port=2222), log_level="FATAL")
    assert "  Port 2222" in text.splitlines() and "  LogLevel FATAL" in text.splitlines()
    assert "Port" not in render_block(SshHost("h", "1.2.3.4", "u", "/k"))


def test_one_block_per_host_in_order_and_parsable():
    hosts = [SshHost(f"p-hive{i}.demo", f"10.0.0.{i + 4}", "admin", "/k") for i in range(3)]
    text = render_ssh_config(hosts)
    assert hosts_in(text) == ["p-hive0.demo", "p-hive1.demo", "p-hive2.demo"]
    assert [l.split()[1] for l in text.splitlines() if l.startswith("Host ")] == hosts_in(text)
    assert text.count("# END ANSIBLE MANAGED BLOCK") == 3


def test_empty():
    assert render_ssh_config([]) == ""


# -- sshd_port: the one decision behind the firewall, strict-source-ip and ssh_config ---------

import pytest  # noqa: E402

from hive_builder.render.ssh_config import sshd_port  # noqa: E402


@pytest.mark.parametrize("port, sources, expected", [
    (None, None, 22),
    (2222, None, 22),            # no source IPs: strict-source-ip does not run, sshd stays on 22
    (2222, [], 22),
    ("2222", "", 22),
    (2222, ["192.0.2.0/24"], 2222),
    ("2222", "192.0.2.1", 2222),
    (None, ["192.0.2.1"], 22),
    ("", ["192.0.2.1"], 22),
])
def test_sshd_port_moves_only_with_source_ips(port, sources, expected):
    assert sshd_port(port, sources) == expected


@pytest.mark.parametrize("bad", ["ssh", 0, 70000])
def test_sshd_port_rejects_non_ports(bad):
    with pytest.raises(ValueError, match="hive_sshd_port"):
        sshd_port(bad, ["192.0.2.1"])


def test_block_for_a_moved_sshd_carries_the_port():
    host = SshHost("p-hive0.demo", "10.0.0.4", "admin", "/k", port=sshd_port(2222, ["192.0.2.1"]))
    lines = render_block(host).splitlines()
    assert lines[1:4] == ["Host p-hive0.demo", "  HostName 10.0.0.4", "  Port 2222"]
