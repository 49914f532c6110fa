"""providers/aws.py preflight, with a fake EC2 client standing for boto3: every refusal comes
before anything is created, names what to fix, and the requests it makes are the ones AWS
checks strictly (moto accepts unknown instance types, images and key pairs by default)."""

from __future__ import annotations

import builtins

import pytest
import yaml

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import aws as aws_provider
from hive_builder.providers import get_provider, provider_env
from hive_builder.providers.aws import AwsProvider, preflight
from tests.unit.test_aws_render import SUBNETS, plan

ZONES = ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
DEBIAN = [{"ImageId": "ami-old", "Name": "debian-12-amd64-20250101", "CreationDate": "2025-01-01", "RootDeviceName": "/dev/xvda"},
          {"ImageId": "ami-new", "Name": "debian-12-amd64-20250601", "CreationDate": "2025-06-01", "RootDeviceName": "/dev/xvda"}]


class NoCredentialsError(Exception):
    pass


class EndpointConnectionError(Exception):
    pass


class ClientError(Exception):
    def __init__(self, code, message="m"):
        super().__init__(f"{code}: {message}")
        self.response = {"Error": {"Code": code, "Message": message}}


class FakeEc2:
    def __init__(self, fail=None, offered=None, images=DEBIAN, arch=("x86_64",), addresses=()):
        self.fail, self.images, self.arch, self.addresses = fail, images, arch, addresses
        self.offered = offered if offered is not None else {(t, z) for t in ("t3.medium", "t3.large") for z in ZONES}
        self.requests = []

    def _log(self, name, kwargs):
        self.requests.append((name, kwargs))
        if self.fail:
            raise self.fail

    def describe_availability_zones(self, **kw):
        self._log("describe_availability_zones", kw)
        return {"AvailabilityZones": [{"ZoneName": z} for z in ZONES]}

    def describe_instance_types(self, **kw):
        self.requests.append(("describe_instance_types", kw))
        unknown = [t for t in kw["InstanceTypes"] if t not in {t for t, _ in self.offered}]
        if unknown:
            raise ClientError("InvalidInstanceType", f"The following supplied instance types do not exist: [{unknown[0]}]")
        return {"InstanceTypes": [{"InstanceType": t, "ProcessorInfo": {"SupportedArchitectures": list(self.arch)}}
                                  for t in kw["InstanceTypes"]]}

    def describe_instance_type_offerings(self, **kw):
        self.requests.append(("describe_instance_type_offerings", kw))
        return {"InstanceTypeOfferings": [{"InstanceType": t, "Location": z} for t, z in sorted(self.offered)]}

    def describe_images(self, **kw):
        self.requests.append(("describe_images", kw))
        if "ImageIds" in kw:
            found = [i for i in self.images + [{"ImageId": "ami-al2", "Name": "al2023-ami"}] if i["ImageId"] in kw["ImageIds"]]
            if not found:
                raise ClientError("InvalidAMIID.NotFound")
            return {"Images": found}
        return {"Images": list(self.images)}

    def describe_addresses(self, **kw):
        self.requests.append(("describe_addresses", kw))
        return {"Addresses": [{"PublicIp": ip} for ip in kw.get("PublicIps", []) if ip in self.addresses]}


def run(p, client, state="present"):
    notes = []
    found = preflight(p, state, lambda region, env: client, {}, notes)
    return found, notes


def test_checks_before_anything_and_picks_the_newest_debian(tmp_path):
    client = FakeEc2()
    found, notes = run(plan(tmp_path), client)
    assert found.image_id == "ami-new" and found.root_device_name == "/dev/xvda"
    assert "uses ami-new" in notes[0]
    names = [n for n, _ in client.requests]
    assert names == ["describe_availability_zones", "describe_instance_types",
                     "describe_instance_type_offerings", "describe_images"]
    assert client.requests[3][1] == {"Owners": ["136693071363"], "Filters": [
        {"Name": "name", "Values": ["debian-12-amd64-*"]}, {"Name": "architecture", "Values": ["x86_64"]},
        {"Name": "state", "Values": ["available"]}]}
    assert not any(n.startswith(("create", "run", "allocate", "import")) for n in names)


def test_the_recorded_image_is_kept_so_a_rerun_never_asks_for_another(tmp_path):
    (tmp_path / "provider_facts.yml").write_text(yaml.safe_dump({"aws_image_id": "ami-old"}))
    found, notes = run(plan(tmp_path), FakeEc2())
    assert found.image_id == "ami-old" and notes == []
    (tmp_path / "provider_facts.yml").write_text(yaml.safe_dump({"aws_image_id": "ami-gone"}))
    found, notes = run(plan(tmp_path), FakeEc2())
    assert found.image_id == "ami-new" and "ami-gone no longer exists" in notes[0]


def test_image_name_must_be_a_debian_12_image(tmp_path):
    p = plan(tmp_path)
    servers = tuple(s.__class__(**{**s.__dict__, "settings": {**s.settings, "hive_vm_image_name": "ami-al2"}})
                    for s in p.servers)
    with pytest.raises(InventoryError, match="not a Debian 12 image") as err:
        run(p.__class__(**{**p.__dict__, "servers": servers}), FakeEc2())
    assert err.value.attr == "image_name"


def test_arm64_instance_types_get_the_arm64_image(tmp_path):
    client = FakeEc2(arch=("arm64",))
    run(plan(tmp_path), client)
    assert client.requests[-1][1]["Filters"][0] == {"Name": "name", "Values": ["debian-12-arm64-*"]}


def test_no_debian_image_is_a_clear_error(tmp_path):
    with pytest.raises(HiveError, match="no Debian 12 image .owner 136693071363, name debian-12-amd64-\\*"):
        run(plan(tmp_path), FakeEc2(images=[]))


def test_unknown_instance_type_and_zone_names_the_attribute(tmp_path):
    with pytest.raises(InventoryError, match="t3.medium is not offered in ap-northeast-1d") as err:
        run(plan(tmp_path), FakeEc2(offered={(t, z) for t in ("t3.medium", "t3.large") for z in ZONES[:2]}))
    assert err.value.attr == "instance_type"
    with pytest.raises(InventoryError, match="t3.large does not exist") as err:
        run(plan(tmp_path), FakeEc2(offered={("t3.medium", z) for z in ZONES}))
    assert err.value.attr == "repository_instance_type"
    subnets = [*SUBNETS[:2], {**SUBNETS[2], "available_zone": "ap-northeast-1b"}]
    with pytest.raises(InventoryError, match="ap-northeast-1b is not an available zone") as err:
        run(plan(tmp_path, subnets=subnets), FakeEc2())
    assert err.value.attr == "available_zone" and err.value.obj == "stage private / subnet #3"


def test_implicit_subnet_takes_the_first_zone_offering_every_type(tmp_path):
    offered = {("t3.medium", z) for z in ZONES} | {("t3.large", "ap-northeast-1c")}
    p = plan(tmp_path, subnets=None)
    servers = tuple(s.__class__(**{**s.__dict__, "settings": {}}) for s in p.servers)
    found, _ = run(p.__class__(**{**p.__dict__, "servers": servers}), FakeEc2(offered=offered))
    assert found.default_zone == "ap-northeast-1c"


def test_a_published_ip_must_be_an_address_of_the_account(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    run(p, FakeEc2(addresses=("198.51.100.7",)))
    with pytest.raises(HiveError, match="hive_published_ip 198.51.100.7 is not an Elastic IP"):
        run(p, FakeEc2())


@pytest.mark.parametrize("error, message", [
    (NoCredentialsError("Unable to locate credentials"), "no usable AWS credentials"),
    (ClientError("AuthFailure", "AWS was not able to validate the provided access credentials"),
     "AWS refused the credentials (AuthFailure"),
    (ClientError("UnauthorizedOperation"), "may not do this"),
    (EndpointConnectionError('Could not connect to the endpoint URL: "https://ec2.x"'), "cannot be reached"),
])
@pytest.mark.parametrize("state", ["present", "absent", "halted"])
def test_credentials_and_endpoint_errors_say_what_to_do(tmp_path, error, message, state):
    with pytest.raises(HiveError, match=message.replace("(", r"\(")) as err:
        run(plan(tmp_path), FakeEc2(fail=error), state)
    if "credentials" in message:
        assert "hive set aws_access_key_id" in err.value.hint and "AWS_ACCESS_KEY_ID" in err.value.hint


def test_short_timeouts_and_few_attempts():
    # botocore's defaults (60 s read timeout, 3-5 attempts) hold a dead endpoint for minutes
    assert aws_provider.TIMEOUTS == {"connect_timeout": 5, "read_timeout": 15,
                                     "retries": {"max_attempts": 2, "mode": "standard"}}


def test_missing_boto3_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_boto(name, *args, **kwargs):
        if name.startswith(("boto3", "botocore")):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto)
    with pytest.raises(HiveError) as err:
        aws_provider.ec2_client("ap-northeast-1", {})
    assert "boto3" in err.value.message and "pip install 'swarmhive[aws]'" in err.value.hint


def test_credentials_from_hive_set_reach_the_client(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    env = provider_env({"aws_access_key_id": "AKIA1", "aws_secret_access_key": "s", "stage": "private"})
    assert env == {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"}
    seen = []
    provider = AwsProvider(env, client_factory=lambda region, e: seen.append((region, e)) or FakeEc2())
    provider.sanity_check(plan(tmp_path))
    assert seen == [("ap-northeast-1", {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"})]
    # `hive check` runs it: read-only requests with short timeouts
    assert get_provider("aws").name == "aws" and provider.checked_by_hive_check


def test_the_provider_hands_the_tasks_their_parameters_and_writes_ssh_config(tmp_path):
    from hive_builder.providers import apply
    p = plan(tmp_path)
    provider = AwsProvider({}, client_factory=lambda region, env: FakeEc2())
    first = apply(provider, p, "present")
    assert first.tasks_file == "aws.yml" and first.tasks_vars["image_id"] == "ami-new"
    assert not (tmp_path / "ssh_config").exists()
    instances = [[{"instance_id": f"i-{n}", "block_device_mappings": [
        {"device_name": "/dev/sdb", "ebs": {"volume_id": f"vol-{n}"}}]}] for n in range(4)]
    outcome = {"image_id": "ami-new", "instances": instances,
               "public_ips": ["203.0.113.0", "203.0.113.1", "203.0.113.2", "203.0.113.3"]}
    second = apply(AwsProvider({}, client_factory=lambda region, env: FakeEc2()), p, "present", outcome)
    assert second.changed
    text = (tmp_path / "ssh_config").read_text()
    assert "Host p-hive2.t\n  HostName 203.0.113.2\n" in text and "User admin" in text
    facts = yaml.safe_load((tmp_path / "provider_facts.yml").read_text())
    assert facts["aws_image_id"] == "ami-new" and facts["mirrored_volume_ids"]["p-hive0.t"] == "vol-0"
    again = apply(AwsProvider({}, client_factory=lambda region, env: FakeEc2()), p, "present", outcome)
    assert not again.changed
    # -D forgets the recorded image: a new site starts from the newest Debian
    assert apply(AwsProvider({}), p, "absent", {}).changed
    assert not (tmp_path / "provider_facts.yml").exists()
