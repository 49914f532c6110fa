"""providers/azure.py preflight, with a stand-in for the azure SDK (Api): every refusal comes
before anything is created and names what to fix; missing credentials are said without any
request; the module is importable without the azure extra."""

from __future__ import annotations

import builtins

import pytest
import yaml

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import apply, get_provider, provider_env
from hive_builder.providers import azure as azure_provider
from hive_builder.providers.azure import AzureProvider, SdkApi, preflight
from tests.unit.test_azure_render import LISTING, plan, with_settings

CREDENTIALS = {"AZURE_CLIENT_ID": "app", "AZURE_SECRET": "s", "AZURE_SUBSCRIPTION_ID": "sub",
               "AZURE_TENANT": "tenant"}
SIZES = [{"name": "Standard_D2s_v5", "zones": ["1", "2", "3"], "restricted": False, "restricted_zones": [],
          "premium": True},
         {"name": "Standard_B2s_v2", "zones": ["1", "2", "3"], "restricted": False, "restricted_zones": [],
          "premium": False}]


class ClientAuthenticationError(Exception):
    pass


class ServiceRequestError(Exception):
    pass


class HttpResponseError(Exception):
    def __init__(self, status, code, message="m"):
        super().__init__(message)
        self.status_code, self.message = status, message
        self.error = type("Error", (), {"code": code})()


class FakeApi:
    def __init__(self, fail=None, sizes=SIZES, ips=None, listing=None, locations=("japaneast", "westeurope")):
        self.fail, self.sizes, self.ips, self.listing, self._locations = fail, sizes, ips, listing, locations
        self.requests = []

    def _log(self, name, *args):
        self.requests.append((name, *args))
        if self.fail:
            raise azure_provider.explain(self.fail)   # as SdkApi translates what the SDK raises

    def locations(self):
        self._log("locations")
        return list(self._locations)

    def vm_sizes(self, location):
        self._log("vm_sizes", location)
        return list(self.sizes)

    def public_ips(self, group):
        self._log("public_ips", group)
        return self.ips

    def resources(self, group):
        self._log("resources", group)
        return self.listing


def run(p, api, state="present", env=CREDENTIALS):
    return preflight(p, state, lambda e: api, env)


def test_checks_location_sizes_and_zones_before_anything(tmp_path):
    api = FakeApi()
    found, existing = run(plan(tmp_path), api)
    assert found.premium_sizes == {"Standard_D2s_v5"} and existing is None
    assert api.requests == [("locations",), ("vm_sizes", "japaneast")]   # read-only


@pytest.mark.parametrize("state", ["present", "halted", "absent"])
def test_missing_credentials_are_said_without_a_request(tmp_path, state):
    api = FakeApi()
    with pytest.raises(HiveError, match="credentials missing: AZURE_SECRET, AZURE_TENANT .hive variables "
                                        "azure_secret, azure_tenant") as err:
        run(plan(tmp_path), api, state, {"AZURE_CLIENT_ID": "a", "AZURE_SUBSCRIPTION_ID": "s"})
    assert api.requests == [] and "hive set azure_client_id" in err.value.hint


def test_unknown_location_size_and_zone_name_the_attribute(tmp_path):
    with pytest.raises(InventoryError, match="region japaneast is not a location") as err:
        run(plan(tmp_path), FakeApi(locations=("westeurope",)))
    assert err.value.attr == "region"
    with pytest.raises(InventoryError, match="VM size Standard_B2s_v2 does not exist in location japaneast") as err:
        run(plan(tmp_path), FakeApi(sizes=SIZES[:1]))
    assert err.value.attr == "repository_instance_type"
    restricted = [{**SIZES[0], "restricted": True}, SIZES[1]]
    with pytest.raises(InventoryError, match="not available to this subscription") as err:
        run(plan(tmp_path), FakeApi(sizes=restricted))
    assert err.value.attr == "instance_type"
    no_zone_3 = [{**SIZES[0], "restricted_zones": ["3"]}, SIZES[1]]
    with pytest.raises(InventoryError, match=r"not offered in zone 3 of location japaneast \(server p-hive2.t; "
                                             r"offered in zones: 1, 2") as err:
        run(plan(tmp_path), FakeApi(sizes=no_zone_3))
    assert err.value.attr == "available_zone"


def test_a_published_ip_must_be_a_static_standard_address_of_the_group(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    mine = {"name": "my-address", "ip_address": "198.51.100.7", "sku": "Standard", "allocation": "Static"}
    found, _ = run(p, FakeApi(ips=[mine]))
    assert found.published_ip_names == {"p-hive0.t": "my-address"}
    with pytest.raises(HiveError, match="198.51.100.7 is not a public IP address resource of resource group p-t") as err:
        run(p, FakeApi(ips=None))   # no group yet
    assert "az network public-ip create -g p-t" in err.value.hint
    with pytest.raises(HiveError, match="must be a static Standard-SKU address, found Dynamic Basic"):
        run(p, FakeApi(ips=[{**mine, "sku": "Basic", "allocation": "Dynamic"}]))


def test_teardown_lists_the_group_and_finds_the_users_address(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    mine = {"name": "my-address", "ip_address": "198.51.100.7", "sku": "Standard", "allocation": "Static"}
    api = FakeApi(listing=LISTING, ips=[mine])
    found, existing = run(p, api, "absent")
    assert existing == LISTING and found.published_ip_names == {"p-hive0.t": "my-address"}
    assert api.requests == [("resources", "p-t"), ("public_ips", "p-t")]
    assert run(plan(tmp_path), FakeApi(listing=None), "halted")[1] is None   # no group: nothing to do


@pytest.mark.parametrize("error, message", [
    (ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."), "Azure refused the credentials"),
    (HttpResponseError(401, "InvalidAuthenticationToken"), "Azure refused the credentials"),
    (HttpResponseError(404, "SubscriptionNotFound", "The subscription 'sub' could not be found."),
     "subscription in AZURE_SUBSCRIPTION_ID does not exist"),
    (HttpResponseError(403, "AuthorizationFailed"), "may not do this"),
    (ServiceRequestError("Failed to establish a new connection"), "cannot be reached"),
])
@pytest.mark.parametrize("state", ["present", "halted", "absent"])
def test_credentials_and_network_errors_say_what_to_do(tmp_path, error, message, state):
    with pytest.raises(HiveError, match=message) as err:
        run(plan(tmp_path), FakeApi(fail=error), state)
    if "refused" in message:
        assert "hive set azure_secret" in err.value.hint


def test_short_timeouts_and_one_retry():
    # azure-core's defaults (300 s connection timeout, 10 retries) hold a dead endpoint for minutes
    assert azure_provider.TIMEOUTS == {"connection_timeout": 5, "read_timeout": 15, "retry_total": 1}


def test_missing_sdk_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_azure(name, *args, **kwargs):
        if name.startswith("azure"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_azure)
    with pytest.raises(HiveError) as err:
        SdkApi(CREDENTIALS)
    assert "azure SDK" in err.value.message and "pip install 'swarmhive[azure]'" in err.value.hint


def test_credentials_from_hive_set_reach_the_api(monkeypatch, tmp_path):
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_SECRET", "from-env")
    env = provider_env({"azure_client_id": "app", "azure_secret": "s", "azure_subscription_id": "sub",
                        "azure_tenant": "tenant", "stage": "private"})
    assert env == CREDENTIALS
    seen = []
    provider = AzureProvider(env, api_factory=lambda e: seen.append(dict(e)) or FakeApi())
    provider.sanity_check(plan(tmp_path))
    assert seen == [CREDENTIALS]
    assert get_provider("azure").name == "azure" and provider.checked_by_hive_check
    # the process environment fills what `hive set` does not hold
    partial = AzureProvider({k: v for k, v in env.items() if k != "AZURE_SECRET"},
                            api_factory=lambda e: seen.append(dict(e)) or FakeApi())
    partial.sanity_check(plan(tmp_path))
    assert seen[-1]["AZURE_SECRET"] == "from-env"


def test_the_provider_hands_the_tasks_their_parameters_and_writes_ssh_config(tmp_path):
    p = plan(tmp_path)
    first = apply(AzureProvider(CREDENTIALS, api_factory=lambda e: FakeApi()), p, "present")
    assert first.tasks_file == "azure.yml" and first.tasks_vars["resource_group"] == "p-t"
    assert not (tmp_path / "ssh_config").exists()
    outcome = {"public_ips": [{"name": f"gip-p-hive{n}", "ip_address": f"203.0.113.{n}"} for n in range(4)]}
    second = apply(AzureProvider(CREDENTIALS, api_factory=lambda e: FakeApi()), p, "present", outcome)
    assert second.changed
    text = (tmp_path / "ssh_config").read_text()
    assert "Host p-hive2.t\n  HostName 203.0.113.2\n" in text and "User hiveadmin" in text
    facts = yaml.safe_load((tmp_path / "provider_facts.yml").read_text())
    assert facts["ntp_servers"] == ["time.windows.com"]
    assert facts["mirrored_device_links"]["p-hive0.t"] == "/dev/disk/azure/scsi1/lun0"
    assert "p-hive3.t" not in facts["mirrored_device_links"]
    again = apply(AzureProvider(CREDENTIALS, api_factory=lambda e: FakeApi()), p, "present", outcome)
    assert not again.changed
    assert apply(AzureProvider(CREDENTIALS), p, "absent", {}).changed   # -D forgets the facts
    assert not (tmp_path / "provider_facts.yml").exists()


def test_destroy_says_when_the_group_is_kept(tmp_path):
    p = plan(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    mine = {"name": "my-address", "ip_address": "198.51.100.7", "sku": "Standard", "allocation": "Static"}
    result = apply(AzureProvider(CREDENTIALS, api_factory=lambda e: FakeApi(listing=LISTING, ips=[mine])),
                   p, "absent")
    assert result.tasks_vars["delete_group"] is False
    assert any("resource group p-t is kept: it holds my-address" in m for m in result.messages)


def test_diskless_hive_gets_no_link(tmp_path):
    p = with_settings(plan(tmp_path), 1, hive_no_mirrored_device=True)
    provider = AzureProvider(CREDENTIALS, api_factory=lambda e: FakeApi())
    provider.take_outcome(p, "present", {"public_ips": [{"name": f"gip-p-hive{n}", "ip_address": "x"} for n in range(4)]})
    assert set(provider.facts(p)["mirrored_device_links"]) == {"p-hive0.t", "p-hive2.t"}


def test_without_the_extra_hive_check_names_it_after_the_credentials(tmp_path):
    import importlib
    try:
        importlib.import_module("azure.identity")
    except ImportError:
        pass
    else:
        pytest.skip("the azure SDK is installed here")
    with pytest.raises(HiveError) as err:
        AzureProvider(CREDENTIALS).sanity_check(plan(tmp_path))
    assert "pip install 'swarmhive[azure]'" in err.value.hint


# ------------------------------------------------------------- SdkApi over a stand-in SDK


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class _NotFound(Exception):
    pass


def _fake_sdk(monkeypatch, calls, missing_group=False):
    """Stand-in azure SDK modules, recording the client arguments and the requests."""
    import sys
    import types

    def client(kind):
        def make(*args, **kwargs):
            calls.append((kind, args[1:], kwargs))
            return _Obj(
                subscriptions=_Obj(list_locations=lambda sub: [_Obj(name="japaneast"), _Obj(name="westeurope")]),
                resource_skus=_Obj(list=lambda filter: calls.append(("skus", filter)) or [
                    _Obj(resource_type="virtualMachines", name="Standard_D2s_v5",
                         location_info=[_Obj(location="japaneast", zones=["2", "1", "3"])],
                         restrictions=[_Obj(type="Zone", restriction_info=_Obj(zones=["3"]))],
                         capabilities=[_Obj(name="PremiumIO", value="True")]),
                    _Obj(resource_type="virtualMachines", name="Standard_A1", location_info=[],
                         restrictions=[_Obj(type="Location", restriction_info=None)], capabilities=[]),
                    _Obj(resource_type="disks", name="Premium_LRS", location_info=[], restrictions=[],
                         capabilities=[])]),
                public_ip_addresses=_Obj(list=lambda group: _raise() if missing_group else [
                    _Obj(name="my-address", ip_address="198.51.100.7", sku=_Obj(name="Standard"),
                         public_ip_allocation_method="Static")]),
                resources=_Obj(list_by_resource_group=lambda group: _raise() if missing_group else [
                    _Obj(name="p-hive0", type="Microsoft.Compute/virtualMachines")]))
        return make

    def _raise():
        raise _NotFound("ResourceGroupNotFound")

    modules = {
        "azure": {}, "azure.core": {}, "azure.core.exceptions": {"ResourceNotFoundError": _NotFound},
        "azure.identity": {"ClientSecretCredential": lambda *a, **kw: calls.append(("credential", a, kw)) or "cred"},
        "azure.mgmt": {}, "azure.mgmt.compute": {"ComputeManagementClient": client("compute")},
        "azure.mgmt.network": {"NetworkManagementClient": client("network")},
        "azure.mgmt.resource": {},
        "azure.mgmt.resource.resources": {"ResourceManagementClient": client("resources")},
        "azure.mgmt.resource.subscriptions": {"SubscriptionClient": client("subscriptions")},
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        module.__path__ = []
        monkeypatch.setitem(sys.modules, name, module)


def test_sdk_api_reads_sizes_zones_addresses_and_listing_with_short_timeouts(monkeypatch):
    calls = []
    _fake_sdk(monkeypatch, calls)
    api = SdkApi(CREDENTIALS)
    assert calls[0] == ("credential", ("tenant", "app", "s"), azure_provider.TIMEOUTS)
    assert all(kw == azure_provider.TIMEOUTS for _, _, kw in calls[1:])
    assert ("compute", ("sub",), azure_provider.TIMEOUTS) in calls
    assert api.locations() == ["japaneast", "westeurope"]
    assert api.vm_sizes("japaneast") == [
        {"name": "Standard_D2s_v5", "zones": ["1", "2", "3"], "restricted": False, "restricted_zones": ["3"],
         "premium": True},
        {"name": "Standard_A1", "zones": [], "restricted": True, "restricted_zones": [], "premium": False}]
    assert ("skus", "location eq 'japaneast'") in calls
    assert api.public_ips("p-t") == [{"name": "my-address", "ip_address": "198.51.100.7", "sku": "Standard",
                                      "allocation": "Static"}]
    assert api.resources("p-t") == [{"name": "p-hive0", "type": "Microsoft.Compute/virtualMachines"}]


def test_sdk_api_reads_a_missing_group_as_none(monkeypatch):
    _fake_sdk(monkeypatch, [], missing_group=True)
    api = SdkApi(CREDENTIALS)
    assert api.public_ips("p-t") is None and api.resources("p-t") is None
