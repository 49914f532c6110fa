"""Provider `gcp` (reference §9.3, Debian 12 instead of CentOS 8).

The resources are made by google.cloud modules in roles/provider/tasks/gcp.yml, with the
parameters of the pure renderers in providers/gcp_render.py. This side checks before anything
is created: the service account key <root_dir>/gcp_credential.json (offline: present, JSON, a
service account key with a project id), then with short timeouts that Google accepts it and
that the region, zones, machine types, image and user-given addresses exist. It writes
ssh_config with the external addresses and records provider_facts.yml.

google-auth and requests are optional dependencies (`pip install 'swarmhive[gcp]'`, what the
google.cloud modules import too): imported on use only, so this module imports without them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hive_builder.errors import HiveError, InventoryError
from hive_builder.providers import gcp_render as render
from hive_builder.providers.cloud import CloudProvider
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.providers.sizing import stage_attribute

EXTRA_HINT = "install the gcp extra in the Python that runs hive: pip install 'swarmhive[gcp]'"
KEY_HINT = ("create a key of a service account with the role Compute Admin (IAM > Service accounts > "
            "Keys > Add key > JSON) and save it as {path} (manual: gcp provider)")
COMPUTE = "https://compute.googleapis.com/compute/v1"
SCOPES = ("https://www.googleapis.com/auth/compute",)
# a cloud that does not answer must not hold build-infra or `hive check` for minutes
TIMEOUT = (5, 15)   # connect, read (seconds)
KEY_FIELDS = ("project_id", "client_email", "private_key", "token_uri")

Session = Any
# (service account key as a dict) -> an authorised session with .get(url, timeout=...)
SessionFactory = Callable[[Mapping[str, Any]], Session]


def credential_path(plan: ProvisionPlan) -> Path:
    return Path(plan.root_dir) / render.CREDENTIAL_FILE


def read_key(path: Path) -> dict[str, Any]:
    """The service account key, checked offline: present, JSON, a service account's key."""
    hint = KEY_HINT.format(path=path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise HiveError(f"the gcp provider needs a service account key: {path} does not exist",
                        hint=hint) from None
    except OSError as exc:
        raise HiveError(f"cannot read the service account key {path}: {exc.strerror}",
                        hint="make the file readable by the user running hive") from None
    try:
        key = json.loads(text)
    except ValueError as exc:
        raise HiveError(f"{path} is not JSON ({exc}): not a service account key", hint=hint) from None
    if not isinstance(key, dict) or key.get("type") != "service_account":
        kind = key.get("type") if isinstance(key, dict) else type(key).__name__
        raise HiveError(f"{path} is not a service account key (type {kind!r}, expected "
                        "'service_account')", hint=hint)
    missing = [f for f in KEY_FIELDS if not key.get(f)]
    if missing:
        raise HiveError(f"{path}: the service account key lacks {', '.join(missing)}", hint=hint)
    return key


def authorised_session(key: Mapping[str, Any]) -> Session:
    """A requests session carrying the service account's token for the Compute API."""
    try:
        from google.auth.transport.requests import AuthorizedSession
        from google.oauth2 import service_account
    except ImportError:
        raise HiveError("the gcp provider needs google-auth and requests, which are not installed",
                        hint=EXTRA_HINT) from None
    try:
        credentials = service_account.Credentials.from_service_account_info(dict(key), scopes=SCOPES)
    except (ValueError, KeyError) as exc:
        raise HiveError(f"the service account key of {key.get('client_email')} is unusable: {exc}",
                        hint="download a new JSON key of the service account (IAM > Service accounts "
                             "> Keys > Add key > JSON)") from None
    # refresh_timeout: the token request must not wait longer than the API requests (TIMEOUT)
    return AuthorizedSession(credentials, refresh_timeout=sum(TIMEOUT))


def explain(exc: Exception, key: Mapping[str, Any], path: Path) -> HiveError:
    """A google-auth / requests failure as what the user must do."""
    kind = type(exc).__name__
    if kind == "RefreshError":   # the token endpoint refused the key
        return HiveError(f"Google refused the service account key {path} "
                         f"({key.get('client_email')}): {exc}",
                         hint="the key was deleted or the account disabled: " + KEY_HINT.format(path=path))
    if kind in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "SSLError",
                "ProxyError", "TransportError"):
        return HiveError(f"the Google Compute API cannot be reached: {exc}",
                         hint="check the network and proxy settings (HTTPS_PROXY)")
    return HiveError(f"Google Compute API request failed: {kind}: {exc}")


def body_message(body: Mapping[str, Any]) -> str:
    error = body.get("error") if isinstance(body, Mapping) else None
    return str(error.get("message", "")) if isinstance(error, Mapping) else str(error or "")


class Api:
    """GETs of the Compute API with short timeouts; answers as (status, body)."""

    def __init__(self, session: Session, key: Mapping[str, Any], path: Path):
        self.session, self.key, self.path = session, key, path
        self.project = str(key["project_id"])

    def get(self, what: str) -> tuple[int, dict]:
        url = what if "://" in what else f"{COMPUTE}/projects/{self.project}/{what}"
        try:
            response = self.session.get(url, timeout=TIMEOUT)
        except HiveError:
            raise
        except Exception as exc:
            raise explain(exc, self.key, self.path) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        status = int(response.status_code)
        if status in (401, 403):
            message = body_message(body if isinstance(body, dict) else {})
            raise HiveError(f"Google refused {url} for {self.key.get('client_email')} ({status}: {message})",
                            hint=f"give the service account the role Compute Admin in project "
                                 f"{self.project} and enable the Compute Engine API (manual: gcp provider)")
        if status >= 500:
            raise HiveError(f"Google Compute API answered {status} for {url}", hint="retry later")
        return status, body if isinstance(body, dict) else {}


def preflight(plan: ProvisionPlan, state: str, session_factory: SessionFactory) -> render.Found:
    """Before anything is created: the key (offline), then the API accepts it and, for present,
    the region, zones, machine types, image and user-given addresses exist."""
    lay = render.check_offline(plan) if state == "present" else render.layout(plan)
    path = credential_path(plan)
    key = read_key(path)
    found = render.Found(project_id=str(key["project_id"]), credential_file=str(path))
    try:
        session = session_factory(key)
    except HiveError as exc:
        if exc.hint == EXTRA_HINT:
            raise
        raise HiveError(f"{path}: {exc.message}", hint=exc.hint) from None
    api = Api(session, key, path)
    where = {"file": plan.settings.get("hive_file"), "obj": f"stage {plan.stage}"}
    status, region = api.get(f"regions/{quote(lay.region)}")
    if status == 404:
        raise InventoryError(f"region {lay.region} does not exist in GCP (project {api.project})",
                             attr="region", **where)
    if status != 200:
        raise HiveError(f"Google Compute API answered {status} for region {lay.region} "
                        f"(project {api.project}): {body_message(region)}",
                        hint="check the stage's region and that the Compute Engine API is enabled "
                             f"in project {api.project}")
    if state != "present":
        return found
    zones = {str(z).rsplit("/", 1)[-1] for z in region.get("zones") or ()}
    for server in plan.servers:
        zone = render.server_zone(lay, plan, server)
        if zones and zone not in zones:
            raise InventoryError(f"server {server.name}: zone {zone} is not a zone of region {lay.region} "
                                 f"(zones: {', '.join(sorted(zones))})", attr="available_zone", **where)
    for kind, zone in sorted({(render.machine_type(s), render.server_zone(lay, plan, s)) for s in plan.servers}):
        status, _ = api.get(f"zones/{quote(zone)}/machineTypes/{quote(str(kind))}")
        if status == 404:
            attr = next(stage_attribute("instance_type", s.roles) for s in plan.servers
                        if render.machine_type(s) == kind)
            raise InventoryError(f"machine type {kind} does not exist in zone {zone}", attr=attr, **where)
    for image in sorted({render.image(s) for s in plan.servers}):
        if image.startswith("projects/"):
            status, _ = api.get(f"{COMPUTE}/{image}")
            if status == 404:
                raise InventoryError(f"image {image} does not exist (or is not visible to project "
                                     f"{api.project})", attr="image_name", **where)
    for server, ip in sorted(lay.published_ips.items()):
        status, body = api.get(f"regions/{quote(lay.region)}/addresses?filter="
                               + quote(f'address="{ip}"'))
        if not body.get("items"):
            raise HiveError(f"server {server}: hive_published_ip {ip} is not a static external address "
                            f"of project {api.project} in region {lay.region}",
                            hint="reserve it first (VPC network > IP addresses), or remove hive_published_ip")
    return found


class GcpProvider(CloudProvider):
    name = "gcp"
    tasks_file = "gcp.yml"

    def __init__(self, env: Mapping[str, str] | None = None,
                 session_factory: SessionFactory = authorised_session) -> None:
        self._session_factory = session_factory
        super().__init__()
        self._project_id = ""

    def sanity_check(self, plan: ProvisionPlan) -> None:
        preflight(plan, "present", self._session_factory)

    def tasks_vars(self, plan: ProvisionPlan, state: str) -> dict:
        found = preflight(plan, state, self._session_factory)
        return render.tasks_vars(plan, state, found)

    def take_outcome(self, plan: ProvisionPlan, state: str, outcome: Mapping) -> None:
        if state == "present":
            self._built = render.built_servers(plan, outcome)
            self._project_id = str(outcome.get("project") or "")

    def facts(self, plan: ProvisionPlan) -> dict:
        return render.facts(plan, self._built or [], self._project_id)
