from pathlib import Path

import pytest

from hive_builder.errors import HiveError
from hive_builder.providers.docker.image import (BASE_APT_CONFIG, BUILD_CONTEXT, base_leftovers, base_sources_list,
                                                 build_context_files, context_digest, debian_mirror,
                                                 node_build, node_digest, node_image_tag,
                                                 package_list, role_vars_text)

ROLES = Path(BUILD_CONTEXT).parents[1] / "playbooks" / "roles"

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_digest_changes_with_content_path_and_base_only():
    files = {"Dockerfile": b"FROM x\n", "rootfs/etc/a": b"1"}
    d = context_digest(files, "sha256:base")
    assert d == context_digest(dict(reversed(list(files.items()))), "sha256:base")
    assert d != context_digest({**files, "Dockerfile": b"FROM y\n"}, "sha256:base")
    assert d != context_digest({"Dockerfile": b"FROM x\n", "rootfs/etc/b": b"1"}, "sha256:base")
    assert d != context_digest(files, "sha256:other")


def test_node_image_tag():
    assert node_image_tag("0123456789abcdef") == "hive-builder/node:0123456789ab"


def test_shipped_build_context():
    files = build_context_files(BUILD_CONTEXT)
    dockerfile = files["Dockerfile"].decode()
    assert "STOPSIGNAL SIGRTMIN+3" in dockerfile and "openssh-server" in dockerfile
    assert "docker.io" not in dockerfile          # preloaded from the base role's list, not here
    assert "update-success-stamp" in dockerfile   # see lab doc: stale apt stamp breaks cache_valid_time
    assert "rootfs/etc/systemd/system/ssh.service.d/hostkeys.conf" in files


def test_debian_mirror_deb822_skips_security():
    assert debian_mirror(DEB822) == "http://deb.debian.org/debian"
    assert debian_mirror(DEB822.split("\n\n")[1]) is None


def test_debian_mirror_one_line_format():
    text = ("# comment\ndeb-src http://src.example/debian bookworm main\n"
            "deb [arch=amd64] http://mirror.example/debian bookworm main contrib\n")
    assert debian_mirror("", text) == "http://mirror.example/debian"
    assert debian_mirror("", "deb http://m/debian bullseye main\n") is None


def test_base_sources_list():
    assert base_sources_list("http://m/debian") == ("deb http://m/debian bookworm main\n"
                                                    "deb http://m/debian bookworm-updates main\n")


def test_bare_node_image_is_a_fresh_vm_without_extra_tools():
    dockerfile = build_context_files(BUILD_CONTEXT)["Dockerfile"].decode()
    bare = dockerfile.split("FROM bare AS preloaded", 1)[0]
    assert "AS bare" in bare
    install = bare.split("apt-get install", 1)[1].split("&&", 1)[0].split()
    packages = {w for w in install if not w.startswith("-") and w != "\\"}
    assert {"systemd", "systemd-sysv", "openssh-server", "sudo", "python3"} <= packages
    assert not packages & {"cron", "curl", "gnupg", "less", "iputils-ping", "docker.io"}


def _installs(stage_text):
    return [[w for w in part.split("&&", 1)[0].split() if not w.startswith("-") and w != "\\"]
            for part in stage_text.split("apt-get install")[1:]]


def test_preloaded_stages_install_their_build_args_only():
    dockerfile = build_context_files(BUILD_CONTEXT)["Dockerfile"].decode()
    preloaded, repository = dockerfile.split("FROM bare AS preloaded", 1)[1].split("FROM preloaded AS repository")
    assert _installs(preloaded) == [["$HIVE_PACKAGES"]]
    assert _installs(repository) == [["$REPOSITORY_FIRST_PACKAGES"], ["$REPOSITORY_PACKAGES"]]
    for stage in (preloaded, repository):
        # the lists stay with the packages (the bare stage drops them): setup-hosts skips apt
        assert "policy-rc.d" in stage and "/var/lib/apt/lists" not in stage
    assert "rm -rf /var/lib/apt/lists/*" in dockerfile.split("FROM bare AS preloaded", 1)[0]
    assert 'test -n "$HIVE_PACKAGES"' in preloaded and 'test -n "$REPOSITORY_PACKAGES"' in repository


def test_node_kinds_hold_the_roles_package_lists():
    assert node_build("bare") == ("bare", {})
    target, args = node_build("hive")
    assert target == "preloaded" and set(args) == {"HIVE_PACKAGES"}
    hive = args["HIVE_PACKAGES"].split()
    assert {"docker.io", "chrony", "zabbix-agent", "iptables-persistent", "curl"} <= set(hive)
    assert len(hive) == len(set(hive))
    target, args = node_build("repository")
    assert target == "repository" and args["HIVE_PACKAGES"].split() == hive
    assert args["REPOSITORY_FIRST_PACKAGES"] == "php-fpm"   # before the frontend (zabbix role)
    assert {"postgresql", "zabbix-server-pgsql", "nginx-light", "docker-registry", "rsyslog",
            "logrotate"} <= set(args["REPOSITORY_PACKAGES"].split())
    # each is what the role's own apt task installs
    assert "{{ hive_zabbix_packages }}" in (ROLES / "zabbix/tasks/main.yml").read_text()
    assert "{{ hive_registry_packages }}" in (ROLES / "registry/tasks/main.yml").read_text()
    assert "{{ hive_rsyslogd_packages }}" in (ROLES / "rsyslogd/tasks/main.yml").read_text()
    assert "hive_base_packages + hive_role_packages" in (ROLES / "base/tasks/main.yml").read_text()
    with pytest.raises(ValueError):
        node_build("other")


def test_package_list_merges_and_refuses_empty():
    text = "a_list: [a, b]\nb_list: [b, c]\n"
    assert package_list(text, ("a_list", "b_list")) == ["a", "b", "c"]
    with pytest.raises(HiveError, match="no packages in other of role x"):
        package_list(text, ("other",), " of role x")
    roles = {"base": "hive_base_packages: [a]\nhive_role_packages: [b]\n"}
    assert node_build("hive", roles.__getitem__) == ("preloaded", {"HIVE_PACKAGES": "a b"})
    assert role_vars_text("base") == (ROLES / "base/vars/main.yml").read_text()


def test_node_digest_per_stage_and_args():
    files = {"Dockerfile": b"FROM x\n"}
    bare = node_digest(files, "base", "bare", {})
    preloaded = node_digest(files, "base", "preloaded", {"HIVE_PACKAGES": "a b"})
    assert len({bare, preloaded, node_digest(files, "base", "preloaded", {"HIVE_PACKAGES": "a b c"}),
                node_digest(files, "other", "bare", {})}) == 4
    assert bare == node_digest(files, "base", "bare", {})


def test_base_apt_config_keeps_no_package_files():
    assert 'Dir::Cache::pkgcache "";' in BASE_APT_CONFIG
    assert "/var/cache/apt/archives/*.deb" in BASE_APT_CONFIG.split("DPkg::Post-Invoke", 1)[1]


def test_base_leftovers_are_debootstraps_downloads_lists_and_caches_only(tmp_path):
    keep = ["var/cache/apt/archives/partial", "var/lib/dpkg/status", "etc/apt/sources.list",
            "var/cache/apt/archives/lock"]
    drop = ["var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
            "var/cache/apt/pkgcache.bin", "var/cache/apt/srcpkgcache.bin",
            "var/cache/apt/archives/libc6_2.36-9_amd64.deb", "var/cache/apt/archives/partial/x_1_amd64.deb"]
    for rel in keep + drop:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("partial"):
            path.mkdir()
        else:
            path.write_text("x")
    assert base_leftovers(tmp_path) == sorted(tmp_path / rel for rel in drop)
