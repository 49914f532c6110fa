"""Pure: what the aws provider creates for a stage (reference §9.2, on Debian 12), as the
parameters of the amazon.aws modules that roles/provider/tasks/aws-*.yml call, and what is read
back from their results (public addresses, volume ids) for ssh_config and provider_facts.yml.

No boto3 and no Ansible here: the preflight (providers/aws.py) asks the region what the
renderers need to know (zones, the AMI and its root device name) and hands it in as `Found`.
Every rendered call is checked against the module's own argument_spec in unit tests.

Choices that differ from 2.3.1 (Amazon Linux 2, reference §9.2):
- Debian 12 images (owner DEBIAN_OWNER), admin `admin`; the newest image at the first build is
  recorded and kept, so a new Debian point release never changes what a rerun asks for.
- Every resource carries the tags Name, Project (the hive name) and Stage, and is found by them:
  two stages of one project in one account never touch each other's resources, and `-D` finds a
  half-built site's leftovers without going through the VPC.
- An own security group and route table (2.3.1 edited the VPC's default ones): both can be
  deleted explicitly, in dependency order.
- The key pair and the VPC are named per stage (`awsroot-<prefix><name>`, `vpc-<prefix><name>`;
  the production stage has no prefix, so its VPC keeps 2.3.1's name) and the key pair is
  deleted by `-D`: a fixed `awsroot` shared by every project of the account would be replaced
  by the next project's key and deleted by the first `-D`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import cloud
from hive_builder.providers.cloud import ports as _ports, where as _where
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.sizing import stage_attribute

DEBIAN_OWNER = "136693071363"          # Debian's AWS account: the official cloud images
DEBIAN_NAME = "debian-12-{arch}-*"      # arch: amd64 or arm64
ARCHITECTURES = {"x86_64": "amd64", "arm64": "arm64"}
NTP_SERVER = "169.254.169.123"          # Amazon Time Sync Service, reachable from every instance
DATA_DEVICE = "/dev/sdb"                # the API name; Nitro guests see an NVMe disk instead
VOLUME_TYPE = "gp3"
LIVE_STATES = ("pending", "running", "stopping", "stopped")
PREFIXES = {"private": "p-", "staging": "s-", "production": ""}
# AWS reserves the network address, the next three (router, DNS, future) and the broadcast one
RESERVED_HEAD, RESERVED_TAIL = 4, 1


@dataclass(frozen=True)
class Found:
    """What the preflight learnt from the region, for the renderers."""
    image_id: str
    root_device_name: str = "/dev/xvda"
    default_zone: str | None = None       # for the implicit subnet (no `subnets` in the stage)


@dataclass(frozen=True)
class SubnetSpec:
    name: str
    cidr: str
    zone: str | None


@dataclass(frozen=True)
class Layout:
    """The stage's resources, named and tagged, before anything is asked of AWS."""
    region: str
    project: str
    stage: str
    vpc_name: str
    key_name: str
    subnets: tuple[SubnetSpec, ...]
    ssh_ports: tuple[int, ...]
    tcp_ports: tuple[int, ...]
    udp_ports: tuple[int, ...]
    published_ips: Mapping[str, str] = field(default_factory=dict)   # server -> user's EIP

    @property
    def group_name(self) -> str:
        return f"group-{self.vpc_name}"

    def tags(self, name: str | None = None) -> dict[str, str]:
        tags = {"Project": self.project, "Stage": self.stage}
        return {"Name": name, **tags} if name else tags

    @property
    def filters(self) -> dict[str, str]:
        """What `-H` and `-D` look for: everything of this project and stage."""
        return {"tag:Project": self.project, "tag:Stage": self.stage}




def layout(plan: ProvisionPlan) -> Layout:
    """Names, tags, subnets and ports of the stage; refuses what the inventory lacks."""
    s = plan.settings
    region = cloud.region(plan, "aws", " (e.g. ap-northeast-1)")
    prefix = PREFIXES.get(plan.stage, f"{plan.stage}-")
    # no `subnets`: the whole stage cidr in one zone the preflight picks (zone None)
    subnets = [SubnetSpec(sub.name, sub.cidr, sub.zone) for sub in cloud.stage_subnets(
        plan, f"{prefix}{plan.hive_name}-default", zone_name=f"an AWS zone name such as {region}a")]
    published = cloud.published_ips(plan)
    return Layout(
        region=region, project=plan.hive_name, stage=plan.stage,
        vpc_name=str(s.get("hive_vpc_name") or f"vpc-{prefix}{plan.hive_name}"),
        key_name=str(s.get("hive_aws_key_name") or f"awsroot-{prefix}{plan.hive_name}"),
        subnets=tuple(subnets),
        ssh_ports=cloud.ssh_ports(plan),
        tcp_ports=_ports(s.get("hive_published_ports_tcp")),
        udp_ports=_ports(s.get("hive_published_ports_udp")),
        published_ips=published)


def server_subnet(lay: Layout, server: ServerPlan) -> SubnetSpec:
    return cloud.server_subnet(lay.subnets, server)


def instance_type(server: ServerPlan) -> str | None:
    value = server.sizes.get("instance_type")
    return str(value) if value not in (None, "") else None


def has_data_disk(server: ServerPlan) -> bool:
    no_device = str(server.settings.get("hive_no_mirrored_device", "")).strip().lower() in (
        "true", "yes", "on", "1")
    return not no_device and server.sizes.get("mirrored_disk_size") not in (None, "")


def check_offline(plan: ProvisionPlan) -> Layout:
    """What can be refused from the inventory alone (also by `hive check`)."""
    lay = layout(plan)
    where = _where(plan)
    for server in plan.servers:
        if instance_type(server) is None:
            attr = stage_attribute("instance_type", server.roles)
            raise InventoryError(f"{attr} must be specified when provider is aws (server "
                                 f"{server.name}), e.g. t3.medium", attr=attr, **where)
        if "hives" in server.roles and not has_data_disk(server) and \
                "hive_no_mirrored_device" not in server.settings:
            raise InventoryError(f"mirrored_disk_size must be specified when provider is aws: "
                                 f"hive {server.name} needs a disk for DRBD (or set "
                                 "hive_no_mirrored_device: true for a diskless hive)",
                                 attr="mirrored_disk_size", **where)
        # moto accepts these and answers a later mistake with an HTTP 500; AWS refuses them
        cloud.check_address(server, server_subnet(lay, server), (RESERVED_HEAD, RESERVED_TAIL), "AWS", where)
    for subnet in lay.subnets:
        if ipaddress.IPv4Network(subnet.cidr).prefixlen > 28:
            raise InventoryError(f"subnet {subnet.name} ({subnet.cidr}): AWS subnets are /16 to /28",
                                 attr="subnets" if len(lay.subnets) > 1 else "cidr", **where)
    if ipaddress.IPv4Network(plan.cidr).prefixlen > 28 or ipaddress.IPv4Network(plan.cidr).prefixlen < 16:
        raise InventoryError(f"cidr {plan.cidr}: an AWS VPC is /16 to /28", attr="cidr", **where)
    return lay


def zones_needed(lay: Layout, plan: ProvisionPlan, default_zone: str | None) -> dict[str, set[str]]:
    """instance type -> the zones it must be offered in."""
    needed: dict[str, set[str]] = {}
    for server in plan.servers:
        zone = server_subnet(lay, server).zone or default_zone
        kind = instance_type(server)
        if kind and zone:
            needed.setdefault(kind, set()).add(zone)
    return needed


def image_filters(architecture: str) -> dict[str, Any]:
    """describe_images filters for the newest Debian 12 of an architecture."""
    return {"Owners": [DEBIAN_OWNER],
            "Filters": [{"Name": "name", "Values": [DEBIAN_NAME.format(arch=ARCHITECTURES[architecture])]},
                        {"Name": "architecture", "Values": [architecture]},
                        {"Name": "state", "Values": ["available"]}]}


def newest_image(images: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return max(images, key=lambda i: (str(i.get("CreationDate", "")), str(i.get("ImageId", ""))),
               default=None)


def is_debian_12(image: Mapping[str, Any]) -> bool:
    return str(image.get("Name", "")).startswith("debian-12-")


# ------------------------------------------------------------------------ module parameters


def vpc_params(lay: Layout, plan: ProvisionPlan) -> dict[str, Any]:
    # found again by name + cidr_block: ec2_vpc_net's identity of a VPC
    return {"name": lay.vpc_name, "cidr_block": plan.cidr, "tags": lay.tags(), "state": "present"}


def igw_params(lay: Layout) -> dict[str, Any]:
    return {"tags": lay.tags(f"gateway for {lay.vpc_name}"), "state": "present"}


def subnet_params(lay: Layout, found: Found) -> list[dict[str, Any]]:
    # map_public false: instances get their public address from an Elastic IP only
    return [{"cidr": s.cidr, "az": s.zone or found.default_zone, "map_public": False,
             "tags": lay.tags(s.name), "state": "present"} for s in lay.subnets]


def route_table_params(lay: Layout) -> dict[str, Any]:
    # lookup by the Name tag (unique per VPC): an own table, the VPC's main table is left alone.
    # The tasks add vpc_id, the subnets and the default route to the internet gateway.
    return {"lookup": "tag", "tags": lay.tags(f"public-{lay.vpc_name}"), "state": "present"}


def security_group_params(lay: Layout) -> dict[str, Any]:
    """Everything inside the group; ssh and the published ports below 10000 (tcp and udp) from
    anywhere (reference §9.2 step 3)."""
    rules: list[dict[str, Any]] = [{"proto": "all", "group_name": lay.group_name}]
    tcp = sorted({*lay.ssh_ports, *lay.tcp_ports})
    rules.append({"proto": "tcp", "ports": [str(p) for p in tcp], "cidr_ip": "0.0.0.0/0"})
    if lay.udp_ports:
        rules.append({"proto": "udp", "ports": [str(p) for p in lay.udp_ports], "cidr_ip": "0.0.0.0/0"})
    return {"name": lay.group_name, "description": f"hive {lay.project} {lay.stage}",
            "rules": rules, "purge_rules": True, "tags": lay.tags(lay.group_name), "state": "present"}


def key_params(lay: Layout, plan: ProvisionPlan) -> dict[str, Any]:
    # the tasks add key_material, read from public_key_file on the mother
    return {"name": lay.key_name, "tags": lay.tags(lay.key_name), "state": "present"}


def instance_params(lay: Layout, plan: ProvisionPlan, found: Found) -> list[dict[str, Any]]:
    """One ec2_instance call per server (network_interfaces[0].subnet_id and groups are the ids
    the tasks learn; `subnet` says which subnet of subnet_params)."""
    names = [s.name for s in lay.subnets]
    result = []
    for server in plan.servers:
        volumes = []
        if server.sizes.get("disk_size") not in (None, ""):
            volumes.append({"device_name": found.root_device_name,
                            "ebs": {"volume_size": int(server.sizes["disk_size"]), "volume_type": VOLUME_TYPE,
                                    "delete_on_termination": True}})
        if has_data_disk(server):
            volumes.append({"device_name": DATA_DEVICE,
                            "ebs": {"volume_size": int(server.sizes["mirrored_disk_size"]),
                                    "volume_type": VOLUME_TYPE, "delete_on_termination": True}})
        result.append({
            "name": server.name, "image_id": found.image_id, "instance_type": instance_type(server),
            "key_name": lay.key_name, "subnet": names.index(server_subnet(lay, server).name),
            "network_interfaces": [{"device_index": 0, "private_ip_address": server.ip,
                                    "delete_on_termination": True}],
            "volumes": volumes,
            # found by tags and state only: ec2_instance's default match includes the image and
            # the subnet, so a newer AMI would otherwise make a second instance
            "filters": {"tag:Name": server.name, **lay.filters, "instance-state-name": list(LIVE_STATES)},
            "tags": lay.tags(), "state": "running", "wait": True})
    return result


def eip_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """One ec2_eip call per server (device_id is the instance id). A user's `hive_published_ip`
    is associated as is and never released; ours go when disassociated."""
    result = []
    for server in plan.servers:
        given = lay.published_ips.get(server.name)
        params: dict[str, Any] = {"in_vpc": True, "release_on_disassociation": not given,
                                  "state": "present"}
        if given:
            params["public_ip"] = given
        # tagged by a separate ec2_tag call (eip_tags): ec2_eip's own `tags` re-tag on every
        # run on moto, which files EIP tags under another resource type than ec2_eip reads
        result.append({"name": server.name, "params": params,
                       "tags": {} if given else lay.tags(server.name)})
    return result


def tasks_vars(plan: ProvisionPlan, state: str, found: Found | None,
               existing: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> dict[str, Any]:
    """Everything roles/provider/tasks/aws-<state>.yml needs (`aws` in the tasks); `existing`:
    the stage's resources the preflight found, for halted and absent."""
    lay = layout(plan)
    common = {"state": state, "region": lay.region}
    if state != "present":
        return {**common, **teardown_params(lay, existing or {})}
    assert found is not None
    return {**common, "vpc": vpc_params(lay, plan), "igw": igw_params(lay),
            "subnets": subnet_params(lay, found), "route_table": route_table_params(lay),
            "security_group": security_group_params(lay), "key": key_params(lay, plan),
            "public_key_file": str(plan.public_key),
            "instances": instance_params(lay, plan, found), "eips": eip_params(lay, plan)}


# ------------------------------------------------------------------------ reading results back


@dataclass(frozen=True)
class Built:
    name: str
    instance_id: str
    public_ip: str
    data_volume_id: str | None


def built_servers(plan: ProvisionPlan, outcome: Mapping[str, Any]) -> list[Built]:
    """From the tasks' results: `instances` (one ec2_instance result's `instances` per server, in
    plan order) and `public_ips` (ec2_eip's `public_ip` per server)."""
    instances, ips = outcome.get("instances") or [], outcome.get("public_ips") or []
    if len(instances) != len(plan.servers) or len(ips) != len(plan.servers):
        raise HiveError(f"aws provider: {len(plan.servers)} servers but {len(instances)} instance "
                        f"results and {len(ips)} addresses")
    built = []
    for server, found, ip in zip(plan.servers, instances, ips):
        found = found[0] if isinstance(found, list) and found else found
        if not isinstance(found, Mapping) or not found.get("instance_id") or not ip:
            raise HiveError(f"aws provider: no instance or address for {server.name}")
        volume = None
        for mapping in found.get("block_device_mappings") or ():
            if mapping.get("device_name") == DATA_DEVICE:
                volume = (mapping.get("ebs") or {}).get("volume_id")
        built.append(Built(server.name, str(found["instance_id"]), str(ip), volume))
    return built


def facts(built: Sequence[Built], image_id: str, region: str) -> dict[str, Any]:
    """provider_facts.yml of an aws stage: the kernel has IPVS and (with LINBIT's module) DRBD;
    time from the hypervisor's service; the EBS volume id of each hive's DRBD disk, which the
    drbd role matches to the NVMe serial (Nitro guests do not see /dev/sdb)."""
    return {"ipvs": True, "drbd": "kernel", "ntp_servers": [NTP_SERVER],
            "aws_region": region, "aws_image_id": image_id,
            "aws_instances": {b.name: b.instance_id for b in built},
            "mirrored_volume_ids": {b.name: b.data_volume_id for b in built if b.data_volume_id}}


# ------------------------------------------------------------------------ -H and -D


def teardown_params(lay: Layout, found: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    """What `-H`/`-D` act on, from what the preflight found tagged with the project and stage
    (`describe_*` results, boto3's spelling). The tasks only act, type by type, in dependency
    order; found by tag rather than through the VPC, so a half-built or half-destroyed site's
    leftovers are found too (an internet gateway an interrupted teardown already detached)."""
    instances = [i for i in found.get("instances", ()) if i.get("State", {}).get("Name") in LIVE_STATES]
    keep = set(lay.published_ips.values())
    return {
        "instance_ids": sorted(i["InstanceId"] for i in instances),
        "running_ids": sorted(i["InstanceId"] for i in instances
                              if i.get("State", {}).get("Name") in ("pending", "running")),
        # ours are released; a user's hive_published_ip is only let go with its instance
        "release_ips": sorted({a["PublicIp"] for a in found.get("addresses", ())} - keep),
        "group_ids": sorted(g["GroupId"] for g in found.get("security_groups", ())
                            if g.get("GroupName") != "default"),
        "route_tables": sorted(({"route_table_id": t["RouteTableId"], "vpc_id": t["VpcId"]}
                                for t in found.get("route_tables", ())), key=lambda t: t["route_table_id"]),
        "subnets": sorted(({"vpc_id": s["VpcId"], "cidr": s["CidrBlock"]} for s in found.get("subnets", ())),
                          key=lambda s: s["cidr"]),
        "gateway_ids": sorted(g["InternetGatewayId"] for g in found.get("internet_gateways", ())),
        "vpc_ids": sorted(v["VpcId"] for v in found.get("vpcs", ())),
        "key_names": sorted(k["KeyName"] for k in found.get("key_pairs", ())),
    }


def tag_filters(lay: Layout) -> list[dict[str, Any]]:
    """boto3 Filters of everything of the stage."""
    return [{"Name": name, "Values": [value]} for name, value in lay.filters.items()]
