"""DRBD resource renderer: exact text for the documented example, and every rendering checked by the
real drbdadm (config parse + per-node dry-run `up`) when drbd-utils is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hive_builder.render.drbd import (
    DrbdHost, DrbdResource, DrbdTuning, render_global_common, render_resource, resource_port,
)

STAGING = [
    DrbdHost("s-hive0.pdns", "192.168.0.5", diskless=True),
    DrbdHost("s-hive1.pdns", "192.168.0.69"),
    DrbdHost("s-hive2.pdns", "192.168.0.133"),
]

# reference §6.5.1 with the port rule we chose (7000 + device id instead of 7788 + device id).
EXPECTED_PDNSDB = """\
resource pdnsdb_data {
  options {
    quorum majority;
    on-no-quorum io-error;
  }
  on s-hive0.pdns {
    address   192.168.0.5:7001;
    node-id   0;
    disk      none;
    device    minor 1;
    meta-disk internal;
  }
  on s-hive1.pdns {
    address   192.168.0.69:7001;
    node-id   1;
    disk      /dev/drbdvg/pdnsdb_data;
    device    minor 1;
    meta-disk internal;
  }
  on s-hive2.pdns {
    address   192.168.0.133:7001;
    node-id   2;
    disk      /dev/drbdvg/pdnsdb_data;
    device    minor 1;
    meta-disk internal;
  }
  connection-mesh {
    hosts s-hive0.pdns s-hive1.pdns s-hive2.pdns;
    net {
        use-rle no;
    }
  }
}
"""

CASES = {
    "pdns_staging": DrbdResource("pdnsdb_data", 1, STAGING),
    "tuned": DrbdResource("pdnsdb_data", 1, STAGING, tuning=DrbdTuning()),
    "single_hive": DrbdResource("vol", 3, [DrbdHost("p-hive0.pdns", "192.168.0.100")]),
    "max_id_custom_vg": DrbdResource(
        "big_vol", 255, [DrbdHost("hive0.x", "10.0.0.1"), DrbdHost("hive1.x", "10.0.0.2")], vg="datavg"),
    "ipv6": DrbdResource(
        "v6vol", 7, [DrbdHost("hive0.x", "fd00::1"), DrbdHost("hive1.x", "fd00::2", diskless=True),
                     DrbdHost("hive2.x", "fd00::3")]),
    "five_hives_two_diskless": DrbdResource(
        "wide", 42, [DrbdHost(f"hive{i}.w", f"172.16.0.{10 + i}", diskless=i in (1, 3)) for i in range(5)],
        tuning=DrbdTuning(c_max_rate="500M", sndbuf_size="2M")),
}


def test_documented_example_renders_exactly():
    assert render_resource(CASES["pdns_staging"]) == EXPECTED_PDNSDB


def test_port_is_7000_plus_device_id_and_stays_in_firewall_range():
    assert resource_port(1) == 7001
    assert DrbdResource("x", 255, STAGING).port == 7255 <= 7999
    assert DrbdResource("x", 255, STAGING).device == "/dev/drbd255"


def test_node_ids_follow_given_order_not_sorted_names():
    hosts = [DrbdHost("b", "10.0.0.2"), DrbdHost("a", "10.0.0.1")]
    text = render_resource(DrbdResource("r", 2, hosts))
    assert text.index("on b {") < text.index("on a {")
    b_block = text[text.index("on b {"):text.index("on a {")]
    assert "node-id   0;" in b_block


def test_tuning_sections_present_only_when_asked():
    plain = render_resource(CASES["pdns_staging"])
    tuned = render_resource(CASES["tuned"])
    assert "c-plan-ahead" not in plain and "max-buffers" not in plain
    for line in ("c-plan-ahead 1;", "c-max-rate 1024000;", "c-delay-target 1;", "c-fill-target 1M;",
                 "rs-discard-granularity 1048576;", "max-buffers 16000;", "max-epoch-size 16000;",
                 "sndbuf-size 1M;"):
        assert line in tuned
    assert "flushes" not in tuned   # never trade durability for speed behind the user's back


def test_ipv6_address_form():
    text = render_resource(CASES["ipv6"])
    assert "address   ipv6 [fd00::1]:7007;" in text


def test_custom_vg():
    assert "disk      /dev/datavg/big_vol;" in render_resource(CASES["max_id_custom_vg"])


@pytest.mark.parametrize("res, message", [
    (DrbdResource("r", 0, STAGING), "not in 1..255"),
    (DrbdResource("r", 256, STAGING), "not in 1..255"),
    (DrbdResource("r", 1, []), "no hosts"),
    (DrbdResource("r", 1, [DrbdHost("a", "10.0.0.1"), DrbdHost("a", "10.0.0.2")]), "duplicate"),
    (DrbdResource("r", 1, [DrbdHost("a", "10.0.0.1", diskless=True)]), "every host is diskless"),
])
def test_invalid_resources_rejected(res, message):
    with pytest.raises(ValueError, match=message):
        render_resource(res)


def test_bad_address_rejected():
    with pytest.raises(ValueError):
        render_resource(DrbdResource("r", 1, [DrbdHost("a", "not-an-ip")]))


def test_global_common():
    text = render_global_common()
    assert "usage-count no;" in text
    assert "minor-count" not in text


# ---- validation with the real drbdadm -------------------------------------------------------

DRBDADM = shutil.which("drbdadm")
needs_drbdadm = pytest.mark.skipif(DRBDADM is None, reason="drbdadm (drbd-utils) is not installed")


def _etc_drbd(tmp_path: Path, res: DrbdResource) -> Path:
    """Lay out files as on a host: drbd.conf including global_common.conf and *.res."""
    d = tmp_path / "drbd.d"
    d.mkdir()
    (d / "global_common.conf").write_text(render_global_common())
    (d / f"{res.name}.res").write_text(render_resource(res))
    conf = tmp_path / "drbd.conf"
    conf.write_text(f'include "{d}/global_common.conf";\ninclude "{d}/*.res";\n')
    return conf


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def _dry_up(conf: Path, node: str, res: str) -> subprocess.CompletedProcess:
    # drbdadm picks the `on` block by the kernel host name: give it its own UTS namespace.
    prefix = ["unshare", "-u"] if os.geteuid() == 0 else ["unshare", "-Ur", "-u"]
    return _run(prefix + ["sh", "-c", 'hostname "$1" && exec drbdadm -c "$2" -d up "$3"', "sh",
                          node, str(conf), res])


@needs_drbdadm
@pytest.mark.parametrize("case", sorted(CASES))
def test_drbdadm_accepts_rendering(tmp_path, case):
    res = CASES[case]
    conf = _etc_drbd(tmp_path, res)
    dump = _run([DRBDADM, "-c", str(conf), "dump"])
    assert dump.returncode == 0, dump.stderr
    assert f"resource {res.name} {{" in dump.stdout
    assert "usage-count no;" in dump.stdout
    for node_id, host in enumerate(res.hosts):
        up = _dry_up(conf, host.name, res.name)
        assert up.returncode == 0, f"{host.name}: {up.stderr}"
        assert f"drbdsetup new-resource {res.name} {node_id} --quorum=majority --on-no-quorum=io-error" \
            in up.stdout
        minor_line = f"drbdsetup new-minor {res.name} {res.device_id} 0"
        assert minor_line in up.stdout
        if host.diskless:
            assert f"{minor_line} --diskless" in up.stdout
            assert "attach" not in up.stdout
        else:
            assert f"drbdsetup attach {res.device_id} {res.disk} {res.disk} internal" in up.stdout
        peers = [p for p in res.hosts if p is not host]
        assert up.stdout.count("drbdsetup connect ") == len(peers)
        for peer in peers:
            assert f"--_name={peer.name}" in up.stdout
            assert f":{res.port}" in up.stdout


@needs_drbdadm
def test_drbdadm_catches_a_broken_file(tmp_path):
    """The validation above can fail: a duplicated node-id is refused."""
    conf = _etc_drbd(tmp_path, CASES["pdns_staging"])
    res_file = tmp_path / "drbd.d" / "pdnsdb_data.res"
    res_file.write_text(res_file.read_text().replace("node-id   2;", "node-id   1;"))
    assert _run([DRBDADM, "-c", str(conf), "dump"]).returncode != 0
