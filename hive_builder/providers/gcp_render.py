"""Pure: what the gcp provider creates for a stage (reference §9.3, on Debian 12), as the
parameters of the google.cloud modules that roles/provider/tasks/gcp-*.yml call, and what is read
back from their results (public addresses) for ssh_config and provider_facts.yml.

No google-auth and no Ansible here: the preflight (providers/gcp.py) reads the project id from
<root_dir>/gcp_credential.json and asks the API what the renderers cannot know offline; it hands
it in as `Found`. Every rendered call is checked against the module's own argument_spec in unit
tests (tests/unit/test_gcp_module_params.py).

Choices that differ from 2.3.1 (reference §9.3):
- Debian 12 (image family projects/debian-cloud/global/images/family/debian-12), admin `admin`.
- Network, firewalls and subnetworks are named per stage (`vpc-<prefix><name>`, `internal-...`,
  `ssh-...`, `<network>-<subnet name>`): subnetwork and firewall names are unique per project, so
  two stages of one project must not share them. The production stage has no prefix and keeps
  2.3.1's names for the network and the firewalls. A hive named like a domain has its dots
  (and capitals) turned into '-' (lowercase) there and in the labels: GCP names allow neither.
- Both firewalls have their own names (2.3.1 gave both `hive_firewall_name`, so the second
  replaced the first).
- Instances and disks carry the labels hive_project and hive_stage; `-H` stops only instances
  carrying them, `-D` deletes every resource of the stage by name (absent is a no-op for one
  that is already gone, so a half-built or half-destroyed site is finished off too).
- The DRBD disk is attached with device name `drbd-<short>`, so the guest sees it as
  /dev/disk/by-id/google-drbd-<short> whatever the kernel calls it (provider_facts.yml).
- Secure Boot is off explicitly: LINBIT's DRBD 9 module (DKMS) is not signed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import cloud
from hive_builder.providers.cloud import ports as _ports, where as _where
from hive_builder.providers.plan import ProvisionPlan, ServerPlan
from hive_builder.providers.sizing import stage_attribute

DEBIAN_IMAGE = "projects/debian-cloud/global/images/family/debian-12"
DEFAULT_DISK_GB = 25                      # manual: the boot disk when disk_size is omitted
DISK_TYPE = "pd-balanced"
# the metadata server answers NTP on every instance; by address, so a later change of the hosts'
# resolvers (nameservers) cannot break time keeping
NTP_SERVER = "169.254.169.254"
API = "https://www.googleapis.com/compute/v1"   # the form of the selfLinks the API returns
ZONE_SUFFIXES = ("-a", "-b", "-c")
PREFIXES = {"private": "p-", "staging": "s-", "production": ""}
# GCP keeps the network and gateway addresses and the last two of every subnetwork range
RESERVED_HEAD, RESERVED_TAIL = 2, 2
NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
LABEL = re.compile(r"[a-z0-9_-]{0,63}")
AUTH_KIND = "serviceaccount"
CREDENTIAL_FILE = "gcp_credential.json"


@dataclass(frozen=True)
class Found:
    """What the preflight learnt, for the renderers."""
    project_id: str                       # the GCP project of the service account key
    credential_file: str                  # <root_dir>/gcp_credential.json


@dataclass(frozen=True)
class SubnetSpec:
    name: str          # the hive definition's name (hive_subnet of the servers)
    gcp_name: str      # the subnetwork's name in GCP
    cidr: str
    zone: str | None


@dataclass(frozen=True)
class Layout:
    """The stage's resources, named and labelled, before anything is asked of GCP."""
    region: str
    project: str
    stage: str
    network_name: str
    subnets: tuple[SubnetSpec, ...]
    ssh_ports: tuple[int, ...]
    tcp_ports: tuple[int, ...]
    udp_ports: tuple[int, ...]
    published_ips: Mapping[str, str] = field(default_factory=dict)   # server -> user's address

    @property
    def internal_firewall(self) -> str:
        return f"internal-{self.network_name.removeprefix('vpc-')}"

    @property
    def ssh_firewall(self) -> str:
        return f"ssh-{self.network_name.removeprefix('vpc-')}"

    @property
    def labels(self) -> dict[str, str]:
        # underscores, not '-': the keys appear bare in the API's list filters (filters)
        return {"hive_project": self.project, "hive_stage": self.stage}

    @property
    def filters(self) -> list[str]:
        """gcp_compute_instance_info filters: the stage's instances."""
        return [f'labels.{k} = "{v}"' for k, v in self.labels.items()]




def gcp_name(hive_name: str) -> str:
    """The hive's name as GCP names and label values allow it: a hive may be named like a
    domain (demo.example.com), GCP names have no dots and no capitals."""
    return hive_name.lower().replace(".", "-")


def short_name(server: ServerPlan) -> str:
    return server.short_name


def layout(plan: ProvisionPlan) -> Layout:
    """Names, labels, subnetworks and ports of the stage; refuses what the inventory lacks."""
    s = plan.settings
    region = cloud.region(plan, "gcp", ", e.g. asia-northeast1")
    prefix = PREFIXES.get(plan.stage, f"{plan.stage[:1]}-")
    network = str(s.get("hive_vpc_name") or f"vpc-{prefix}{gcp_name(plan.hive_name)}")
    # no `subnets`: the whole stage cidr (the model names it <name>-default)
    subnets = [SubnetSpec(sub.name, f"{network}-default" if sub.implicit else f"{network}-{sub.name}",
                          sub.cidr, str(sub.zone) if sub.zone not in (None, "") else None)
               for sub in cloud.stage_subnets(plan, f"{plan.hive_name}-default")]
    published = cloud.published_ips(plan)
    return Layout(
        region=region, project=gcp_name(plan.hive_name), stage=plan.stage, network_name=network,
        subnets=tuple(subnets),
        ssh_ports=cloud.ssh_ports(plan),
        tcp_ports=_ports(s.get("hive_published_ports_tcp")),
        udp_ports=_ports(s.get("hive_published_ports_udp")),
        published_ips=published)


def server_subnet(lay: Layout, server: ServerPlan) -> SubnetSpec:
    return cloud.server_subnet(lay.subnets, server)


def server_zone(lay: Layout, plan: ProvisionPlan, server: ServerPlan) -> str:
    """hive_available_zone (the model's choice), else the subnet's, else <region>-a/b/c in turn."""
    zone = server.settings.get("hive_available_zone") or server_subnet(lay, server).zone
    if zone not in (None, ""):
        return str(zone)
    return lay.region + ZONE_SUFFIXES[plan.servers.index(server) % len(ZONE_SUFFIXES)]


def machine_type(server: ServerPlan) -> str | None:
    value = server.sizes.get("instance_type")
    return str(value) if value not in (None, "") else None


def has_data_disk(server: ServerPlan) -> bool:
    no_device = str(server.settings.get("hive_no_mirrored_device", "")).strip().lower() in (
        "true", "yes", "on", "1")
    return not no_device and server.sizes.get("mirrored_disk_size") not in (None, "")


def boot_disk_gb(server: ServerPlan) -> int:
    value = server.sizes.get("disk_size")
    return int(value) if value not in (None, "") else DEFAULT_DISK_GB


def image(server: ServerPlan) -> str:
    return str(server.settings.get("hive_vm_image_name") or DEBIAN_IMAGE)


def data_disk_name(server: ServerPlan) -> str:
    return f"drbd-{short_name(server)}"


def device_link(server: ServerPlan) -> str:
    """Where the guest finds the DRBD disk whatever its kernel name (the image's udev rules
    name every disk after its device name)."""
    return f"/dev/disk/by-id/google-{data_disk_name(server)}"


def _bad_name(name: str) -> bool:
    return not NAME.fullmatch(name)


def check_offline(plan: ProvisionPlan) -> Layout:
    """What can be refused from the inventory alone (also by `hive check`)."""
    lay = layout(plan)
    where = _where(plan)
    for key, value in lay.labels.items():
        if not LABEL.fullmatch(value):
            raise InventoryError(f"{'name' if key == 'hive_project' else 'stage'} {value!r} cannot be a "
                                 f"GCP label value ({key}): lowercase letters, digits, '-' and '_' only, "
                                 "at most 63", attr="name" if key == "hive_project" else None, **where)
    # hive_vpc_name is an inventory variable (group_vars), the rest follows the hive's name
    names = [("network", lay.network_name, "hive_vpc_name" if plan.settings.get("hive_vpc_name") else "name"),
             ("firewall", lay.internal_firewall, "name"),
             ("firewall", lay.ssh_firewall, "name")]
    names += [("subnetwork", s.gcp_name, "subnets") for s in lay.subnets]
    for server in plan.servers:
        names += [("instance", short_name(server), "name"), ("address", f"gip-{short_name(server)}", "name"),
                  ("disk", data_disk_name(server), "name")]
    for kind, name, attr in names:
        if _bad_name(name):
            raise InventoryError(f"{kind} name {name!r} is not a valid GCP name (lowercase letters, "
                                 "digits and '-', starting with a letter, at most 63)",
                                 attr=attr, **where)
    for server in plan.servers:
        if machine_type(server) is None:
            attr = stage_attribute("instance_type", server.roles)
            raise InventoryError(f"{attr} must be specified when provider is gcp (server "
                                 f"{server.name}), e.g. e2-standard-2", attr=attr, **where)
        if "hives" in server.roles and not has_data_disk(server) and \
                "hive_no_mirrored_device" not in server.settings:
            raise InventoryError(f"mirrored_disk_size must be specified when provider is gcp: "
                                 f"hive {server.name} needs a disk for DRBD (or set "
                                 "hive_no_mirrored_device: true for a diskless hive)",
                                 attr="mirrored_disk_size", **where)
        given = server.settings.get("hive_vm_image_name")
        if given is not None and not isinstance(given, str):
            raise InventoryError(f"image_name must be an image's name or URL when provider is gcp (e.g. "
                                 f"{DEBIAN_IMAGE}), found {type(given).__name__}", attr="image_name", **where)
        if boot_disk_gb(server) < 10:
            raise InventoryError(f"server {server.name}: disk_size {boot_disk_gb(server)} GB is below "
                                 "the 10 GB of GCP's Debian 12 image", attr=stage_attribute("disk_size", server.roles),
                                 **where)
        cloud.check_address(server, server_subnet(lay, server), (RESERVED_HEAD, RESERVED_TAIL), "GCP", where)
        zone = server_zone(lay, plan, server)
        if not zone.startswith(lay.region + "-"):
            raise InventoryError(f"server {server.name}: zone {zone} is not a zone of region {lay.region}",
                                 attr="available_zone", **where)
    for subnet in lay.subnets:
        prefix = ipaddress.IPv4Network(subnet.cidr).prefixlen
        if prefix > 29 or prefix < 8:
            raise InventoryError(f"subnet {subnet.name} ({subnet.cidr}): GCP subnetworks are /8 to /29",
                                 attr="subnets" if len(lay.subnets) > 1 else "cidr", **where)
    return lay


# ------------------------------------------------------------------------ module parameters


def network_params(lay: Layout) -> dict[str, Any]:
    # custom mode: the subnetworks are the stage's, not one per region in 10.128.0.0/9
    return {"name": lay.network_name, "auto_create_subnetworks": False,
            "description": f"hive {lay.project} {lay.stage}", "state": "present"}


def firewall_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """Everything inside the stage cidr; ssh and the published ports below 10000 (tcp and udp)
    from anywhere (reference §9.3 steps 2-3). The tasks add `network` (the registered network)."""
    internal = {"name": lay.internal_firewall, "description": f"hive {lay.project} {lay.stage}: inside the stage",
                "direction": "INGRESS", "source_ranges": [plan.cidr],
                "allowed": [{"ip_protocol": "tcp", "ports": ["0-65535"]},
                            {"ip_protocol": "udp", "ports": ["0-65535"]}, {"ip_protocol": "icmp"}],
                "state": "present"}
    public: list[dict[str, Any]] = [
        {"ip_protocol": "tcp", "ports": [str(p) for p in sorted({*lay.ssh_ports, *lay.tcp_ports})]}]
    if lay.udp_ports:
        public.append({"ip_protocol": "udp", "ports": [str(p) for p in lay.udp_ports]})
    public.append({"ip_protocol": "icmp"})
    ssh = {"name": lay.ssh_firewall, "description": f"hive {lay.project} {lay.stage}: ssh and published ports",
           "direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allowed": public, "state": "present"}
    return [internal, ssh]


def subnetwork_params(lay: Layout) -> list[dict[str, Any]]:
    # the tasks add `network`
    return [{"name": s.gcp_name, "ip_cidr_range": s.cidr, "region": lay.region,
             "description": f"hive {lay.project} {lay.stage}: {s.name}", "state": "present"}
            for s in lay.subnets]


def address_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """One static external address per server that has no `hive_published_ip` (a user's address
    is used as is and never made or released by hive)."""
    return [{"name": f"gip-{short_name(s)}", "region": lay.region, "address_type": "EXTERNAL",
             "description": f"hive {lay.project} {lay.stage}: {s.name}", "state": "present"}
            for s in plan.servers if s.name not in lay.published_ips]


def disk_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """The DRBD data disks (servers with a mirrored disk only)."""
    return [{"name": data_disk_name(s), "zone": server_zone(lay, plan, s),
             "size_gb": int(s.sizes["mirrored_disk_size"]), "type": DISK_TYPE, "labels": lay.labels,
             "description": f"hive {lay.project} {lay.stage}: DRBD disk of {s.name}", "state": "present"}
            for s in plan.servers if has_data_disk(s)]


def instance_params(lay: Layout, plan: ProvisionPlan, status: str = "RUNNING") -> list[dict[str, Any]]:
    """One gcp_compute_instance call per server. `subnet` (index into subnetwork_params), `address`
    (index into address_params, or None with `nat_ip` the user's address) and `data_disk` (index
    into disk_params, or None) say which registered results the tasks put in; `ssh_user` is the
    user of the metadata ssh-keys the tasks complete with the public key."""
    names = [s.name for s in lay.subnets]
    ours = [s.name for s in plan.servers if s.name not in lay.published_ips]
    disks = [s.name for s in plan.servers if has_data_disk(s)]
    result = []
    for server in plan.servers:
        short = short_name(server)
        given = lay.published_ips.get(server.name)
        result.append({
            "name": short, "zone": server_zone(lay, plan, server), "machine_type": machine_type(server),
            "boot_disk": {"disk_name": f"boot-{short}", "disk_size_gb": boot_disk_gb(server),
                          "disk_type": DISK_TYPE, "source_image": image(server)},
            "network_ip": server.ip, "subnet": names.index(server_subnet(lay, server).name),
            "address": None if given else ours.index(server.name),
            "nat_ip": {"address": given} if given else None,
            "data_disk": disks.index(server.name) if server.name in disks else None,
            "data_device_name": data_disk_name(server),
            # hostname: the inventory name, as 2.3.1's metadata (setup-hosts sets it on the host).
            # enable-oslogin FALSE: with OS Login on (a project-wide setting) the guest agent
            # ignores the ssh-keys metadata and the admin could not log in
            "metadata": {"hostname": server.name, "enable-oslogin": "FALSE"},
            "ssh_user": plan.admin_user,
            "labels": lay.labels, "deletion_protection": False,
            "shielded_instance_config": {"enable_secure_boot": False, "enable_vtpm": True,
                                         "enable_integrity_monitoring": True},
            "status": status, "state": "present"})
    return result


def zones(lay: Layout, plan: ProvisionPlan) -> list[str]:
    """The zones the stage's instances are in (where -H and -D look for them)."""
    return sorted({server_zone(lay, plan, s) for s in plan.servers})


def network_link(lay: Layout, project_id: str) -> str:
    return f"{API}/projects/{project_id}/global/networks/{lay.network_name}"


def stop_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """One gcp_compute_instance call per server for -H: status TERMINATED, with the fields the
    module compares and rewrites when the status differs (labels, machine type, deletion
    protection, shielded VM) as they were made, so that stopping changes nothing else. Disks
    and interfaces are left out: the module then neither attaches nor compares them."""
    return [{key: value for key, value in params.items()
             if key in ("name", "zone", "machine_type", "labels", "deletion_protection",
                        "shielded_instance_config", "status", "state")}
            for params in instance_params(lay, plan, status="TERMINATED")]


def teardown_params(lay: Layout, plan: ProvisionPlan, project_id: str) -> dict[str, Any]:
    """What `-H`/`-D` act on, by name: absent is a no-op for what is already gone. The instances
    of the stage are also looked up by label in `zones` (gcp_compute_instance_info), so -H stops
    only instances that exist and -D also removes a server the hive definition dropped."""
    return {
        "zones": zones(lay, plan), "filters": lay.filters,
        "instances": [{"name": short_name(s), "zone": server_zone(lay, plan, s)} for s in plan.servers],
        "disks": [{"name": data_disk_name(s), "zone": server_zone(lay, plan, s)} for s in plan.servers],
        "addresses": [f"gip-{short_name(s)}" for s in plan.servers if s.name not in lay.published_ips],
        "firewalls": [lay.internal_firewall, lay.ssh_firewall],
        # gcp_compute_subnetwork requires the range and the network even to delete
        "subnetworks": [{"name": s.gcp_name, "ip_cidr_range": s.cidr} for s in lay.subnets],
        "network": lay.network_name, "network_link": network_link(lay, project_id),
    }


def tasks_vars(plan: ProvisionPlan, state: str, found: Found) -> dict[str, Any]:
    """Everything roles/provider/tasks/gcp-<state>.yml needs (`gcp` in the tasks)."""
    lay = check_offline(plan) if state == "present" else layout(plan)
    common = {"state": state, "region": lay.region, "project": found.project_id,
              "auth_kind": AUTH_KIND, "service_account_file": found.credential_file}
    if state == "halted":
        return {**common, **teardown_params(lay, plan, found.project_id), "stop": stop_params(lay, plan)}
    if state == "absent":
        return {**common, **teardown_params(lay, plan, found.project_id)}
    return {**common, "network": network_params(lay), "firewalls": firewall_params(lay, plan),
            "subnetworks": subnetwork_params(lay), "addresses": address_params(lay, plan),
            "disks": disk_params(lay, plan), "instances": instance_params(lay, plan),
            "public_key_file": str(plan.public_key)}


# ------------------------------------------------------------------------ reading results back


@dataclass(frozen=True)
class Built:
    name: str            # inventory name
    instance: str        # GCP instance name
    zone: str
    public_ip: str


def built_servers(plan: ProvisionPlan, outcome: Mapping[str, Any]) -> list[Built]:
    """From the tasks' results: `instances`, one gcp_compute_instance result per server in plan
    order (its networkInterfaces[0].accessConfigs[0].natIP is the public address)."""
    instances = outcome.get("instances") or []
    if len(instances) != len(plan.servers):
        raise HiveError(f"gcp provider: {len(plan.servers)} servers but {len(instances)} instance results",
                        hint="rerun `hive build-infra`; the tasks file gcp-present.yml must pass one "
                             "result per server")
    lay = layout(plan)
    built = []
    for server, found in zip(plan.servers, instances):
        nics = (found or {}).get("networkInterfaces") or [{}]
        configs = nics[0].get("accessConfigs") or [{}]
        ip = configs[0].get("natIP") or lay.published_ips.get(server.name)
        if not found or not ip:
            raise HiveError(f"gcp provider: instance {short_name(server)} of {server.name} has no "
                            "external address", hint="rerun `hive build-infra`")
        built.append(Built(server.name, short_name(server), server_zone(lay, plan, server), str(ip)))
    return built


def facts(plan: ProvisionPlan, built: Sequence[Built], project_id: str) -> dict[str, Any]:
    """provider_facts.yml of a gcp stage: the kernel has IPVS and (with LINBIT's module) DRBD;
    time from the metadata server; where each hive's DRBD disk appears in the guest."""
    lay = layout(plan)
    return {"ipvs": True, "drbd": "kernel", "ntp_servers": [NTP_SERVER],
            "gcp_project": project_id, "gcp_region": lay.region,
            "gcp_instances": {b.name: {"name": b.instance, "zone": b.zone} for b in built},
            "mirrored_device_links": {s.name: device_link(s) for s in plan.servers if has_data_disk(s)}}
