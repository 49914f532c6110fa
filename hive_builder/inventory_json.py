"""Site -> Ansible inventory: one list of operations, two consumers.

`inventory_ops(site, file)` lists the add_group/add_child/add_host/set_variable calls that the
inventory plugins make for one source file. `apply_ops` replays them on Ansible's inventory (the
plugins); `to_ansible_inventory` replays them on a small imitation of Ansible's InventoryData and
prints what `ansible-inventory --list` prints (`hive check`). So both agree by construction.
`direct_listing` adds the group_vars/host_vars files as Ansible merges them (`hive inventory`).

Host vars emitted (reference §3.6, §4.2) — raw facts only, see model/derived.py:
- servers: hive_private_ip, hive_netmask, hive_subnet, [hive_available_zone], sizing vars,
  [hive_root_password, hive_internal_cidr(_v6), hive_vm_image_name], hive_provider;
- mother: hive_cidr, hive_subnets, [hive_region, hive_bridge, hive_dev, hive_kickstart_config,
  hive_nameservers], hive_provider;
- services: hive_<attr> for copied attributes, hive_image or hive_image_name, and always
  hive_ports and hive_volumes (lists, possibly empty). Ports of services not on the stage being
  built carry published_port only when it is explicit (allocation is per stage);
- image_<svc>: hive_<param> of the build spec; volume_<src>: hive_volume; networks: hive_<option>.
`hive_provider` is a host var (not a stage group var) so objects spanning stages get none.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any, Protocol

import yaml

from hive_builder.model.files import HIVE_PLUGIN, SERVICES_PLUGIN, SUFFIXES
from hive_builder.model.services import DEFAULT_NETWORK, ImageSpec, Service, ServicesFile
from hive_builder.model.site import Site
from hive_builder.model.volumes import standalone_mounts

Op = tuple  # ("group", g) | ("child", parent, child) | ("host", host, group) | ("var", target, k, v)
HIVE_GROUPS = ("servers", "hives", "repository", "first_hive", "mother", "hosts")
HIVE_CHILDREN = (("servers", "hives"), ("servers", "repository"), ("hosts", "servers"),
                 ("hosts", "mother"))
SERVICE_GROUPS = ("services", "images", "volumes", "drbd_volumes", "networks")


def source_files(site: Site) -> list[str]:
    """Inventory files in the order Ansible parses them (sorted names)."""
    return sorted([site.hive_file, *(f.file for f in site.service_files)])


def inventory_ops(site: Site, file: str | None = None) -> list[Op]:
    """Operations for one source file (its name relative to the inventory dir), or for all."""
    ops: list[Op] = []
    for name in source_files(site) if file is None else [file]:
        if name == site.hive_file:
            ops += _hive_ops(site)
        for services_file in site.service_files:
            if services_file.file == name:
                ops += _services_ops(site, services_file)
    return ops


def _host(ops: list[Op], host: str, groups: Any, variables: dict[str, Any]) -> None:
    ops.extend(("host", host, g) for g in groups)
    ops.extend(("var", host, k, v) for k, v in variables.items())


def _hive_ops(site: Site) -> list[Op]:
    ops: list[Op] = [("group", g) for g in HIVE_GROUPS]
    ops += [("child", p, c) for p, c in HIVE_CHILDREN]
    ops.append(("var", "all", "hive_name", site.name))
    for stage in site.stages.values():
        ops.append(("group", stage.name))
        _host(ops, stage.mother.name, ("mother", stage.name), stage.mother.vars)
        for server in stage.servers:
            roles = [g for g in ("hives", "repository") if g in server.groups]
            _host(ops, server.name, (stage.name, *roles), server.vars)
        ops.append(("host", stage.first_hive.name, "first_hive"))
    return ops


def _services_ops(site: Site, services_file: ServicesFile) -> list[Op]:
    ops: list[Op] = [("group", g) for g in (*SERVICE_GROUPS, *services_file.available_on)]
    for service in services_file.services:
        _host(ops, service.name, ("services", *service.stages), service_vars(site, service))
        for volume in service.volumes:
            if volume.kind == "plain":
                continue
            group = "drbd_volumes" if volume.drbd else "volumes"
            _host(ops, volume.host_name, (group, *service.stages),
                  {"hive_volume": volume_var(site, volume)})
        if isinstance(service.image, ImageSpec):
            _host(ops, service.image.host_name, ("images", *service.stages),
                  {f"hive_{k}": v for k, v in service.image.params.items()})
    for network in services_file.networks:
        _host(ops, network.name, ("networks", *network.stages),
              {f"hive_{k}": v for k, v in network.options.items()})
    if not services_file.defines_default_network:
        _host(ops, DEFAULT_NETWORK, ("networks", *services_file.available_on), {})
    return ops


def service_vars(site: Site, service: Service) -> dict[str, Any]:
    variables = {f"hive_{k}": v for k, v in service.copied.items()}
    mounts = standalone_mounts() if service.standalone else []
    variables["hive_volumes"] = mounts + [v.mount() for v in service.volumes]
    variables["hive_ports"] = [p.as_var(site.published_port(p)) for p in service.ports]
    if isinstance(service.image, ImageSpec):
        variables["hive_image_name"] = service.image.host_name
    elif service.image is not None:
        variables["hive_image"] = service.image
    return variables


def volume_var(site: Site, volume: Any) -> dict[str, Any]:
    if volume.drbd is not None:
        return {"name": volume.source, "drbd": volume.drbd.as_var(site.device_id(volume))}
    var = {"name": volume.source, "driver": volume.driver}
    if volume.driver_opts is not None:
        var["driver_options"] = volume.driver_opts
    return var


class InventoryLike(Protocol):
    def add_group(self, group: str) -> Any: ...
    def add_child(self, group: str, child: str) -> Any: ...
    def add_host(self, host: str, group: str | None = None) -> Any: ...
    def set_variable(self, entity: str, varname: str, value: Any) -> None: ...


def apply_ops(inventory: InventoryLike, ops: list[Op]) -> None:
    for op in ops:
        if op[0] == "group":
            inventory.add_group(op[1])
        elif op[0] == "child":
            inventory.add_child(op[1], op[2])
        elif op[0] == "host":
            inventory.add_group(op[2])
            inventory.add_host(op[1], group=op[2])
        else:
            inventory.set_variable(op[1], op[2], op[3])


class _ListedInventory:
    """Just enough of Ansible's InventoryData to reproduce `ansible-inventory --list`."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}
        self.hosts: dict[str, dict[str, Any]] = {}
        self.parents: dict[str, set[str]] = {}
        self._depths: dict[str, int] | None = None
        for g in ("all", "ungrouped"):
            self.add_group(g)
        self.add_child("all", "ungrouped")

    def add_group(self, group: str) -> None:
        if group not in self.groups:
            self.groups[group] = {"hosts": [], "children": [], "vars": {}}
            self.parents[group] = set()

    def add_child(self, group: str, child: str) -> None:
        if child in self.groups:
            if child not in self.groups[group]["children"]:
                self.groups[group]["children"].append(child)
                self.parents[child].add(group)
        else:
            self.add_host(child, group)

    def add_host(self, host: str, group: str | None = None) -> None:
        self.hosts.setdefault(host, {"vars": {}, "groups": []})
        if group is not None and host not in self.groups[group]["hosts"]:
            self.groups[group]["hosts"].append(host)
            self.hosts[host]["groups"].append(group)

    def set_variable(self, entity: str, varname: str, value: Any) -> None:
        target = self.groups[entity] if entity in self.groups else self.hosts[entity]
        target["vars"][varname] = value

    def listing(self) -> dict[str, Any]:
        for name in list(self.groups):
            if name != "all" and not self.parents[name]:
                self.add_child("all", name)
        for host, data in self.hosts.items():
            if not data["groups"]:
                self.add_host(host, "ungrouped")
        result: dict[str, Any] = {}
        seen: set[str] = set()

        def visit(name: str) -> None:
            group = self.groups[name]
            entry: dict[str, Any] = {}
            if name != "all" and group["hosts"]:
                entry["hosts"] = list(group["hosts"])
            if group["children"]:
                entry["children"] = list(group["children"])
            for child in group["children"]:
                if child not in seen:
                    seen.add(child)
                    visit(child)
            if entry:
                result[name] = entry

        visit("all")
        hostvars = {}
        for host in self.hosts:
            merged = self.host_vars(host)
            if merged:
                hostvars[host] = merged
        return {"_meta": {"hostvars": hostvars, "profile": "inventory_legacy"}, **result}

    def host_groups(self, host: str) -> list[str]:
        """The host's groups and their ancestors but `all`, in Ansible's order of precedence
        (sort_groups: depth, then name; every group has the default priority here)."""
        groups: set[str] = set()
        todo = list(self.hosts[host]["groups"])
        while todo:
            g = todo.pop()
            if g not in groups and g != "all":
                groups.add(g)
                todo.extend(self.parents[g])
        return sorted(groups, key=lambda g: (self.depth(g), g))

    def depth(self, group: str) -> int:
        """Ansible's Group.depth: the longest path from `all`."""
        if self._depths is None:
            self._depths = {}
        if group not in self._depths:
            self._depths[group] = 0 if group == "all" else 1 + max(
                (self.depth(p) for p in self.parents[group]), default=0)
        return self._depths[group]

    def host_vars(self, host: str) -> dict[str, Any]:
        merged = dict(self.groups["all"]["vars"])
        for g in self.host_groups(host):  # only `all` carries vars in hive inventories
            merged.update(self.groups[g]["vars"])
        merged.update(self.hosts[host]["vars"])
        return merged


def to_ansible_inventory(site: Site) -> dict[str, Any]:
    """The `ansible-inventory --list` document for the site (without group_vars/host_vars files)."""
    inventory = _ListedInventory()
    apply_ops(inventory, inventory_ops(site))
    return copy.deepcopy(inventory.listing())  # callers may edit it; the Site stays intact


# --- `hive inventory` without ansible-inventory --------------------------------------------------
#
# ansible-inventory --list resolves every host's variables through the vars plugins, seconds per
# thousand hosts. With hive's generated ansible.cfg its output is the listing above plus the
# group_vars/host_vars files next to the inventory and in playbook_dir, merged as Ansible's
# VariableManager.get_vars does (default VARIABLE_PRECEDENCE, hash_behaviour replace):
#   the `all` group's inventory vars, the host's groups' inventory vars; then for `all`, then for
#   the host's groups (Ansible's order: depth, name), the vars plugins of the inventory source
#   (hive_playbook_group_vars: <playbook_dir>/group_vars, host_group_vars: <inventory>/group_vars)
#   and of the play basedir, which is playbook_dir (the same plugin, then
#   <playbook_dir>/group_vars again); then the host's own vars, <inventory>/host_vars/<host> and
#   <playbook_dir>/host_vars/<host>; Ansible's internal names removed.
# direct_listing computes the groups' part once per distinct set of groups instead of once per
# host, and raises NeedsAnsible for anything it does not reproduce exactly (other inventory
# sources or plugins, ANSIBLE_* settings, vault, !unsafe, dates, duplicate keys, reserved names
# that Ansible warns about...): ansible-inventory answers those.

class NeedsAnsible(Exception):
    """direct_listing cannot promise ansible-inventory's output; the message says why."""


DEFAULT_VARS_PLUGINS_ENABLED = ("hive_playbook_group_vars", "host_group_vars")
DEFAULT_ENABLE_PLUGINS = ("hive_inventory", "hive_services", "host_list", "script", "auto", "yaml",
                          "toml")
PLUGINS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugins")
# ansible settings that cannot change what `ansible-inventory --list` prints
NEUTRAL_ANSIBLE_ENV = frozenset({"ANSIBLE_CONFIG", "ANSIBLE_STDOUT_CALLBACK",
                                 "ANSIBLE_CALLBACK_PLUGINS", "ANSIBLE_FORCE_COLOR",
                                 "ANSIBLE_NOCOLOR", "ANSIBLE_NOCOWS"})
# InventoryManager: directory entries that are no inventory source (IGNORED_ALWAYS, default
# INVENTORY_IGNORE_EXTS, no INVENTORY_IGNORE_PATTERNS)
IGNORED_SOURCES = re.compile(r"^\.|^host_vars$|^group_vars$|^vars_plugins$|"
                             r"(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.cfg"
                             r"|\.retry)$")
VARS_EXTENSIONS = ("", ".yml", ".yaml", ".json")  # DataLoader.find_vars_files, in this order
# ansible.constants.INTERNAL_STATIC_VARS: removed from every host's vars by ansible-inventory
INTERNAL_STATIC_VARS = frozenset({
    "ansible_async_path", "ansible_collection_name", "ansible_config_file",
    "ansible_dependent_role_names", "ansible_diff_mode", "ansible_facts", "ansible_forks",
    "ansible_inventory_sources", "ansible_limit", "ansible_play_batch", "ansible_play_hosts",
    "ansible_play_hosts_all", "ansible_play_role_names", "ansible_playbook_python",
    "ansible_role_name", "ansible_role_names", "ansible_run_tags", "ansible_skip_tags",
    "ansible_verbosity", "ansible_version", "inventory_dir", "inventory_file",
    "inventory_hostname", "inventory_hostname_short", "groups", "group_names", "hostvars",
    "playbook_dir", "play_hosts", "role_name", "role_names", "role_path", "role_uuid"})
# ansible.vars.reserved.get_reserved_names() but `vars`: Ansible warns about variables so named
RESERVED_NAMES = frozenset({
    "action", "always", "any_errors_fatal", "args", "async", "async_val", "become", "become_exe",
    "become_flags", "become_method", "become_user", "block", "changed_when", "check_mode",
    "collections", "connection", "cycler", "debugger", "delay", "delegate_facts", "delegate_to",
    "dict", "diff", "environment", "fact_path", "failed_when", "force_handlers", "gather_facts",
    "gather_timeout", "handlers", "hosts", "ignore_errors", "ignore_unreachable", "joiner",
    "lipsum", "local_action", "lookup", "loop", "loop_control", "loop_with",
    "max_fail_percentage", "module_defaults", "name", "namespace", "no_log", "notify", "now",
    "omit", "order", "poll", "port", "post_tasks", "pre_tasks", "q", "query", "range",
    "register", "remote_user", "rescue", "retries", "roles", "run_once", "serial", "strategy",
    "tags", "tasks", "throttle", "timeout", "undef", "until", "vars_files", "vars_prompt",
    "when", "with_"})


def declares_plugin(path: str, name: str) -> bool:
    """Whether the file's top-level `plugin:` is `name` (cheap line scan, no YAML parse): the
    inventory plugins' verify_file."""
    if not path.endswith(SUFFIXES):
        return False
    wanted = (f"plugin: {name}", f"plugin: '{name}'", f'plugin: "{name}"')
    try:
        with open(path, encoding="utf-8") as f:
            return any(not line[:1].isspace() and line.split("#")[0].strip() in wanted
                       for line in f)
    except (OSError, UnicodeDecodeError):
        return False


def direct_listing(site: Site, values: Mapping[str, Any],
                   environ: Mapping[str, str]) -> dict[str, Any]:
    """What `ansible-inventory --list` prints with hive's ansible.cfg for `values` (and the
    environment `environ`), computed without Ansible; NeedsAnsible when not sure."""
    try:
        return _direct_listing(site, values, environ)
    except OSError as exc:  # let Ansible report it its own way
        raise NeedsAnsible(str(exc)) from None


def _direct_listing(site: Site, values: Mapping[str, Any],
                    environ: Mapping[str, str]) -> dict[str, Any]:
    inventory_dir, playbook_dir = _direct_settings(site, values, environ)
    files = _VarsFiles()
    packaged = os.path.join(playbook_dir, "group_vars")  # hive_playbook_group_vars
    plugin = packaged if os.path.isdir(packaged) else None
    inventory_dir, playbook_dir = os.path.realpath(inventory_dir), os.path.realpath(playbook_dir)
    group_layers = [plugin, files.vars_dir(inventory_dir, "group_vars"),
                    plugin, files.vars_dir(playbook_dir, "group_vars")]
    host_layers = [files.vars_dir(inventory_dir, "host_vars"),
                   files.vars_dir(playbook_dir, "host_vars")]
    inventory = _ListedWithFiles(files, [d for d in group_layers if d],
                                 [d for d in host_layers if d])
    apply_ops(inventory, inventory_ops(site))
    return inventory.listing()


def dumps_listing(listing: dict[str, Any]) -> str:
    """The text ansible-inventory prints for `listing` (ending with a newline)."""
    try:
        return json.dumps(listing, sort_keys=True, indent=4, ensure_ascii=False,
                          allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:  # a value plain JSON cannot hold as Ansible would
        raise NeedsAnsible(f"value not plain JSON: {exc}") from None


def _direct_settings(site: Site, values: Mapping[str, Any],
                     environ: Mapping[str, str]) -> tuple[str, str]:
    """(inventory dir, playbook_dir) once sure that hive's ansible.cfg, the environment and the
    inventory directory hold nothing but what direct_listing reproduces."""
    def names(key: str) -> tuple[str, ...]:
        return tuple(n.strip() for n in str(values.get(key) or "").split(",") if n.strip())

    def paths(key: str) -> list[str]:
        return [p for p in str(values.get(key) or "").split(os.pathsep) if p]

    ansible_env = sorted(k for k in environ if k.startswith("ANSIBLE_")
                         and k not in NEUTRAL_ANSIBLE_ENV)
    if ansible_env:
        raise NeedsAnsible(f"environment sets {', '.join(ansible_env)}")
    if names("vars_plugins_enabled") != DEFAULT_VARS_PLUGINS_ENABLED:
        raise NeedsAnsible("vars_plugins_enabled is not the default")
    if names("enable_plugins") != DEFAULT_ENABLE_PLUGINS:
        raise NeedsAnsible("enable_plugins is not the default")
    inventory_dir, playbook_dir = (str(values.get(k) or "") for k in ("inventory_path",
                                                                      "playbooks_dir"))
    if not (os.path.isabs(inventory_dir) and os.path.isabs(playbook_dir)):
        raise NeedsAnsible("inventory_path or playbooks_dir is not an absolute path")
    for key, ours in (("inventory_plugins", "inventory"), ("vars_plugins", "vars")):
        packaged = os.path.join(PLUGINS_DIR, ours)
        dirs = [os.path.realpath(p) for p in paths(key)]
        if os.path.realpath(packaged) not in dirs:
            raise NeedsAnsible(f"{key} does not hold {packaged}")
        dirs.append(os.path.join(playbook_dir, f"{ours}_plugins"))  # add_all_plugin_dirs
        for d in dirs:
            if d != os.path.realpath(packaged) and _holds_python(d):
                raise NeedsAnsible(f"plugins in {d}")
    hive_files = {site.hive_file: HIVE_PLUGIN, **{f.file: SERVICES_PLUGIN
                                                  for f in site.service_files}}
    for name in sorted(os.listdir(inventory_dir)):
        path = os.path.join(inventory_dir, name)
        if IGNORED_SOURCES.search(name):
            continue
        plugin = hive_files.get(name)
        if plugin is None or not os.path.isfile(path) or not declares_plugin(path, plugin):
            raise NeedsAnsible(f"inventory source {path} is not a hive file")
    return inventory_dir, playbook_dir


def _holds_python(directory: str) -> bool:
    try:
        return any(n.endswith(".py") for n in os.listdir(directory))
    except OSError:
        return False


class _VarsFiles:
    """group_vars/host_vars files as host_group_vars and hive_playbook_group_vars read them."""

    def __init__(self) -> None:
        self._merged: dict[tuple[str, str], dict[str, Any]] = {}
        self._loaded: dict[str, Any] = {}

    @staticmethod
    def vars_dir(basedir: str, subdir: str) -> str | None:
        path = os.path.join(basedir, subdir)
        if os.path.isdir(path):
            return path
        if os.path.exists(path):  # Ansible warns and skips it
            raise NeedsAnsible(f"{path} is not a directory")
        return None

    def merged(self, directory: str, name: str) -> dict[str, Any]:
        """The files of `name` in `directory` combined, {} when none (cached)."""
        key = (directory, name)
        if key not in self._merged:
            data: dict[str, Any] = {}
            for path in _find_vars_files(directory, name) if name[:1] != os.sep else []:
                loaded = self._load(path)
                if loaded:  # Ansible ignores empty (falsy) files
                    if not isinstance(loaded, dict):
                        raise NeedsAnsible(f"{path} does not hold a mapping")
                    data.update(loaded)
            self._merged[key] = data
        return self._merged[key]

    def _load(self, path: str) -> Any:
        if path not in self._loaded:
            self._loaded[path] = _load_vars_file(path)
        return self._loaded[path]


def _find_vars_files(directory: str, name: str) -> list[str]:
    """DataLoader.find_vars_files: <name> (a directory: every file below it), <name>.yml,
    <name>.yaml or <name>.json -- the first that exists."""
    base = os.path.join(directory, name)
    for ext in VARS_EXTENSIONS:
        path = base + ext
        if os.path.exists(path):
            return _dir_vars_files(path) if os.path.isdir(path) else [path]
    return []


def _dir_vars_files(directory: str) -> list[str]:
    found = []
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or name.endswith("~"):
            continue
        ext = os.path.splitext(name)[1]
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not ext:
            found.extend(_dir_vars_files(path))
        elif os.path.isfile(path) and (not ext or ext in VARS_EXTENSIONS):
            found.append(path)
    return found


class _VarsLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # Ansible's resolver, too
    """SafeLoader building only what Ansible's loader builds the same way."""


def _vars_mapping(loader: _VarsLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, str) or key in mapping:  # Ansible converts / warns
            raise NeedsAnsible(f"key {key!r} is not a unique string")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_VarsLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _vars_mapping)


def _load_vars_file(path: str) -> Any:
    """DataLoader.load_from_file for plain files: JSON first, else YAML."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw.startswith(b"$ANSIBLE_VAULT"):
            raise NeedsAnsible(f"{path} is encrypted")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NeedsAnsible(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.load(text, Loader=_VarsLoader)  # noqa: S506 - a SafeLoader
        except (yaml.YAMLError, RecursionError, NeedsAnsible) as exc:
            raise NeedsAnsible(f"{path}: {' '.join(str(exc).split())}") from None
    _check_plain(data, path)
    return data


def _check_plain(value: Any, path: str) -> None:
    """Only JSON's own types, as Ansible's encoder prints them unchanged; strings are trusted
    (no !unsafe, no !vault: those are refused by SafeLoader)."""
    kind = type(value)
    if kind is dict:
        if "__ansible_unsafe" in value or "__ansible_vault" in value:
            raise NeedsAnsible(f"{path}: Ansible's tagged JSON")
        for k, v in value.items():
            if type(k) is not str:
                raise NeedsAnsible(f"{path}: key {k!r} is not a string")
            _check_plain(v, path)
    elif kind is list:
        for v in value:
            _check_plain(v, path)
    elif kind is float:
        if not math.isfinite(value):
            raise NeedsAnsible(f"{path}: {value}")
    elif kind not in (str, int, bool, type(None)):
        raise NeedsAnsible(f"{path}: a {kind.__name__} value")


class _ListedWithFiles(_ListedInventory):
    """_ListedInventory whose host vars include the group_vars/host_vars files."""

    def __init__(self, files: _VarsFiles, group_dirs: list[str], host_dirs: list[str]) -> None:
        super().__init__()
        self._files, self._group_dirs, self._host_dirs = files, group_dirs, host_dirs
        self._by_groups: dict[tuple[str, ...], dict[str, Any]] = {}

    def host_vars(self, host: str) -> dict[str, Any]:
        groups = tuple(self.host_groups(host))
        base = self._by_groups.get(groups)
        if base is None:
            if any("ansible_group_priority" in self.groups[g]["vars"] for g in groups):
                raise NeedsAnsible("a group sets ansible_group_priority")
            base = dict(self.groups["all"]["vars"])
            for g in groups:
                base.update(self.groups[g]["vars"])
            for d in self._group_dirs:
                base.update(self._files.merged(d, "all"))
            for d in self._group_dirs:
                for g in groups:
                    base.update(self._files.merged(d, g))
            self._by_groups[groups] = base
        merged = {**base, **self.hosts[host]["vars"]}
        for d in self._host_dirs:
            merged.update(self._files.merged(d, host))
        if not RESERVED_NAMES.isdisjoint(merged):
            raise NeedsAnsible(f"{host} has a variable of a reserved name")
        for name in INTERNAL_STATIC_VARS.intersection(merged):
            del merged[name]
        return merged
