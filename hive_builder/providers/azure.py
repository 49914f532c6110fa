"""Provider `azure` (reference §9.4, Debian 12 instead of CentOS 8).

The resources are made by azure.azcollection modules in roles/provider/tasks/azure.yml, with
the parameters of the pure renderers in providers/azure_render.py. This side checks before
anything is created (the azure SDK, short timeouts: credentials, subscription, location, VM
sizes and their zones, the user's public IPs), writes ssh_config with the public addresses and
records provider_facts.yml.

The azure SDK is an optional dependency (`pip install 'swarmhive[azure]'`): it is imported on
use only, behind `Api`, which the tests replace with a stand-in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import azure_render as render
from hive_builder.providers.cloud import CloudProvider
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.providers.sizing import stage_attribute

EXTRA_HINT = "install the azure extra in the Python that runs hive: pip install 'swarmhive[azure]'"
# the manual's credential: a service principal with a client secret (manual, azure provider)
ENV_CREDENTIALS = {"AZURE_CLIENT_ID": "azure_client_id", "AZURE_SECRET": "azure_secret",
                   "AZURE_SUBSCRIPTION_ID": "azure_subscription_id", "AZURE_TENANT": "azure_tenant"}
CREDENTIALS_HINT = ("create an application (service principal) with a client secret and a role on "
                    "the subscription, then `hive set azure_client_id <application id>`, `hive set "
                    "azure_secret <secret>`, `hive set azure_subscription_id <subscription id>` and "
                    "`hive set azure_tenant <directory (tenant) id>`, or export AZURE_CLIENT_ID, "
                    "AZURE_SECRET, AZURE_SUBSCRIPTION_ID and AZURE_TENANT")
# a cloud that does not answer must not hold build-infra for minutes (azure-core's defaults:
# 300 s connection timeout, 10 retries with backoff)
TIMEOUTS = {"connection_timeout": 5, "read_timeout": 15, "retry_total": 1}
UNREACHABLE = ("ServiceRequestError", "ServiceRequestTimeoutError", "ServiceResponseError",
               "ServiceResponseTimeoutError", "ConnectionError", "Timeout")
REFUSED_CODES = ("InvalidAuthenticationToken", "InvalidAuthenticationTokenTenant", "ExpiredAuthenticationToken",
                 "AuthenticationFailed")


class Api(Protocol):
    """The read-only questions the preflight asks (SdkApi asks them of Azure)."""

    def locations(self) -> list[str]:
        """Location names of the subscription."""

    def vm_sizes(self, location: str) -> list[dict[str, Any]]:
        """VM sizes of a location: name, zones (offered), restricted (not for this subscription),
        restricted_zones, premium (takes Premium SSDs)."""

    def public_ips(self, group: str) -> list[dict[str, Any]] | None:
        """Public IP resources of a group (name, ip_address, sku, allocation); None: no group."""

    def resources(self, group: str) -> list[dict[str, Any]] | None:
        """Every resource of a group (name, type); None: no group."""


ApiFactory = Callable[[Mapping[str, str]], Api]


def credentials(env: Mapping[str, str]) -> dict[str, str]:
    """The four AZURE_* values; refused (offline) when any is missing."""
    missing = [name for name in ENV_CREDENTIALS if not env.get(name)]
    if missing:
        raise HiveError(f"azure provider: credentials missing: {', '.join(missing)} "
                        f"(hive variables {', '.join(ENV_CREDENTIALS[m] for m in missing)})",
                        hint=CREDENTIALS_HINT)
    return {name: env[name] for name in ENV_CREDENTIALS}


def explain(exc: Exception) -> HiveError:
    """An azure SDK failure as what the user must do."""
    kind = type(exc).__name__
    code = str(getattr(getattr(exc, "error", None), "code", "") or "")
    status = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()
    text = message[0] if message else kind
    if kind == "ClientAuthenticationError" or status == 401 or code in REFUSED_CODES:
        return HiveError(f"Azure refused the credentials ({text})", hint=CREDENTIALS_HINT)
    if code == "SubscriptionNotFound" or (status == 404 and "subscription" in text.lower()):
        return HiveError(f"the Azure subscription in AZURE_SUBSCRIPTION_ID does not exist or the "
                         f"service principal cannot see it ({text})",
                         hint="`hive set azure_subscription_id <id>` with the subscription the "
                              "application has a role on")
    if status == 403 or code in ("AuthorizationFailed", "LinkedAuthorizationFailed"):
        return HiveError(f"the Azure credentials may not do this ({text})",
                         hint="give the application the Contributor role on the subscription "
                              "(Azure portal: Subscriptions > Access control (IAM))")
    if kind in UNREACHABLE:
        return HiveError(f"Azure Resource Manager cannot be reached: {text}",
                         hint="check the network and proxy settings (HTTPS_PROXY) of this machine")
    return HiveError(f"Azure request failed: {kind}: {text}")


def _call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except HiveError:
        raise
    except Exception as exc:
        raise explain(exc) from None


class SdkApi:
    """Api over the azure SDK (the extra), with short timeouts and one retry."""

    def __init__(self, env: Mapping[str, str]) -> None:
        creds = credentials(env)
        try:
            from azure.core.exceptions import ResourceNotFoundError
            from azure.identity import ClientSecretCredential
            from azure.mgmt.compute import ComputeManagementClient
            from azure.mgmt.network import NetworkManagementClient
            from azure.mgmt.resource.resources import ResourceManagementClient
            from azure.mgmt.resource.subscriptions import SubscriptionClient
        except ImportError as exc:
            raise HiveError(f"the azure provider needs the azure SDK, which is not installed ({exc})",
                            hint=EXTRA_HINT) from None
        self._missing = ResourceNotFoundError
        self._subscription = creds["AZURE_SUBSCRIPTION_ID"]
        credential = _call(lambda: ClientSecretCredential(
            creds["AZURE_TENANT"], creds["AZURE_CLIENT_ID"], creds["AZURE_SECRET"], **TIMEOUTS))
        self._subscriptions = SubscriptionClient(credential, **TIMEOUTS)
        self._compute = ComputeManagementClient(credential, self._subscription, **TIMEOUTS)
        self._network = NetworkManagementClient(credential, self._subscription, **TIMEOUTS)
        self._resources = ResourceManagementClient(credential, self._subscription, **TIMEOUTS)

    def locations(self) -> list[str]:
        return _call(lambda: [loc.name for loc in self._subscriptions.subscriptions.list_locations(self._subscription)])

    def vm_sizes(self, location: str) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            sizes = []
            for sku in self._compute.resource_skus.list(filter=f"location eq '{location}'"):
                if sku.resource_type != "virtualMachines":
                    continue
                zones = [z for info in sku.location_info or () if (info.location or "").lower() == location
                         for z in info.zones or ()]
                restricted, restricted_zones = False, []
                for r in sku.restrictions or ():
                    if str(r.type).lower().endswith("zone"):
                        restricted_zones += list(getattr(r.restriction_info, "zones", None) or ())
                    else:
                        restricted = True
                premium = any(c.name == "PremiumIO" and str(c.value).lower() == "true"
                              for c in sku.capabilities or ())
                sizes.append({"name": sku.name, "zones": sorted(zones), "restricted": restricted,
                              "restricted_zones": sorted(restricted_zones), "premium": premium})
            return sizes
        return _call(read)

    def public_ips(self, group: str) -> list[dict[str, Any]] | None:
        def read() -> list[dict[str, Any]] | None:
            try:
                return [{"name": p.name, "ip_address": p.ip_address, "sku": p.sku.name if p.sku else None,
                         "allocation": p.public_ip_allocation_method}
                        for p in self._network.public_ip_addresses.list(group)]
            except self._missing:
                return None
        return _call(read)

    def resources(self, group: str) -> list[dict[str, Any]] | None:
        def read() -> list[dict[str, Any]] | None:
            try:
                return [{"name": r.name, "type": r.type}
                        for r in self._resources.resources.list_by_resource_group(group)]
            except self._missing:
                return None
        return _call(read)


def preflight(plan: ProvisionPlan, state: str, api_factory: ApiFactory, env: Mapping[str, str]
              ) -> tuple[render.Found, list[dict[str, Any]] | None]:
    """Ask the subscription, before anything is created, whatever the build would trip on.
    Returns what the renderers need and, for halted and absent, the listing of the stage's
    resource group (None: it does not exist)."""
    lay = render.check_offline(plan) if state == "present" else render.layout(plan)
    credentials(env)   # said offline, before the SDK is even imported
    api = api_factory(env)
    where = {"file": plan.settings.get("hive_file"), "obj": f"stage {plan.stage}"}
    if state != "present":
        existing = api.resources(lay.resource_group)
        names = _published_names(plan, lay, api, strict=False) if existing is not None else {}
        return render.Found(published_ip_names=names), existing
    locations = api.locations()
    if lay.location not in {str(loc).lower() for loc in locations}:
        raise InventoryError(f"region {lay.location} is not a location of the Azure subscription "
                             f"(`az account list-locations -o table`; e.g. {', '.join(sorted(locations)[:4])})",
                             attr="region", **where)
    sizes = {str(s["name"]).lower(): s for s in api.vm_sizes(lay.location)}
    for server in plan.servers:
        size = render.vm_size(server) or ""
        attr = stage_attribute("instance_type", server.roles)
        offer = sizes.get(size.lower())
        if offer is None:
            raise InventoryError(f"VM size {size} does not exist in location {lay.location} "
                                 "(`az vm list-sizes -l <location> -o table`)", attr=attr, **where)
        if offer.get("restricted"):
            raise InventoryError(f"VM size {size} is not available to this subscription in "
                                 f"location {lay.location}", attr=attr, **where)
        zone = render.zone(server)
        usable = [z for z in offer.get("zones") or () if z not in (offer.get("restricted_zones") or ())]
        if zone not in usable:
            raise InventoryError(f"VM size {size} is not offered in zone {zone} of location {lay.location} "
                                 f"(server {server.name}; offered in zones: {', '.join(usable) or 'none'}; hive places "
                                 "servers in zones 1, 2, 3 in turn unless their subnet's available_zone "
                                 "names one)",
                                 attr="available_zone" if plan.settings.get("hive_subnets") else attr, **where)
    premium = frozenset(s["name"] for s in sizes.values() if s.get("premium"))
    names = _published_names(plan, lay, api, strict=True)
    return render.Found(premium_sizes=premium, published_ip_names=names), None


def _published_names(plan: ProvisionPlan, lay: render.Layout, api: Api, strict: bool) -> dict[str, str]:
    """server -> the resource name of its hive_published_ip, which must be a static Standard
    public IP of the stage's resource group (a NIC takes an address of its own group only)."""
    if not lay.published_ips:
        return {}
    have = {str(p.get("ip_address")): p for p in api.public_ips(lay.resource_group) or ()}
    names = {}
    for server, ip in sorted(lay.published_ips.items()):
        found = have.get(ip)
        if found is None:
            if strict:
                raise HiveError(f"server {server}: hive_published_ip {ip} is not a public IP address "
                                f"resource of resource group {lay.resource_group} (location {lay.location})",
                                hint=f"create it there first (az group create -n {lay.resource_group} -l "
                                     f"{lay.location}; az network public-ip create -g {lay.resource_group} "
                                     "-n <name> --sku Standard --allocation-method Static), or remove "
                                     "hive_published_ip")
            continue
        if strict and (str(found.get("sku") or "").lower() != "standard"
                       or str(found.get("allocation") or "").lower() != "static"):
            raise HiveError(f"server {server}: hive_published_ip {ip} ({found.get('name')}) must be a "
                            f"static Standard-SKU address, found {found.get('allocation')} "
                            f"{found.get('sku')}", hint="create a Standard static public IP and use its address")
        names[server] = str(found["name"])
    return names


class AzureProvider(CloudProvider):
    name = "azure"
    tasks_file = "azure.yml"
    machines = "VMs"

    def __init__(self, env: Mapping[str, str] | None = None, api_factory: ApiFactory = SdkApi) -> None:
        # credentials from `hive set` (env) over the process environment
        self._env = {**{k: os.environ[k] for k in ENV_CREDENTIALS if os.environ.get(k)}, **(env or {})}
        self._api_factory = api_factory
        super().__init__()

    def sanity_check(self, plan: ProvisionPlan) -> None:
        preflight(plan, "present", self._api_factory, self._env)

    def tasks_vars(self, plan: ProvisionPlan, state: str) -> dict:
        found, existing = preflight(plan, state, self._api_factory, self._env)
        params = render.tasks_vars(plan, state, found, existing)
        if state == "absent" and params["kept"]:
            self._notes.append(f"azure provider: resource group {params['resource_group']} is kept: it "
                               f"holds {', '.join(params['kept'])}, which hive did not make (a "
                               "hive_published_ip stays yours); delete the group yourself when done")
        return params

    def take_outcome(self, plan: ProvisionPlan, state: str, outcome: Mapping) -> None:
        if state == "present":
            self._built = render.built_servers(plan, outcome)

    def facts(self, plan: ProvisionPlan) -> dict:
        return render.facts(self._built or [], render.layout(plan))
