"""Pure: what the azure provider creates for a stage (reference §9.4, on Debian 12), as the
parameters of the azure.azcollection modules that roles/provider/tasks/azure-*.yml call, and what
is read back from their results (public addresses) for ssh_config and provider_facts.yml.

No azure SDK and no Ansible here: the preflight (providers/azure.py) asks the subscription what
the renderers need to know (whether a VM size takes Premium disks, the names of the user's own
public IP resources, what the resource group holds) and hands it in as `Found` or `existing`.
Every rendered call is checked against the module's own argument spec in unit tests.

Choices that differ from 2.3.1 (CentOS 8, reference §9.4):
- Debian 12 (publisher Debian, offer debian-12, sku 12-gen2); admin `hiveadmin` as 2.3.1.
- One resource group per stage (`<prefix><name>`, the production stage without prefix keeps
  2.3.1's `<name>`), so two stages of a project never share a virtual network, and `-D` finds
  a half-built site's leftovers by listing the group.
- `-H` deallocates the VMs: 2.3.1's `started: false` only powered them off, which keeps the
  compute billed. Standard static public IPs keep their addresses while deallocated.
- The data disk is created empty in the VM's zone and attached at LUN 0 when the VM is made, so
  the host sees it at the stable /dev/disk/azure/scsi1/lun0 (providers facts, role drbd).
- Security type Standard (no Trusted Launch): Secure Boot would refuse the DRBD 9 kernel module,
  which is built by DKMS and not signed.
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

ADMIN = "hiveadmin"
IMAGE = {"publisher": "Debian", "offer": "debian-12", "sku": "12-gen2", "version": "latest"}
# Microsoft's public time service. Azure also offers the host's clock as /dev/ptp_hyperv, but
# that is a chrony `refclock` line, and role ntp-client writes `server` lines only.
NTP_SERVER = "time.windows.com"
DATA_LUN = 0
# udev rules of the Azure guest agent (waagent) name data disks by LUN: stable whatever order the
# kernel finds the SCSI disks in (sdb is the temporary resource disk on most sizes)
DATA_DEVICE = f"/dev/disk/azure/scsi1/lun{DATA_LUN}"
PREMIUM, STANDARD_SSD = "Premium_LRS", "StandardSSD_LRS"
ZONES = ("1", "2", "3")
PREFIXES = {"private": "p-", "staging": "s-", "production": ""}
# Azure reserves the network address, the next three (gateway, DNS x2) and the broadcast one
RESERVED_HEAD, RESERVED_TAIL = 4, 1
# NSG priorities: lower wins; Azure's own defaults (65000+) deny the rest of the Internet
PRIORITY_INTERNAL, PRIORITY_TCP, PRIORITY_UDP, PRIORITY_ICMP = 100, 200, 201, 300
# what -H stops and -D deletes, in dependency order (ARM resource types of the group's listing)
VM_TYPE = "Microsoft.Compute/virtualMachines"
DISK_TYPE = "Microsoft.Compute/disks"
NIC_TYPE = "Microsoft.Network/networkInterfaces"
PIP_TYPE = "Microsoft.Network/publicIPAddresses"
NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
OUR_TYPES = (VM_TYPE, DISK_TYPE, NIC_TYPE, PIP_TYPE, NSG_TYPE, VNET_TYPE)


@dataclass(frozen=True)
class Found:
    """What the preflight learnt from the subscription, for the renderers."""
    premium_sizes: frozenset[str] = frozenset()        # VM sizes that take Premium SSDs
    published_ip_names: Mapping[str, str] = field(default_factory=dict)   # server -> resource name


@dataclass(frozen=True)
class SubnetSpec:
    name: str
    cidr: str


@dataclass(frozen=True)
class Layout:
    """The stage's resources, named and tagged, before anything is asked of Azure."""
    location: str
    project: str
    stage: str
    resource_group: str
    vnet_name: str
    nsg_name: str
    subnets: tuple[SubnetSpec, ...]
    ssh_ports: tuple[int, ...]
    tcp_ports: tuple[int, ...]
    udp_ports: tuple[int, ...]
    published_ips: Mapping[str, str] = field(default_factory=dict)   # server -> user's address

    def tags(self) -> dict[str, str]:
        return {"Project": self.project, "Stage": self.stage}




def layout(plan: ProvisionPlan) -> Layout:
    """Names, tags, subnets and ports of the stage; refuses what the inventory lacks."""
    s = plan.settings
    location = cloud.region(plan, "azure", ": an Azure location code such as japaneast "
                                           "(`az account list-locations -o table`)")
    prefix = PREFIXES.get(plan.stage, f"{plan.stage}-")
    # no `subnets`: the whole stage cidr (the model's name for it); zones are the servers'
    subnets = [SubnetSpec(sub.name, sub.cidr)
               for sub in cloud.stage_subnets(plan, f"{plan.hive_name}-default")]
    published = cloud.published_ips(plan)
    return Layout(
        location=location.replace(" ", "").lower(), project=plan.hive_name, stage=plan.stage,
        resource_group=f"{prefix}{plan.hive_name}",
        vnet_name=str(s.get("hive_vpc_name") or f"vpc-{prefix}{plan.hive_name}"),
        nsg_name=f"sg_{prefix}{plan.hive_name}",
        subnets=tuple(subnets),
        ssh_ports=cloud.ssh_ports(plan),
        tcp_ports=_ports(s.get("hive_published_ports_tcp")),
        udp_ports=_ports(s.get("hive_published_ports_udp")),
        published_ips=published)


def server_subnet(lay: Layout, server: ServerPlan) -> SubnetSpec:
    return cloud.server_subnet(lay.subnets, server)


def vm_size(server: ServerPlan) -> str | None:
    value = server.sizes.get("instance_type")
    return str(value) if value not in (None, "") else None


def zone(server: ServerPlan) -> str:
    """The availability zone of a server: hive_available_zone (the model assigns 1, 2, 3 in turn
    unless the server's subnet names one)."""
    return str(server.settings.get("hive_available_zone") or "1").strip()


def has_data_disk(server: ServerPlan) -> bool:
    no_device = str(server.settings.get("hive_no_mirrored_device", "")).strip().lower() in (
        "true", "yes", "on", "1")
    return not no_device and server.sizes.get("mirrored_disk_size") not in (None, "")


def image(server: ServerPlan) -> dict[str, str]:
    """The marketplace image: image_name as publisher:offer:sku:version, else Debian 12."""
    given = server.settings.get("hive_vm_image_name")
    if not given:
        return dict(IMAGE)
    parts = str(given).split(":")
    return dict(zip(("publisher", "offer", "sku", "version"), parts))


def check_offline(plan: ProvisionPlan) -> Layout:
    """What can be refused from the inventory alone (also by `hive check`)."""
    lay = layout(plan)
    where = _where(plan)
    for server in plan.servers:
        if vm_size(server) is None:
            attr = stage_attribute("instance_type", server.roles)
            raise InventoryError(f"{attr} must be specified when provider is azure (server "
                                 f"{server.name}): a VM size such as Standard_D2s_v5", attr=attr, **where)
        if "hives" in server.roles and not has_data_disk(server) and \
                "hive_no_mirrored_device" not in server.settings:
            raise InventoryError(f"mirrored_disk_size must be specified when provider is azure: "
                                 f"hive {server.name} needs a disk for DRBD (or set "
                                 "hive_no_mirrored_device: true for a diskless hive)",
                                 attr="mirrored_disk_size", **where)
        if zone(server) not in ZONES:
            raise InventoryError(f"server {server.name}: availability zone "
                                 f"{server.settings.get('hive_available_zone')!r} is not an Azure zone "
                                 f"(one of {', '.join(ZONES)})", attr="available_zone", **where)
        given = server.settings.get("hive_vm_image_name")
        if given:
            parts = str(given).split(":")
            if len(parts) != 4 or not all(parts):
                raise InventoryError(f"image_name {given!r} must be a marketplace image URN "
                                     "publisher:offer:sku:version, e.g. Debian:debian-12:12-gen2:latest",
                                     attr="image_name", **where)
            if not (parts[0].lower() == "debian" and parts[1].lower().startswith("debian-12")):
                raise InventoryError(f"image_name {given!r} is not a Debian 12 image: hive supports "
                                     "Debian 12 hosts only (publisher Debian, offer debian-12)",
                                     attr="image_name", **where)
        cloud.check_address(server, server_subnet(lay, server), (RESERVED_HEAD, RESERVED_TAIL), "Azure", where)
    for subnet in lay.subnets:
        if ipaddress.IPv4Network(subnet.cidr).prefixlen > 29:
            raise InventoryError(f"subnet {subnet.name} ({subnet.cidr}): the smallest Azure subnet is /29",
                                 attr="subnets" if len(lay.subnets) > 1 else "cidr", **where)
    return lay


# ------------------------------------------------------------------------ names


def public_ip_name(server: ServerPlan) -> str:
    return f"gip-{server.short_name}"


def nic_name(server: ServerPlan) -> str:
    return f"{server.short_name}-primary"


def data_disk_name(server: ServerPlan) -> str:
    return f"mirrored_{server.short_name}"


def os_disk_name(server: ServerPlan) -> str:
    return f"os_{server.short_name}"


# ------------------------------------------------------------------------ module parameters


def resource_group_params(lay: Layout) -> dict[str, Any]:
    return {"name": lay.resource_group, "location": lay.location, "tags": lay.tags(), "state": "present"}


def vnet_params(lay: Layout, plan: ProvisionPlan) -> dict[str, Any]:
    return {"name": lay.vnet_name, "resource_group": lay.resource_group, "location": lay.location,
            "address_prefixes_cidr": [plan.cidr], "tags": lay.tags(), "state": "present"}


def subnet_params(lay: Layout) -> list[dict[str, Any]]:
    return [{"name": s.name, "resource_group": lay.resource_group, "virtual_network_name": lay.vnet_name,
             "address_prefix_cidr": s.cidr, "state": "present"} for s in lay.subnets]


def security_group_params(lay: Layout) -> dict[str, Any]:
    """Everything from the virtual network; ssh and the published ports below 10000 (tcp and udp)
    and ICMP from anywhere (reference §9.4 step 3; Azure's default rules deny the rest)."""
    rules: list[dict[str, Any]] = [
        {"name": "internal", "priority": PRIORITY_INTERNAL, "direction": "Inbound", "access": "Allow",
         "protocol": "*", "source_address_prefix": "VirtualNetwork", "destination_port_range": "*"},
        {"name": "published-tcp", "priority": PRIORITY_TCP, "direction": "Inbound", "access": "Allow",
         "protocol": "Tcp", "source_address_prefix": "*",
         "destination_port_range": [str(p) for p in sorted({*lay.ssh_ports, *lay.tcp_ports})]}]
    if lay.udp_ports:
        rules.append({"name": "published-udp", "priority": PRIORITY_UDP, "direction": "Inbound",
                      "access": "Allow", "protocol": "Udp", "source_address_prefix": "*",
                      "destination_port_range": [str(p) for p in lay.udp_ports]})
    rules.append({"name": "icmp", "priority": PRIORITY_ICMP, "direction": "Inbound", "access": "Allow",
                  "protocol": "Icmp", "source_address_prefix": "*", "destination_port_range": "*"})
    return {"name": lay.nsg_name, "resource_group": lay.resource_group, "location": lay.location,
            "rules": rules, "purge_rules": True, "tags": lay.tags(), "state": "present"}


def public_ip_params(lay: Layout, plan: ProvisionPlan) -> list[dict[str, Any]]:
    """Ours: static Standard-SKU addresses, one per server without a hive_published_ip (not
    zonal, so they follow a VM to whatever zone it is in)."""
    return [{"name": public_ip_name(s), "resource_group": lay.resource_group, "location": lay.location,
             "allocation_method": "Static", "sku": "Standard", "version": "ipv4",
             "tags": lay.tags(), "state": "present"}
            for s in plan.servers if s.name not in lay.published_ips]


def nic_params(lay: Layout, plan: ProvisionPlan, found: Found) -> list[dict[str, Any]]:
    result = []
    for server in plan.servers:
        address = found.published_ip_names.get(server.name) or public_ip_name(server)
        result.append({
            "name": nic_name(server), "resource_group": lay.resource_group, "location": lay.location,
            "virtual_network": lay.vnet_name, "subnet_name": server_subnet(lay, server).name,
            "security_group": lay.nsg_name,
            "ip_configurations": [{"name": "ipconfig1", "primary": True, "private_ip_address": server.ip,
                                   "private_ip_allocation_method": "Static",
                                   "public_ip_address_name": address}],
            "tags": lay.tags(), "state": "present"})
    return result


def disk_type(server: ServerPlan, found: Found) -> str:
    # sizes without premium storage (no "s" in the name) refuse Premium disks at creation; Azure
    # compares size names without case
    premium = {name.lower() for name in found.premium_sizes}
    return PREMIUM if (vm_size(server) or "").lower() in premium else STANDARD_SSD


def data_disk_params(lay: Layout, plan: ProvisionPlan, found: Found) -> list[dict[str, Any]]:
    """The empty managed disks for DRBD, in each VM's zone; the VM attaches its own at LUN 0
    when it is made (`server` names the VM)."""
    return [{"server": s.short_name, "name": data_disk_name(s), "resource_group": lay.resource_group,
             "location": lay.location, "disk_size_gb": int(s.sizes["mirrored_disk_size"]),
             "storage_account_type": disk_type(s, found), "create_option": "empty", "zone": zone(s),
             "tags": lay.tags(), "state": "present"}
            for s in plan.servers if has_data_disk(s)]


def vm_params(lay: Layout, plan: ProvisionPlan, found: Found) -> list[dict[str, Any]]:
    """One azure_rm_virtualmachine call per server (the tasks add the public key's text, read
    from `public_key_file`, and the data disk's id as data_disks[0].managed_disk_id)."""
    result = []
    for server in plan.servers:
        params: dict[str, Any] = {
            "name": server.short_name, "resource_group": lay.resource_group, "location": lay.location,
            "short_hostname": server.short_name, "vm_size": vm_size(server), "image": image(server),
            "os_type": "Linux", "admin_username": plan.admin_user, "ssh_password_enabled": False,
            "ssh_public_keys": [{"path": f"/home/{plan.admin_user}/.ssh/authorized_keys"}],
            "network_interface_names": [nic_name(server)], "zones": [zone(server)],
            "managed_disk_type": disk_type(server, found), "os_disk_name": os_disk_name(server),
            "os_disk_caching": "ReadWrite",
            # started and allocated: a VM halted by -H runs again after build-infra
            "started": True, "allocated": True, "tags": lay.tags(), "state": "present"}
        if server.sizes.get("disk_size") not in (None, ""):
            params["os_disk_size_gb"] = int(server.sizes["disk_size"])
        if has_data_disk(server):
            # host caching off: DRBD's writes must reach the disk, not a host-side cache
            params["data_disks"] = [{"lun": DATA_LUN, "caching": "None"}]
        result.append(params)
    return result


def tasks_vars(plan: ProvisionPlan, state: str, found: Found | None,
               existing: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Everything roles/provider/tasks/azure-<state>.yml needs (`azure` in the tasks). For halted
    and absent, `existing`: the resources of the stage's group as the preflight listed them
    (type and name; None: the group does not exist), and `found` names the user's addresses."""
    lay = layout(plan)
    common = {"state": state, "location": lay.location, "resource_group": lay.resource_group}
    if state != "present":
        keep = set((found.published_ip_names if found else {}).values())
        return {**common, **teardown_params(lay, existing, keep)}
    assert found is not None
    vms = vm_params(lay, plan, found)
    disks = data_disk_params(lay, plan, found)
    for vm in vms:   # which result of the disk task holds this VM's disk id
        if "data_disks" in vm:
            vm["data_disk_index"] = [d["server"] for d in disks].index(vm["name"])
    return {**common, "group": resource_group_params(lay), "vnet": vnet_params(lay, plan),
            "subnets": subnet_params(lay), "security_group": security_group_params(lay),
            "public_ips": public_ip_params(lay, plan), "nics": nic_params(lay, plan, found),
            "data_disks": disks, "vms": vms, "public_key_file": str(plan.public_key)}


# ------------------------------------------------------------------------ reading results back


@dataclass(frozen=True)
class Built:
    name: str
    public_ip: str
    zone: str
    data_disk: bool


def built_servers(plan: ProvisionPlan, outcome: Mapping[str, Any]) -> list[Built]:
    """From the tasks' results: `public_ips`, the `state` of each azure_rm_publicipaddress call
    (our addresses, by resource name); a server with a hive_published_ip has that address."""
    lay = layout(plan)
    ours = {str(s.get("name")): s.get("ip_address") for s in outcome.get("public_ips") or ()
            if isinstance(s, Mapping)}
    built = []
    for server in plan.servers:
        ip = lay.published_ips.get(server.name) or ours.get(public_ip_name(server))
        if not ip:
            raise HiveError(f"azure provider: no public address for {server.name} "
                            f"({public_ip_name(server)} in resource group {lay.resource_group})",
                            hint="rerun `hive build-infra`")
        built.append(Built(server.name, str(ip), zone(server), has_data_disk(server)))
    return built


def facts(built: Sequence[Built], lay: Layout) -> dict[str, Any]:
    """provider_facts.yml of an azure stage: Debian's cloud kernel has IPVS and (with LINBIT's
    module) DRBD; time from Microsoft's service; each hive's DRBD disk by its stable LUN link."""
    return {"ipvs": True, "drbd": "kernel", "ntp_servers": [NTP_SERVER],
            "azure_location": lay.location, "azure_resource_group": lay.resource_group,
            "azure_zones": {b.name: b.zone for b in built},
            "mirrored_device_links": {b.name: DATA_DEVICE for b in built if b.data_disk}}


# ------------------------------------------------------------------------ -H and -D


def teardown_params(lay: Layout, found: Sequence[Mapping[str, Any]] | None,
                    keep: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """What `-H`/`-D` act on, from the listing of the stage's resource group (`type`, `name` of
    each resource as ARM lists them; None: no group). `keep`: the resource names of the user's
    hive_published_ip addresses, never deleted. The tasks only act, type by type, in dependency
    order: VMs (with their OS and data disks and NICs), leftover disks and NICs, our public IPs,
    the NSG, the subnets, the virtual network, and the group when nothing else is left in it."""
    exists = found is not None
    found = list(found or ())
    ours = {t.lower() for t in OUR_TYPES}

    def names(kind: str) -> list[str]:
        return sorted(str(r["name"]) for r in found if str(r.get("type", "")).lower() == kind.lower())
    others = sorted(f"{r.get('name')} ({r.get('type')})" for r in found
                    if str(r.get("type", "")).lower() not in ours)
    kept = sorted(set(names(PIP_TYPE)) & set(keep))
    return {
        "vm_names": names(VM_TYPE),
        "disk_names": names(DISK_TYPE),
        "nic_names": names(NIC_TYPE),
        "public_ip_names": [n for n in names(PIP_TYPE) if n not in keep],
        "nsg_names": names(NSG_TYPE),
        "subnets": [{"name": s.name, "virtual_network_name": lay.vnet_name} for s in lay.subnets
                    if lay.vnet_name in names(VNET_TYPE)],
        "vnet_names": names(VNET_TYPE),
        "kept": kept + others,
        # a group holding a user's address or anything hive did not make stays
        "delete_group": exists and not kept and not others,
    }
