"""The aws provider end to end against moto (conftest.py): the real `hive check` and
`hive build-infra` of this venv on a small project (3 hives + a repository server), resources
asserted with boto3.

What moto cannot show (its instances do not exist, it accepts more than AWS: see README "aws
provider") is covered by tests/unit/test_aws_*.py on the request parameters. build-infra's
"wait for connectable" play is skipped with the inventory knob `hive_wait_connectable: false`
(group_vars/all.yml below): moto's Elastic IPs are loopback addresses (127.x), where ssh would
reach this machine's own sshd.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.aws.conftest import clean_aws_environment, start_moto

HIVE = str(Path(sys.executable).parent / "hive")
REGION = "ap-northeast-1"
PROJECT = "awst"
NEWEST_DEBIAN = "ami-0de12bbbbbbbbbbb2"      # amis-debian.json: the newest amd64 image
HIVE_YML = f"""\
plugin: hive_inventory
name: {PROJECT}
stages:
  private:
    provider: aws
    separate_repository: true
    number_of_hosts: 4
    cidr: 10.77.0.0/24
    region: {REGION}
    instance_type: t3.medium
    repository_instance_type: t3.large
    disk_size: 16
    repository_disk_size: 24
    mirrored_disk_size: 20
    subnets:
      - {{cidr: 10.77.0.0/26, name: subnet-a, available_zone: {REGION}a}}
      - {{cidr: 10.77.0.64/26, name: subnet-c, available_zone: {REGION}c}}
      - {{cidr: 10.77.0.128/26, name: subnet-d, available_zone: {REGION}d}}
"""
SERVICES_YML = """\
plugin: hive_services
services:
  web:
    image: nginx:1
    ports: ["80:80", "8080", "53:53/udp"]
"""
SERVERS = {"p-hive0.awst": ("10.77.0.5", "t3.medium", f"{REGION}a"),
           "p-hive1.awst": ("10.77.0.69", "t3.medium", f"{REGION}c"),
           "p-hive2.awst": ("10.77.0.133", "t3.medium", f"{REGION}d"),
           "p-hive3.awst": ("10.77.0.6", "t3.large", f"{REGION}a")}
TAGS = [{"Name": "tag:Project", "Values": [PROJECT]}, {"Name": "tag:Stage", "Values": ["private"]}]
LIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def make_project(base: Path, hive_yml: str = HIVE_YML, group_vars: str = "") -> Path:
    root = base / "proj"
    (root / "inventory" / "group_vars").mkdir(parents=True)
    (root / "inventory" / "hive.yml").write_text(hive_yml)
    (root / "inventory" / "services.yml").write_text(SERVICES_YML)
    (root / "inventory" / "group_vars" / "all.yml").write_text("hive_wait_connectable: false\n" + group_vars)
    (base / "tmp").mkdir()
    return root


def hive(root: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([HIVE, "-r", str(root), "-W", str(root.parent / "tmp"), *args],
                          capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


def changed_counts(output: str) -> list[int]:
    """changed=N of the per-host recap lines (the progress output omits changed=0)."""
    recap = output.split("recap:", 1)[-1]
    return [int(n) for n in re.findall(r"changed=(\d+)", recap)]


def ec2():
    import boto3
    return boto3.client("ec2", region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def stage_resources(client) -> dict[str, list]:
    """The stage's resources by type, each through its own describe call (moto's describe_tags
    still lists deleted resources)."""
    return {
        "vpcs": client.describe_vpcs(Filters=TAGS)["Vpcs"],
        "gateways": client.describe_internet_gateways(Filters=TAGS)["InternetGateways"],
        "subnets": client.describe_subnets(Filters=TAGS)["Subnets"],
        "route_tables": client.describe_route_tables(Filters=TAGS)["RouteTables"],
        "groups": client.describe_security_groups(Filters=TAGS)["SecurityGroups"],
        "keys": client.describe_key_pairs(Filters=TAGS)["KeyPairs"],
        "instances": [i for r in client.describe_instances(
            Filters=TAGS + [{"Name": "instance-state-name", "Values": LIVE}])["Reservations"]
            for i in r["Instances"]],
        "volumes": client.describe_volumes(Filters=TAGS)["Volumes"],
        "addresses": client.describe_addresses(Filters=TAGS)["Addresses"],
    }


def assert_nothing_left(client, kept_ip: str | None = None) -> None:
    left = {kind: items for kind, items in stage_resources(client).items() if items}
    assert left == {}
    # untagged leftovers too: VPCs, volumes, interfaces, addresses (but the user's own)
    assert [v["VpcId"] for v in client.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert client.describe_volumes()["Volumes"] == []
    assert client.describe_network_interfaces()["NetworkInterfaces"] == []
    assert [a["PublicIp"] for a in client.describe_addresses()["Addresses"]] == ([kept_ip] if kept_ip else [])


def interrupted_build(root: Path, client, until: str = "groups") -> dict[str, list]:
    """build-infra stopped (SIGINT, as Ctrl-C) once resources of kind `until` exist: a
    half-built site; returns what it left."""
    proc = subprocess.Popen([HIVE, "-r", str(root), "-W", str(root.parent / "tmp"), "build-infra"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    probe = {"vpcs": lambda: client.describe_vpcs(Filters=TAGS)["Vpcs"],
             "groups": lambda: client.describe_security_groups(Filters=TAGS)["SecurityGroups"]}[until]
    deadline = time.monotonic() + 120
    while not probe():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()[-3000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode != 0, out[-3000:]
    half = stage_resources(client)
    assert half["vpcs"] and not half["addresses"], half
    return half


def test_check_names_missing_credentials(aws_env, monkeypatch, tmp_path):
    root = make_project(tmp_path)
    started = time.monotonic()
    result = hive(root, "check")
    assert result.returncode == 1
    assert "no usable AWS credentials" in result.stderr
    assert "hive set aws_access_key_id" in result.stderr and "AWS_PROFILE" in result.stderr
    assert "Traceback" not in result.stderr and time.monotonic() - started < 30


def test_check_refuses_wrong_credentials(tmp_path, monkeypatch):
    pytest.importorskip("moto.server")
    # moto validates credentials only when told to (from the first request on)
    proc, url = start_moto(tmp_path / "moto-auth.log", INITIAL_NO_AUTH_ACTION_COUNT="0")
    try:
        clean_aws_environment(monkeypatch, tmp_path / "home")
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        root = make_project(tmp_path)
        ok(hive(root, "set", "aws_access_key_id", "AKIAWRONG"))
        ok(hive(root, "set", "aws_secret_access_key", "wrong"))
        result = hive(root, "check")
        assert result.returncode == 1
        assert "AWS refused the credentials" in result.stderr and "hive set aws_access_key_id" in result.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def test_check_refuses_unreachable_endpoint_quickly(tmp_path, monkeypatch):
    pytest.importorskip("boto3")
    clean_aws_environment(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    started = time.monotonic()
    result = hive(make_project(tmp_path), "check")
    assert result.returncode == 1 and "cannot be reached" in result.stderr
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("change, message", [
    (("instance_type: t3.medium", "instance_type: t3.bogus"),
     "attribute 'instance_type': instance type t3.bogus does not exist in region"),
    ((f"available_zone: {REGION}d", f"available_zone: {REGION}b"),
     f"subnet #3, attribute 'available_zone': zone {REGION}b is not an available zone"),
])
def test_check_refuses_what_the_region_lacks(aws_env, monkeypatch, tmp_path, change, message):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    root = make_project(tmp_path, HIVE_YML.replace(*change))
    result = hive(root, "check")
    assert result.returncode == 1 and message in result.stderr, result.stderr
    result = hive(root, "build-infra")   # refused before anything is created
    assert result.returncode == 1 and message in result.stderr
    assert stage_resources(ec2())["vpcs"] == []


def test_build_rerun_halt_destroy(aws_env, tmp_path):
    """A run interrupted halfway, completed by the next one; exactly the expected resources; a
    rerun changes nothing; -H stops; -D leaves nothing but the user's own Elastic IP."""
    client = ec2()
    given = client.allocate_address(Domain="vpc")["PublicIp"]   # the user's hive_published_ip
    root = make_project(tmp_path)
    host_vars = root / "inventory" / "host_vars"
    host_vars.mkdir()
    (host_vars / "p-hive0.awst.yml").write_text(f"hive_published_ip: {given}\n")
    # credentials the documented way (manual 4.7), handed to boto3 and the modules by hive
    ok(hive(root, "set", "aws_access_key_id", "testing"))
    ok(hive(root, "set", "aws_secret_access_key", "testing"))
    ok(hive(root, "check"))

    half = interrupted_build(root, client)
    assert half["groups"] and not half["instances"]
    out = ok(hive(root, "build-infra"))
    assert f"uses {NEWEST_DEBIAN}" in out

    found = stage_resources(client)
    assert len(found["vpcs"]) == 1 and found["vpcs"][0]["CidrBlock"] == "10.77.0.0/24"
    vpc = found["vpcs"][0]["VpcId"]
    assert {t["Key"]: t["Value"] for t in found["vpcs"][0]["Tags"]} == {
        "Name": "vpc-p-awst", "Project": PROJECT, "Stage": "private"}
    assert len(found["gateways"]) == 1 and found["gateways"][0]["Attachments"][0]["VpcId"] == vpc
    assert sorted((s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]) for s in found["subnets"]) == [
        ("10.77.0.0/26", f"{REGION}a", False), ("10.77.0.128/26", f"{REGION}d", False),
        ("10.77.0.64/26", f"{REGION}c", False)]
    [table] = found["route_tables"]
    assert {a["SubnetId"] for a in table["Associations"]} == {s["SubnetId"] for s in found["subnets"]}
    assert any(r.get("DestinationCidrBlock") == "0.0.0.0/0"
               and r.get("GatewayId") == found["gateways"][0]["InternetGatewayId"] for r in table["Routes"])
    [group] = found["groups"]
    rules = {(p["IpProtocol"], p.get("FromPort"), tuple(r["CidrIp"] for r in p.get("IpRanges", [])),
              tuple(g["GroupId"] for g in p.get("UserIdGroupPairs", []))) for p in group["IpPermissions"]}
    assert rules == {("-1", None, (), (group["GroupId"],)), ("tcp", 22, ("0.0.0.0/0",), ()),
                     ("tcp", 80, ("0.0.0.0/0",), ()), ("udp", 53, ("0.0.0.0/0",), ())}
    assert [k["KeyName"] for k in found["keys"]] == ["awsroot-p-awst"]

    instances = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in found["instances"]}
    assert set(instances) == set(SERVERS)
    subnet_zone = {s["SubnetId"]: s["AvailabilityZone"] for s in found["subnets"]}
    volumes = {v["VolumeId"]: v for v in found["volumes"]}
    for name, (ip, kind, zone) in SERVERS.items():
        i = instances[name]
        assert (i["State"]["Name"], i["PrivateIpAddress"], i["InstanceType"], i["ImageId"],
                i["KeyName"], subnet_zone[i["SubnetId"]]) == ("running", ip, kind, NEWEST_DEBIAN,
                                                               "awsroot-p-awst", zone)
        assert [g["GroupId"] for g in i["SecurityGroups"]] == [group["GroupId"]]
        sizes = {m["DeviceName"]: volumes[m["Ebs"]["VolumeId"]]["Size"] for m in i["BlockDeviceMappings"]}
        assert sizes == ({"/dev/xvda": 24} if name == "p-hive3.awst" else {"/dev/xvda": 16, "/dev/sdb": 20})

    addresses = {a["InstanceId"]: a["PublicIp"] for a in client.describe_addresses()["Addresses"]}
    public = {name: addresses[i["InstanceId"]] for name, i in instances.items()}
    assert public["p-hive0.awst"] == given and len(set(public.values())) == 4
    assert len(found["addresses"]) == 3   # ours are tagged; the user's address is left untagged

    context = root / ".hive" / "private"
    ssh_config = (context / "ssh_config").read_text()
    for name, ip in public.items():
        assert f"Host {name}\n  HostName {ip}\n" in ssh_config
    assert ssh_config.count("User admin") == 4
    facts = yaml.safe_load((context / "provider_facts.yml").read_text())
    assert facts["ntp_servers"] == ["169.254.169.123"] and facts["aws_image_id"] == NEWEST_DEBIAN
    assert facts["mirrored_volume_ids"] == {
        name: next(m["Ebs"]["VolumeId"] for m in instances[name]["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sdb")
        for name in SERVERS if name != "p-hive3.awst"}

    rerun = ok(hive(root, "build-infra"))
    assert changed_counts(rerun) == [], rerun
    assert stage_resources(client) == found

    ok(hive(root, "build-infra", "-H"))
    states = {i["State"]["Name"] for i in stage_resources(client)["instances"]}
    assert states == {"stopped"}
    assert {a["InstanceId"] for a in client.describe_addresses()["Addresses"]} == {
        i["InstanceId"] for i in instances.values()}   # addresses kept
    assert changed_counts(ok(hive(root, "build-infra", "-H"))) == []

    ok(hive(root, "build-infra", "-D", "-y"))
    assert_nothing_left(client, kept_ip=given)
    assert changed_counts(ok(hive(root, "build-infra", "-D", "-y"))) == []


def test_interrupted_build_is_destroyed_cleanly(aws_env, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = ec2()
    root = make_project(tmp_path)
    # stopped earlier than in test_build_rerun_halt_destroy: right after the VPC
    interrupted_build(root, client, until="vpcs")
    ok(hive(root, "build-infra", "-D", "-y"))
    assert_nothing_left(client)
