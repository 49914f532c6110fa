"""Provider `aws` (reference §9.2, Debian 12 instead of Amazon Linux 2).

The resources are made by amazon.aws modules in roles/provider/tasks/aws.yml, with the
parameters of the pure renderers in providers/aws_render.py. This side checks before anything
is created (boto3, short timeouts: credentials, endpoint, zones, instance types, the image),
writes ssh_config with the Elastic IPs and records provider_facts.yml.

boto3 is an optional dependency (`pip install 'swarmhive[aws]'`): it is imported on use only.
The endpoint can be moved with botocore's standard AWS_ENDPOINT_URL (tests point it at moto);
boto3 here and the amazon.aws modules both honour it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import aws_render as render
from hive_builder.providers.cloud import CloudProvider
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.providers.sizing import stage_attribute

EXTRA_HINT = "install the aws extra in the Python that runs hive: pip install 'swarmhive[aws]'"
CREDENTIALS_HINT = ("set them with `hive set aws_access_key_id <key id>` and `hive set "
                    "aws_secret_access_key <secret>`, or export AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or name a profile of ~/.aws/credentials in AWS_PROFILE")
# a cloud that does not answer must not hold build-infra for minutes (botocore's defaults:
# 60 s read timeout, several attempts)
TIMEOUTS = {"connect_timeout": 5, "read_timeout": 15, "retries": {"max_attempts": 2, "mode": "standard"}}
CREDENTIAL_CODES = ("AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch",
                    "InvalidAccessKeyId", "AuthorizationHeaderMalformed", "ExpiredToken",
                    "RequestExpired", "UnrecognizedClientException")
ENV_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

Client = Any
ClientFactory = Callable[[str, Mapping[str, str]], Client]


def ec2_client(region: str, env: Mapping[str, str]) -> Client:
    """An EC2 client of `region` with short timeouts; credentials from `env` when it has them,
    else boto3's own chain (environment, AWS_PROFILE, ~/.aws, instance role)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise HiveError("the aws provider needs boto3, which is not installed", hint=EXTRA_HINT) from None
    try:
        session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None, region_name=region)
        return session.client("ec2", config=Config(**TIMEOUTS))
    except Exception as exc:   # botocore's own errors (a profile that does not exist, ...)
        raise explain(exc, region) from None


def explain(exc: Exception, region: str) -> HiveError:
    """A botocore failure as what the user must do."""
    kind = type(exc).__name__
    if kind in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return HiveError(f"no usable AWS credentials for region {region}: {exc}", hint=CREDENTIALS_HINT)
    if kind == "ClientError":
        error = getattr(exc, "response", {}).get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        if code in CREDENTIAL_CODES:
            return HiveError(f"AWS refused the credentials ({code}: {message})", hint=CREDENTIALS_HINT)
        if code == "UnauthorizedOperation":
            return HiveError(f"the AWS credentials may not do this ({message})",
                             hint="give the IAM user EC2 and VPC permissions (manual 4.7)")
        return HiveError(f"AWS answered {code}: {message}")
    if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                "ConnectionClosedError", "SSLError", "ProxyConnectionError"):
        return HiveError(f"the AWS EC2 endpoint of region {region} cannot be reached: {exc}",
                         hint="check the region, the network and proxy settings (and "
                              "AWS_ENDPOINT_URL if set)")
    return HiveError(f"AWS request failed: {kind}: {exc}")


def _call(client: Client, region: str, method: str, **kwargs: Any) -> dict:
    try:
        return getattr(client, method)(**kwargs)
    except HiveError:
        raise
    except Exception as exc:
        raise explain(exc, region) from None


def recorded_image(context_dir: Path) -> str | None:
    """The image recorded by the last build of the stage (provider_facts.yml)."""
    try:
        data = yaml.safe_load((Path(context_dir) / "provider_facts.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    value = data.get("aws_image_id") if isinstance(data, dict) else None
    return str(value) if value else None


def preflight(plan: ProvisionPlan, state: str, client_factory: ClientFactory,
              env: Mapping[str, str], notes: list[str]) -> render.Found | None:
    """Ask the region, before anything is created, whatever the build would trip on. For halted
    and absent only the credentials and the endpoint matter (returns None)."""
    lay = render.check_offline(plan) if state == "present" else render.layout(plan)
    region = lay.region
    client = client_factory(region, env)
    zones = {z["ZoneName"] for z in _call(client, region, "describe_availability_zones",
                                          Filters=[{"Name": "state", "Values": ["available"]}])
             .get("AvailabilityZones", [])}
    if state != "present":
        return None
    where = {"file": plan.settings.get("hive_file")}
    for index, subnet in enumerate(lay.subnets):
        if subnet.zone is not None and subnet.zone not in zones:
            raise InventoryError(f"zone {subnet.zone} is not an available zone of region {region} "
                                 f"(available: {', '.join(sorted(zones)) or 'none'})",
                                 obj=f"stage {plan.stage} / subnet #{index + 1}", attr="available_zone",
                                 **where)
    kinds = sorted({render.instance_type(s) for s in plan.servers} - {None})
    attr_of = {render.instance_type(s): stage_attribute("instance_type", s.roles) for s in plan.servers}
    try:
        described = client.describe_instance_types(InstanceTypes=kinds).get("InstanceTypes", [])
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code.startswith("InvalidInstanceType") or code == "InvalidParameterValue":
            unknown = [k for k in kinds if k in str(exc)] or kinds
            raise InventoryError(f"instance type {', '.join(unknown)} does not exist in region {region}",
                                 obj=f"stage {plan.stage}", attr=attr_of.get(unknown[0], "instance_type"),
                                 **where) from None
        raise explain(exc, region) from None
    arches = set()
    for kind in described:
        supported = set(kind.get("ProcessorInfo", {}).get("SupportedArchitectures", ())) & set(render.ARCHITECTURES)
        arches.add("x86_64" if "x86_64" in supported else "arm64" if supported else "x86_64")
    if len(arches) > 1:
        raise InventoryError(f"instance types {', '.join(kinds)} mix x86_64 and arm64: one image "
                             "serves the stage", obj=f"stage {plan.stage}", attr="repository_instance_type",
                             **where)
    architecture = arches.pop() if arches else "x86_64"
    offered: set[tuple[str, str]] = set()
    for page in _pages(client, region, "describe_instance_type_offerings", LocationType="availability-zone",
                       Filters=[{"Name": "instance-type", "Values": kinds}]):
        offered |= {(o["InstanceType"], o["Location"]) for o in page.get("InstanceTypeOfferings", [])}
    default_zone = None
    if any(s.zone is None for s in lay.subnets):
        usable = [z for z in sorted(zones) if all((k, z) in offered for k in kinds)]
        if not usable:
            raise InventoryError(f"no zone of region {region} offers {', '.join(kinds)}",
                                 obj=f"stage {plan.stage}", attr="instance_type", **where)
        default_zone = usable[0]
    for kind, needed in render.zones_needed(lay, plan, default_zone).items():
        missing = sorted(z for z in needed if (kind, z) not in offered)
        if missing:
            raise InventoryError(f"instance type {kind} is not offered in {', '.join(missing)} "
                                 f"(region {region})", obj=f"stage {plan.stage}",
                                 attr=attr_of.get(kind, "instance_type"), **where)
    image = _image(plan, client, region, architecture, notes)
    given = sorted(lay.published_ips.items())
    if given:
        try:
            have = {a["PublicIp"] for a in client.describe_addresses(
                PublicIps=[ip for _, ip in given]).get("Addresses", [])}
        except Exception as exc:
            if "InvalidAddress" not in getattr(exc, "response", {}).get("Error", {}).get("Code", ""):
                raise explain(exc, region) from None
            have = set()
        for server, ip in given:
            if ip not in have:
                raise HiveError(f"server {server}: hive_published_ip {ip} is not an Elastic IP of "
                                f"this account in region {region}",
                                hint="allocate it first, or remove hive_published_ip")
    return render.Found(image_id=image["ImageId"], root_device_name=image.get("RootDeviceName") or "/dev/xvda",
                        default_zone=default_zone)


# describe call -> (result key, the stage's resources of that type)
DESCRIBE = {"instances": ("describe_instances", "Reservations"),
            "addresses": ("describe_addresses", "Addresses"),
            "security_groups": ("describe_security_groups", "SecurityGroups"),
            "route_tables": ("describe_route_tables", "RouteTables"),
            "subnets": ("describe_subnets", "Subnets"),
            "internet_gateways": ("describe_internet_gateways", "InternetGateways"),
            "vpcs": ("describe_vpcs", "Vpcs"),
            "key_pairs": ("describe_key_pairs", "KeyPairs")}


def existing_resources(plan: ProvisionPlan, client_factory: ClientFactory,
                       env: Mapping[str, str]) -> dict[str, list[dict]]:
    """Everything tagged with the project and stage, type by type (read-only). Each type's own
    describe call with a tag filter: moto's describe_tags still lists deleted resources."""
    lay = render.layout(plan)
    client = client_factory(lay.region, env)
    filters = render.tag_filters(lay)
    found: dict[str, list[dict]] = {}
    for kind, (method, key) in DESCRIBE.items():
        items: list[dict] = []
        for page in ([_call(client, lay.region, method, Filters=filters)] if kind in ("addresses", "key_pairs")
                     else _pages(client, lay.region, method, Filters=filters)):
            items.extend(page.get(key, []))
        found[kind] = ([i for r in items for i in r.get("Instances", [])] if kind == "instances" else items)
    ids = [i["InstanceId"] for i in found["instances"]]
    if ids:   # addresses associated with our instances, tagged or not
        attached = _call(client, lay.region, "describe_addresses",
                         Filters=[{"Name": "instance-id", "Values": ids}]).get("Addresses", [])
        known = {a.get("AllocationId") for a in found["addresses"]}
        found["addresses"] += [a for a in attached if a.get("AllocationId") not in known]
    return found


def _pages(client: Client, region: str, method: str, **kwargs: Any) -> list[dict]:
    pages, token = [], None
    while True:
        page = _call(client, region, method, **kwargs, **({"NextToken": token} if token else {}))
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            return pages


def _image(plan: ProvisionPlan, client: Client, region: str, architecture: str,
           notes: list[str]) -> Mapping[str, Any]:
    """The stage's image: `image_name` if set; else the one recorded at the first build, while
    it exists; else the newest Debian 12 (recorded by this build)."""
    where = {"file": plan.settings.get("hive_file"), "obj": f"stage {plan.stage}"}
    given = {str(s.settings["hive_vm_image_name"]) for s in plan.servers if s.settings.get("hive_vm_image_name")}
    if given:
        wanted = sorted(given)[0]
        images = _describe_ids(client, region, wanted)
        if not images:
            raise InventoryError(f"image {wanted} does not exist in region {region}", attr="image_name", **where)
        if not render.is_debian_12(images[0]):
            raise InventoryError(f"image {wanted} ({images[0].get('Name')}) is not a Debian 12 image: "
                                 "hive supports Debian 12 hosts only", attr="image_name", **where)
        return images[0]
    recorded = recorded_image(plan.context_dir)
    if recorded:
        images = _describe_ids(client, region, recorded)
        if images:
            return images[0]
    query = render.image_filters(architecture)
    newest = render.newest_image(_call(client, region, "describe_images", **query).get("Images", []))
    if newest is None:
        raise HiveError(f"no Debian 12 image (owner {render.DEBIAN_OWNER}, name "
                        f"{query['Filters'][0]['Values'][0]}, {architecture}) in region {region}",
                        hint="set image_name in the stage to a Debian 12 AMI of the region")
    notes.append(f"aws provider: stage {plan.stage} uses {newest['ImageId']} ({newest.get('Name')}); "
                 "recorded in provider_facts.yml, later builds keep it"
                 + (f" (the recorded {recorded} no longer exists)" if recorded else ""))
    return newest


def _describe_ids(client: Client, region: str, image_id: str) -> list[dict]:
    try:
        return client.describe_images(ImageIds=[image_id]).get("Images", [])
    except Exception as exc:
        if "InvalidAMIID" in getattr(exc, "response", {}).get("Error", {}).get("Code", ""):
            return []
        raise explain(exc, region) from None


class AwsProvider(CloudProvider):
    name = "aws"
    tasks_file = "aws.yml"

    def __init__(self, env: Mapping[str, str] | None = None,
                 client_factory: ClientFactory = ec2_client) -> None:
        # credentials from `hive set` (env) over the process environment
        self._env = {**{k: os.environ[k] for k in ENV_CREDENTIALS if os.environ.get(k)}, **(env or {})}
        self._client_factory = client_factory
        super().__init__()
        self._image_id = ""

    def sanity_check(self, plan: ProvisionPlan) -> None:
        preflight(plan, "present", self._client_factory, self._env, [])

    def tasks_vars(self, plan: ProvisionPlan, state: str) -> dict:
        found = preflight(plan, state, self._client_factory, self._env, self._notes)
        existing = None if state == "present" else existing_resources(plan, self._client_factory, self._env)
        params = render.tasks_vars(plan, state, found, existing)
        if found is not None:
            params["image_id"] = found.image_id
        return params

    def take_outcome(self, plan: ProvisionPlan, state: str, outcome: Mapping) -> None:
        if state == "present":
            self._built = render.built_servers(plan, outcome)
            self._image_id = str(outcome.get("image_id") or "")

    def facts(self, plan: ProvisionPlan) -> dict:
        return render.facts(self._built or [], self._image_id, render.layout(plan).region)
