#!/usr/bin/python
"""Ansible module hive_zabbix: brings a Zabbix 6.0 server's configuration to the site's wanted state
through its JSON-RPC API, from the repository server itself (the frontend listens on loopback).

What it owns: the Admin password (the package's default `zabbix` is replaced by the generated one),
the hive templates (imported when their digest changes), host groups, and one host per stage
server (agent interface, groups, templates, macros). What users added in the web console (other
templates, macros, media) is kept: links and macros are only ever added or corrected.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_zabbix
short_description: Bring a Zabbix 6.0 server's configuration to the hive site's wanted state
description:
  - Talks to the Zabbix JSON-RPC API at O(url), from the repository server itself (the frontend
    listens on its loopback).
  - Sets the password of the user C(Admin) to O(admin_password) when the server still accepts the
    package's default (C(zabbix)).
  - Imports the hive templates O(templates) when O(templates_digest) differs from the one recorded
    in the global macro C({$HIVE.TEMPLATES.DIGEST}).
  - Creates the host groups O(host_groups) and those named by O(hosts), registers or corrects one
    host per entry of O(hosts), and deletes the hosts named by O(remove_hosts).
  - What users added in the web console (other templates, macros, media) is kept; links and
    macros are only ever added or corrected.
author: swarmhive contributors
options:
  url:
    description: URL of the Zabbix API.
    type: str
    default: http://127.0.0.1:10052/api_jsonrpc.php
  admin_password:
    description: Password of the Zabbix user C(Admin).
    type: str
    required: true
  templates:
    description: Zabbix export document (YAML) of the hive templates; V('') imports nothing.
    type: str
    default: ''
  templates_digest:
    description: Digest of O(templates), recorded after an import.
    type: str
    default: ''
  host_groups:
    description: Host groups to create when missing.
    type: list
    elements: str
    default: []
  hosts:
    description:
      - Hosts to register, each a dictionary with the keys C(name) (host name), C(ip) (address of
        its agent interface, port 10050), C(groups) and C(templates) (lists of names) and
        optionally C(macros) (macro name to value).
    type: list
    elements: dict
    default: []
  remove_hosts:
    description: Names of hosts to delete when present.
    type: list
    elements: str
    default: []
  wait:
    description: Seconds to wait for the API to answer.
    type: int
    default: 120
notes:
  - Does not support check mode.
"""

EXAMPLES = r"""
- name: Register the stage's servers in Zabbix
  hive_zabbix:
    admin_password: "{{ hive_zabbix_admin_password }}"
    host_groups: [Hives, Repository server]
    hosts:
      - name: p-hive0.example.com
        ip: 192.168.0.4
        groups: [Hives]
        templates: [Linux by Zabbix agent, Hive Server]
        macros: {"{$VFS.FS.FSNAME.NOT_MATCHES}": "^(/dev|/sys|/run|/proc)"}
    remove_hosts: [Zabbix server]
"""

RETURN = r"""
version:
  description: Version of the Zabbix API.
  returned: success
  type: str
  sample: 6.0.14
password_set:
  description: Whether the password of C(Admin) was set.
  returned: success
  type: bool
templates_imported:
  description: Whether the templates were imported.
  returned: success
  type: bool
hosts_changed:
  description: Names of the hosts created or corrected.
  returned: success
  type: list
  elements: str
hosts_removed:
  description: Names of the hosts deleted.
  returned: success
  type: list
  elements: str
"""

import json
import time
import urllib.error
import urllib.request

from ansible.module_utils.basic import AnsibleModule

DIGEST_MACRO = "{$HIVE.TEMPLATES.DIGEST}"
DEFAULT_PASSWORD = "zabbix"
ADMIN = "Admin"
# configuration.import rules for template-only documents (Zabbix 6.0 names)
IMPORT_RULES = {
    "groups": {"createMissing": True},
    "templates": {"createMissing": True, "updateExisting": True},
    "templateLinkage": {"createMissing": True},
    "items": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "triggers": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "discoveryRules": {"createMissing": True, "updateExisting": True, "deleteMissing": True},
    "valueMaps": {"createMissing": True, "updateExisting": True},
}


class ApiError(Exception):
    pass


class Api:
    # linking the stock Linux template to a new host creates hundreds of objects: minutes on a
    # busy small server (PHP's own limit, nginx-zabbix.conf, is 300 s too)
    def __init__(self, url: str, timeout: float = 300):
        self.url, self.timeout, self.auth = url, timeout, None

    def call(self, method: str, params, auth: bool = True):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth and self.auth:
            body["auth"] = self.auth
        req = urllib.request.Request(self.url, json.dumps(body).encode(),
                                     {"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            answer = json.load(resp)
        if "error" in answer:
            err = answer["error"]
            raise ApiError(f"{method}: {err.get('message')} {err.get('data')}")
        return answer["result"]

    def login(self, password: str) -> None:
        self.auth = None
        self.auth = self.call("user.login", {"username": ADMIN, "password": password}, auth=False)


def wait_for_api(api: Api, seconds: float) -> str:
    deadline, last = time.monotonic() + seconds, None
    while True:
        try:
            return api.call("apiinfo.version", {}, auth=False)
        except (OSError, urllib.error.URLError, ValueError, ApiError) as e:
            last = e
        if time.monotonic() > deadline:
            raise ApiError(f"the Zabbix API at {api.url} did not answer in {seconds:.0f} s: {last}")
        time.sleep(2)


def ensure_password(api: Api, password: str) -> bool:
    """Log in with the site's password; on a fresh server, set it first (changed)."""
    try:
        api.login(password)
        return False
    except ApiError:
        pass
    try:
        api.login(DEFAULT_PASSWORD)
    except ApiError as e:
        raise ApiError(f"user {ADMIN} accepts neither the stage's password (zabbix_admin_password in "
                       "the stage's context directory) nor the package's default: if it was changed "
                       f"in the console, write the new one to that file ({e})") from None
    user = api.call("user.get", {"output": ["userid"], "filter": {"username": ADMIN}})[0]
    # 6.0 takes the new password alone (6.2+ also want current_passwd)
    api.call("user.update", {"userid": user["userid"], "passwd": password})
    api.login(password)
    return True


def ensure_templates(api: Api, source: str, digest: str) -> bool:
    current = api.call("usermacro.get", {"globalmacro": True, "output": "extend",
                                         "filter": {"macro": DIGEST_MACRO}})
    if current and current[0]["value"] == digest:
        return False
    api.call("configuration.import", {"format": "yaml", "source": source, "rules": IMPORT_RULES})
    if current:
        api.call("usermacro.updateglobal", {"globalmacroid": current[0]["globalmacroid"], "value": digest})
    else:
        api.call("usermacro.createglobal", {"macro": DIGEST_MACRO, "value": digest})
    return True


def ensure_groups(api: Api, names: list[str]) -> tuple[dict[str, str], bool]:
    found = api.call("hostgroup.get", {"output": ["groupid", "name"], "filter": {"name": names}})
    ids = {g["name"]: g["groupid"] for g in found}
    changed = False
    for name in names:
        if name not in ids:
            ids[name] = api.call("hostgroup.create", {"name": name})["groupids"][0]
            changed = True
    return ids, changed


def host_update(current: dict, want: dict, group_ids: dict, template_ids: dict) -> dict:
    """The host.update parameters that bring `current` (host.get with groups, parentTemplates,
    macros) to `want`; {} when nothing differs. Only adds links and macros (users' own stay)."""
    update: dict = {}
    have_groups = {g["groupid"] for g in current.get("groups", [])}
    want_groups = {group_ids[g] for g in want["groups"]}
    if not want_groups <= have_groups:
        update["groups"] = [{"groupid": g} for g in sorted(have_groups | want_groups)]
    have_templates = {t["templateid"] for t in current.get("parentTemplates", [])}
    want_templates = {template_ids[t] for t in want["templates"]}
    if not want_templates <= have_templates:
        update["templates"] = [{"templateid": t} for t in sorted(have_templates | want_templates)]
    macros = {m["macro"]: m["value"] for m in current.get("macros", [])}
    if any(macros.get(k) != v for k, v in want.get("macros", {}).items()):
        macros.update(want["macros"])
        update["macros"] = [{"macro": k, "value": v} for k, v in sorted(macros.items())]
    return update


def agent_interface(ip: str) -> dict:
    return {"type": 1, "main": 1, "useip": 1, "ip": ip, "dns": "", "port": "10050"}


def fix_interface(api: Api, current: dict, ip: str) -> bool:
    """The host's agent interface polls `ip` (created or corrected); whether it had to change."""
    agents = [i for i in current.get("interfaces", []) if str(i.get("type")) == "1"]
    if not agents:
        api.call("hostinterface.create", {"hostid": current["hostid"], **agent_interface(ip)})
        return True
    if any(i["ip"] == ip for i in agents):
        return False
    main = next((i for i in agents if str(i.get("main")) == "1"), agents[0])
    api.call("hostinterface.update", {"interfaceid": main["interfaceid"], "ip": ip, "useip": 1})
    return True


def ensure_hosts(api: Api, hosts: list[dict], group_ids: dict) -> list[str]:
    """Registers each server; returns the names created or corrected."""
    names = sorted({t for h in hosts for t in h["templates"]})
    templates = api.call("template.get", {"output": ["templateid", "host"], "filter": {"host": names}})
    template_ids = {t["host"]: t["templateid"] for t in templates}
    missing = [n for n in names if n not in template_ids]
    if missing:
        raise ApiError(f"templates not found in Zabbix: {', '.join(missing)}")
    found = api.call("host.get", {"output": ["hostid", "host"], "filter": {"host": [h["name"] for h in hosts]},
                                  "selectGroups": ["groupid"], "selectParentTemplates": ["templateid"],
                                  "selectMacros": ["macro", "value"], "selectInterfaces": "extend"})
    by_name = {h["host"]: h for h in found}
    touched = []
    for want in hosts:
        current = by_name.get(want["name"])
        if current is None:
            api.call("host.create", {
                "host": want["name"], "interfaces": [agent_interface(want["ip"])],
                "groups": [{"groupid": group_ids[g]} for g in want["groups"]],
                "templates": [{"templateid": template_ids[t]} for t in want["templates"]],
                "macros": [{"macro": k, "value": v} for k, v in sorted(want.get("macros", {}).items())]})
            touched.append(want["name"])
            continue
        update = host_update(current, want, group_ids, template_ids)
        if update:
            api.call("host.update", {"hostid": current["hostid"], **update})
        if fix_interface(api, current, want["ip"]) or update:
            touched.append(want["name"])
    return touched


def remove_hosts(api: Api, names: list[str]) -> list[str]:
    if not names:
        return []
    found = api.call("host.get", {"output": ["hostid", "host"], "filter": {"host": names}})
    if found:
        api.call("host.delete", [h["hostid"] for h in found])
    return [h["host"] for h in found]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", default="http://127.0.0.1:10052/api_jsonrpc.php"),
            admin_password=dict(type="str", required=True, no_log=True),
            templates=dict(type="str", default=""),
            templates_digest=dict(type="str", default=""),
            host_groups=dict(type="list", elements="str", default=[]),
            hosts=dict(type="list", elements="dict", default=[]),
            remove_hosts=dict(type="list", elements="str", default=[]),
            wait=dict(type="int", default=120),
        ),
        supports_check_mode=False,
    )
    p = module.params
    api = Api(p["url"])
    result = {"changed": False}
    try:
        result["version"] = wait_for_api(api, p["wait"])
        result["password_set"] = ensure_password(api, p["admin_password"])
        result["templates_imported"] = bool(p["templates"]) and ensure_templates(
            api, p["templates"], p["templates_digest"])
        group_ids, groups_created = ensure_groups(api, sorted({*p["host_groups"],
                                                              *(g for h in p["hosts"] for g in h["groups"])}))
        result["hosts_changed"] = ensure_hosts(api, p["hosts"], group_ids)
        result["hosts_removed"] = remove_hosts(api, p["remove_hosts"])
    except (ApiError, OSError, urllib.error.URLError) as e:
        module.fail_json(msg=f"Zabbix API: {e}", **result)
    result["changed"] = bool(result["password_set"] or result["templates_imported"] or groups_created
                             or result["hosts_changed"] or result["hosts_removed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
