"""`drbdadm status` parser, diagnosis (manual 12.4 patterns) and the CLI table."""

from __future__ import annotations

from pathlib import Path

import pytest

from hive_builder.drbd_status import (
    Diagnosis, PeerVolumeStatus, StatusParseError, diagnose, format_findings, format_status_table,
    parse_one, parse_status, status_rows,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "drbd_status"
VOL = "ボリューム名"          # the manual's placeholder for the volume name
H = [f"hive{i}.hive 名" for i in range(3)]


def text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def scenario(name: str, resource: str = "vol1") -> dict:
    files = sorted(FIXTURES.glob(f"{name}__*.txt"))
    assert files, name
    return {f.name.split("__")[1][:-4]: parse_one(f.read_text(), resource) for f in files}


def codes(d: Diagnosis) -> list[str]:
    return [f.code for f in d.findings]


# ---- parser -------------------------------------------------------------------------------------

def test_parse_manual_all_outdated_with_lost_indentation():
    (res,) = parse_status(text("manual_12_4_1_all_outdated.txt"))
    assert res.name == VOL and res.role == "Secondary" and res.suspended is None
    assert res.disk == "Outdated"
    assert [p.name for p in res.peers] == [H[1], H[2]]
    assert all(p.role == "Secondary" and p.connection == "Connected" for p in res.peers)
    assert res.peers[0].volumes == [PeerVolumeStatus(peer_disk="Outdated")]


def test_parse_manual_wfbitmap():
    res = parse_one(text("manual_12_4_2_hive1_wfbitmap.txt"))
    assert res.role == "Primary" and res.disk == "UpToDate"
    v = res.peer(H[0]).volumes[0]
    assert (v.replication, v.peer_disk) == ("WFBtMapS", "Consistent")
    assert res.peer(H[2]).volumes[0].replication == "Established"


def test_parse_sync_source_with_done():
    res = parse_one(text("sync__hive0.x.txt"))
    v = res.peer("hive1.x").volumes[0]
    assert (v.replication, v.peer_disk, v.done) == ("SyncSource", "Inconsistent", 36.7)


def test_parse_connection_states_and_suspended():
    res = parse_one(text("diskless_alone__hive0.x.txt"))
    assert res.suspended == "quorum" and res.disk == "Diskless"
    assert res.volumes[0].extra == {"quorum": "no", "blocked": "upper"}
    assert [(p.name, p.connection, p.role, p.volumes) for p in res.peers] == [
        ("hive1.x", "Connecting", None, []), ("hive2.x", "Connecting", None, [])]


def test_parse_peer_client_and_extra_fields():
    res = parse_one(text("healthy_diskless__hive1.x.txt"))
    assert res.volumes[0].extra == {"open": "no"}
    assert res.peer("hive0.x").volumes[0].peer_client is True
    assert res.peer("hive2.x").volumes[0].peer_client is False


def test_parse_several_resources_and_volumes():
    found = parse_status(text("multi__hive0.x.txt"))
    assert [r.name for r in found] == ["vol1", "vol2"]
    vol2 = found[1]
    assert [(v.volume, v.disk) for v in vol2.volumes] == [(0, "UpToDate"), (1, "Outdated")]
    assert vol2.disk == "Outdated"                      # the worst volume
    pv = vol2.peer("hive1.x").volumes
    assert [(v.volume, v.replication, v.done) for v in pv] == [(0, "Established", None), (1, "PausedSyncS", 5.0)]
    assert pv[1].extra == {"resync-suspended": "dependency"}
    assert parse_one(text("multi__hive0.x.txt"), "vol2") == vol2
    assert parse_one(text("multi__hive0.x.txt"), "nosuch") is None
    assert parse_one("") is None


@pytest.mark.parametrize("bad", [
    "role:Secondary\n",                                  # no resource name
    "vol1 Secondary\n",                                   # no role
    "vol1 role:Secondary\n  open:no\n",                   # local line without disk
    "vol1 role:Secondary\n  disk:UpToDate\n  peer1 peer-disk:UpToDate\n",   # peer line without role/connection
    "vol1 role:Secondary\n  disk:UpToDate\n  p role:Secondary\n    peer-disk:UpToDate done:abc\n",
    "vol1 role:Secondary extra-word\n",
])
def test_parse_errors(bad):
    with pytest.raises(StatusParseError):
        parse_status(bad)


# ---- diagnosis: manual 12.4 ---------------------------------------------------------------------

def manual_all_outdated() -> dict:
    base = text("manual_12_4_1_all_outdated.txt")
    views = {H[0]: base,
             H[1]: base.replace(H[1], H[0]),
             H[2]: base.replace(H[2], H[0])}
    return {h: parse_one(t) for h, t in views.items()}


def test_manual_12_4_1_all_outdated_documented_repair():
    d = diagnose(VOL, manual_all_outdated())
    assert codes(d) == ["no_uptodate"] and not d.ok
    assert d.findings[0].repair == (
        f"{H[0]}: drbdadm primary --force {VOL}",
        f"{H[1]}: drbdadm disconnect {VOL}; drbdadm connect {VOL}",
        f"{H[2]}: drbdadm disconnect {VOL}; drbdadm connect {VOL}",
        f"{H[0]}: drbdadm secondary {VOL}",
    )


def test_all_outdated_first_disk_host_is_forced_not_a_diskless_one():
    st = manual_all_outdated()
    st[H[0]].volumes[0].disk = "Diskless"
    d = diagnose(VOL, st)
    nu = next(f for f in d.findings if f.code == "no_uptodate")
    assert nu.repair[0] == f"{H[1]}: drbdadm primary --force {VOL}"
    assert nu.hosts == (H[1], H[2])


def test_manual_12_4_2_one_sided_repair_on_healthy_side():
    st = {H[0]: parse_one(text("manual_12_4_2_hive0_healthy.txt")),
          H[1]: parse_one(text("manual_12_4_2_hive1_wfbitmap.txt"))}
    d = diagnose(VOL, st)
    assert codes(d) == ["one_sided"]
    f = d.findings[0]
    assert f.hosts == (H[0], H[1])
    assert f.repair == (f"{H[0]}: drbdadm disconnect {VOL}; drbdadm connect {VOL}",)
    assert "WFBtMapS" in f.message


# ---- diagnosis: constructed scenarios ----------------------------------------------------------

def test_sync_in_progress_is_not_an_error():
    d = diagnose("vol1", scenario("sync"))
    assert d.ok and d.syncing
    assert codes(d) == ["syncing"]
    assert "36.7% done" in d.findings[0].message


def test_sync_seen_only_from_target():
    d = diagnose("vol1", {"hive1.x": scenario("sync")["hive1.x"]})
    assert d.ok and codes(d) == ["syncing"]


def test_healthy_with_diskless_client():
    d = diagnose("vol1", scenario("healthy_diskless"))
    assert d.ok and d.findings == []


def test_one_sided_standalone_repair_on_the_host_that_gave_up():
    d = diagnose("vol1", scenario("standalone"))
    assert codes(d) == ["standalone"]
    assert d.findings[0].hosts == ("hive0.x",)
    assert d.findings[0].repair == ("hive0.x: drbdadm disconnect vol1; drbdadm connect vol1",)


def test_split_brain_suspected_keeps_primary():
    d = diagnose("vol1", scenario("splitbrain"))
    assert codes(d) == ["split_brain"]
    assert d.findings[0].repair == (
        "hive1.x: drbdadm disconnect vol1; drbdadm secondary vol1; drbdadm connect --discard-my-data vol1",
        "hive0.x: drbdadm connect vol1")


def test_diskless_client_without_uptodate_peer_and_peers_down():
    st = {"hive0.x": scenario("diskless_alone")["hive0.x"], "hive1.x": None, "hive2.x": None}
    d = diagnose("vol1", st)
    assert sorted(codes(d)) == ["diskless_no_data", "down", "down", "suspended"]
    down = [f for f in d.findings if f.code == "down"]
    assert down[0].repair == ("hive1.x: systemctl start drbd-resource@vol1  (or: drbdadm up vol1)",)


def test_both_connecting_is_a_network_problem():
    a = parse_one("vol1 role:Secondary\n  disk:UpToDate\n  hive1.x connection:Connecting\n")
    b = parse_one("vol1 role:Secondary\n  disk:UpToDate\n  hive0.x connection:Connecting\n")
    d = diagnose("vol1", {"hive0.x": a, "hive1.x": b})
    assert codes(d) == ["standalone"] and "tcp 7000-7999" in d.findings[0].message


def test_inconsistent_disk_without_sync_flagged():
    a = parse_one("vol1 role:Secondary\n  disk:UpToDate\n  hive1.x role:Secondary\n    peer-disk:Inconsistent\n")
    b = parse_one("vol1 role:Secondary\n  disk:Inconsistent\n  hive0.x role:Secondary\n    peer-disk:UpToDate\n")
    d = diagnose("vol1", {"hive0.x": a, "hive1.x": b})
    assert "local_disk" in codes(d) and not d.ok


# ---- table ------------------------------------------------------------------------------------

def test_status_table():
    st = scenario("sync")
    st["hive3.x"] = None
    d = diagnose("vol1", st)
    table = format_status_table(status_rows(d, st))
    assert table.splitlines() == [
        "HOST     RESOURCE  ROLE       DISK          STATE    PEERS",
        "hive0.x  vol1      Primary    UpToDate      SYNCING  hive1.x Secondary SyncSource/Inconsistent 36.7%, hive2.x Secondary UpToDate",
        "hive1.x  vol1      Secondary  Inconsistent  SYNCING  hive0.x Primary SyncTarget/UpToDate 36.7%, hive2.x Secondary UpToDate",
        "hive2.x  vol1      Secondary  UpToDate      OK       hive0.x Primary UpToDate, hive1.x Secondary Inconsistent",
        "hive3.x  vol1      -          -             DOWN     -",
    ]


def test_status_table_error_rows_and_findings_text():
    st = scenario("standalone")
    d = diagnose("vol1", st)
    rows = status_rows(d, st)
    assert [r.state for r in rows] == ["ERROR", "OK", "OK"]
    assert "hive1.x StandAlone" in rows[0].peers
    out = format_findings(d)
    assert out.startswith("ERROR: hive0.x gave up its connection to hive1.x")
    assert "  repair: hive0.x: drbdadm disconnect vol1; drbdadm connect vol1" in out
    assert format_findings(Diagnosis("x", [])) == ""


def test_both_standalone_with_a_diskless_side_is_not_split_brain():
    a = parse_one("vol1 role:Primary\n  disk:Diskless\n  hive1.x connection:StandAlone\n")
    b = parse_one("vol1 role:Secondary\n  disk:UpToDate\n  hive0.x connection:StandAlone\n")
    d = diagnose("vol1", {"hive0.x": a, "hive1.x": b})
    assert "split_brain" not in codes(d)
    sa = next(f for f in d.findings if f.code == "standalone")
    assert sa.hosts == ("hive0.x", "hive1.x") and len(sa.repair) == 2
    assert "diskless_no_data" in codes(d)
    assert a.disks == {"Diskless"}
