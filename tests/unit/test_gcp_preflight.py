"""providers/gcp.py before anything is created: the service account key checked offline (missing,
not JSON, not a service account key), then the Compute API through a stand-in session (no
traffic): refused credentials, missing permissions, an unreachable API, unknown region, zone,
machine type, image or address. And the module imports without the gcp extra."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import get_provider
from hive_builder.providers import gcp as g
from tests.unit.test_gcp_render import plan

KEY = {"type": "service_account", "project_id": "demo-project-1", "client_email": "hive@demo.iam.gserviceaccount.com",
       "private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
       "token_uri": "https://oauth2.googleapis.com/token"}
BASE = "https://compute.googleapis.com/compute/v1/projects/demo-project-1/"
ZONES = [f"{BASE}zones/asia-northeast1-{z}" for z in "abc"]


class Response:
    def __init__(self, status, body=None):
        self.status_code, self.body = status, body if body is not None else {}

    def json(self):
        return self.body


class Session:
    """Answers like the Compute API for the URLs it knows; 404 for the others."""

    def __init__(self, answers=None, error=None):
        self.answers = {f"{BASE}regions/asia-northeast1": Response(200, {"zones": ZONES}),
                        **{f"{BASE}zones/asia-northeast1-{z}/machineTypes/{t}": Response(200, {})
                           for z in "abc" for t in ("e2-standard-2", "e2-standard-4")},
                        "https://compute.googleapis.com/compute/v1/projects/debian-cloud/global/images/family/debian-12":
                            Response(200, {}),
                        **(answers or {})}
        self.error, self.urls, self.timeouts = error, [], []

    def get(self, url, timeout=None):
        self.urls.append(url)
        self.timeouts.append(timeout)
        if self.error:
            raise self.error
        return self.answers.get(url, Response(404, {"error": {"message": "not found"}}))


def site(tmp_path, key=KEY, **kwargs):
    p = plan(tmp_path, **kwargs)
    if key is not None:
        (tmp_path / "gcp_credential.json").write_text(key if isinstance(key, str) else json.dumps(key))
    return p


def provider(session):
    return g.GcpProvider(session_factory=lambda key: session)


def test_a_good_stage_passes_with_short_timeouts_and_renders_the_project(tmp_path):
    session = Session()
    p = site(tmp_path)
    params = provider(session).tasks_vars(p, "present")
    assert params["project"] == "demo-project-1"
    assert params["service_account_file"] == str(tmp_path / "gcp_credential.json")
    assert all(t == g.TIMEOUT for t in session.timeouts) and sum(g.TIMEOUT) <= 30
    assert all(u.startswith("https://compute.googleapis.com/") for u in session.urls)


@pytest.mark.parametrize("key, text", [
    (None, "gcp_credential.json does not exist"),
    ("{not json", "is not JSON"),
    ({"type": "authorized_user", "client_id": "x"}, "is not a service account key (type 'authorized_user'"),
    ({**KEY, "project_id": ""}, "the service account key lacks project_id"),
])
def test_the_key_file_is_checked_offline(tmp_path, key, text):
    session = Session()
    with pytest.raises(HiveError) as err:
        provider(session).sanity_check(site(tmp_path, key=key))
    assert text in str(err.value) and str(tmp_path / "gcp_credential.json") in str(err.value)
    assert "Compute Admin" in err.value.hint and "gcp_credential.json" in err.value.hint
    assert session.urls == []   # nothing asked of Google


def test_refused_key_and_missing_permission_and_unreachable_api_say_what_to_do(tmp_path):
    class RefreshError(Exception):
        pass

    class ConnectTimeout(Exception):
        pass

    with pytest.raises(HiveError, match="Google refused the service account key") as err:
        provider(Session(error=RefreshError("invalid_grant: Invalid JWT Signature."))).sanity_check(site(tmp_path))
    assert "hive@demo.iam.gserviceaccount.com" in str(err.value)
    with pytest.raises(HiveError, match="cannot be reached") as err:
        provider(Session(error=ConnectTimeout("timed out"))).sanity_check(site(tmp_path))
    assert "proxy" in err.value.hint
    forbidden = Session({f"{BASE}regions/asia-northeast1": Response(403, {"error": {"message": "Required 'compute.regions.get'"}})})
    with pytest.raises(HiveError, match="403") as err:
        provider(forbidden).sanity_check(site(tmp_path))
    assert "Compute Admin" in err.value.hint and "demo-project-1" in err.value.hint


@pytest.mark.parametrize("answers, kwargs, attr, text", [
    ({f"{BASE}regions/asia-northeast1": Response(404)}, {}, "region", "region asia-northeast1 does not exist"),
    ({f"{BASE}regions/asia-northeast1": Response(200, {"zones": ZONES[:2]})}, {}, "available_zone",
     "zone asia-northeast1-c is not a zone of region"),
    ({f"{BASE}zones/asia-northeast1-a/machineTypes/e2-standard-4": Response(404)}, {}, "repository_instance_type",
     "machine type e2-standard-4 does not exist in zone asia-northeast1-a"),
])
def test_what_the_region_lacks_is_refused_naming_the_attribute(tmp_path, answers, kwargs, attr, text):
    with pytest.raises(InventoryError) as err:
        provider(Session(answers)).sanity_check(site(tmp_path, **kwargs))
    assert err.value.attr == attr and text in str(err.value) and err.value.file == "hive.yml"


def test_a_published_ip_must_be_a_reserved_address_of_the_project(tmp_path):
    p = site(tmp_path, published={"p-hive0.t": "198.51.100.7"})
    url = f'{BASE}regions/asia-northeast1/addresses?filter=address%3D%22198.51.100.7%22'
    with pytest.raises(HiveError, match="hive_published_ip 198.51.100.7 is not a static external address"):
        provider(Session()).sanity_check(p)
    provider(Session({url: Response(200, {"items": [{"address": "198.51.100.7"}]})})).sanity_check(p)


def test_teardown_needs_only_the_key_and_the_region(tmp_path):
    session = Session()
    params = provider(session).tasks_vars(site(tmp_path), "absent")
    assert session.urls == [f"{BASE}regions/asia-northeast1"]
    assert params["network"] == "vpc-p-t"


def test_without_the_extra_hive_check_names_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.auth.transport.requests", None)
    monkeypatch.setitem(sys.modules, "google.oauth2", None)
    with pytest.raises(HiveError) as err:
        g.GcpProvider().sanity_check(site(tmp_path))
    assert "google-auth" in str(err.value) and "swarmhive[gcp]" in err.value.hint


def test_imports_without_google_auth_and_is_the_registered_gcp_provider():
    code = ("import sys; sys.modules['google'] = None; sys.modules['requests'] = None\n"
            "from hive_builder.providers import get_provider\n"
            "p = get_provider('gcp'); print(type(p).__name__, p.tasks_file, p.checked_by_hive_check)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["GcpProvider", "gcp.yml", "True"]
    assert isinstance(get_provider("gcp"), g.GcpProvider)


def test_ssh_config_uses_the_external_addresses_and_facts_are_recorded(tmp_path):
    p = site(tmp_path)
    gp = provider(Session())
    with pytest.raises(HiveError, match="before the instances were made"):
        gp.ssh_config(p)
    results = [{"networkInterfaces": [{"accessConfigs": [{"natIP": f"203.0.113.{i}"}]}]} for i in range(4)]
    gp.take_outcome(p, "present", {"project": "demo-project-1", "instances": results})
    text = gp.ssh_config(p)
    assert "Host p-hive2.t" in text and "HostName 203.0.113.2" in text and "User admin" in text
    assert gp.facts(p)["gcp_project"] == "demo-project-1"


def test_hive_check_refuses_a_missing_key_offline_before_anything_else(tmp_path, capsys):
    from hive_builder.cli.main import main
    from tests.unit.test_cli_preflight import _project

    root, temp = _project(tmp_path, "    provider: gcp\n    cidr: 10.1.0.0/24\n    region: asia-northeast1\n"
                                    "    instance_type: e2-standard-2\n    repository_instance_type: e2-small\n"
                                    "    mirrored_disk_size: 20\n")
    assert main(["-r", str(root), "-W", str(temp), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{root / 'gcp_credential.json'} does not exist" in err and "Compute Admin" in err
    assert "Traceback" not in err
