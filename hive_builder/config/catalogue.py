"""Every hive variable, declared once (reference §2.2, adjusted by decisions.md).

The table drives everything else: the CLI options (cli/parser.py), the persistence rules of
`hive set` (config/persistence.py, config/casting.py), default resolution (config/resolution.py)
and the generated files (render/ansible_cfg.py, render/vars_yml.py). Adding a knob means adding one
row here.

Default templates are `str.format` strings over other variables plus the internal ones
(`install_dir`, `context_key`); they are resolved to a fixed point, so their order is irrelevant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

STAGES = ("private", "staging", "production")

# Phase order used by `hive all` and start_phase (reference §2.8: volumes before networks).
PHASE_NAMES = ("build-infra", "setup-hosts", "build-images", "build-volumes", "build-networks",
               "deploy-services", "initialize-services")


class Type(str, Enum):
    STRING = "string"
    ENUM = "enum"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DIRECTORY = "directory"
    DICT = "dict"


class Scope(str, Enum):
    NONE = "none"        # never persisted (`hive set` refuses)
    GLOBAL = "global"    # persisted under the key `global`
    STAGE = "stage"      # persisted under the key of the current stage


class Level(str, Enum):
    GLOBAL = "global"    # option placed before the subcommand: `hive -s staging all`
    SUBCOMMAND = "subcommand"  # option of the listed subcommands: `hive build-infra -D`


@dataclass(frozen=True)
class CliOption:
    short: str
    long: str                      # original spelling (underscores, `foward`), kept for users
    level: Level = Level.SUBCOMMAND
    subcommands: tuple[str, ...] = ()
    help: str = ""
    metavar: str | None = None


@dataclass(frozen=True)
class Variable:
    name: str
    description: str
    type: Type = Type.STRING
    options: tuple[str, ...] = ()
    default: object = None          # str → template; other types used as they are
    scope: Scope = Scope.NONE
    name_in_ansible: str | None = None            # key in vars.yml
    ansible_cfg: tuple[str, str] | None = None    # (section, key) in ansible.cfg
    env: str | None = None                        # exported to ansible-playbook's environment
    cli: CliOption | None = None

    @property
    def persistable(self) -> bool:
        return self.scope is not Scope.NONE


_V = Variable
_O = CliOption
_G = Level.GLOBAL

_CHECK_MODE_PHASES = ("build-infra", "setup-hosts", "build-images", "deploy-services",
                      "initialize-services")
_LIMIT_PHASES = ("build-infra", "setup-hosts", "build-images", "build-volumes", "deploy-services",
                 "initialize-services")

# Left out of reference §2.2 on purpose: `vagrant_box_name` (never exported by the original: a
# typo'd key made it dead), `callback_whitelist` (removed from ansible-core; `callbacks_enabled`
# below replaces it and its `yaml` callback is gone) and `repository_docker_socket` (exported but
# used by nothing; the docker tunnels of execution/tunnels.py choose their own socket paths).
VARIABLES: tuple[Variable, ...] = (
    # --- where things are -----------------------------------------------------------------------
    _V("root_dir", "directory where hold project inventory/settings (default: current directory)",
       Type.DIRECTORY, name_in_ansible="hive_root_dir", ansible_cfg=("hive", "root_dir"),
       env="HIVE_ROOT_DIR", cli=_O("-r", "--root_dir", _G)),
    _V("stage", "stage name which is passed to ansible-playbook with --limit option as inventory "
       "group name", Type.ENUM, options=STAGES, default="private", scope=Scope.GLOBAL,
       name_in_ansible="hive_stage", ansible_cfg=("hive", "stage"), env="HIVE_STAGE",
       cli=_O("-s", "--stage", _G)),
    _V("inventory_path", "path of inventory", Type.DIRECTORY, default="{root_dir}/inventory",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "inventory"), cli=_O("-i", "--inventory_path", _G)),
    _V("context_dir", "directory where save context (ex. ssh_config, CA key, password)",
       Type.DIRECTORY, default="{root_dir}/.hive/{stage}", scope=Scope.STAGE,
       name_in_ansible="hive_context_dir", ansible_cfg=("hive", "context_dir"),
       env="HIVE_CONTEXT_DIR", cli=_O("-c", "--context_dir", _G)),
    # Stage-scoped (as in later originals). The default is one directory per project and stage
    # (context_key: a short hash of context_dir, i.e. of root_dir and stage), so two projects -- or
    # two stages run at once -- never overwrite each other's ansible.cfg and vars.yml. Kept short
    # and outside the project: the ssh control sockets and docker tunnel sockets live below it and
    # unix socket paths are limited to ~108 bytes. `hive set temp_dir` prints it.
    _V("temp_dir", "directory where save temporary file (ex. ansible.cfg, vars.yml; default: "
       "/var/tmp/hive/<hash of the project directory and stage>)",
       Type.DIRECTORY, default="/var/tmp/hive/{context_key}", scope=Scope.STAGE,
       name_in_ansible="hive_temp_dir", cli=_O("-W", "--temp_dir", _G)),
    # In ansible.cfg as `playbook_dir` so that a plain `ansible-inventory --list` loads the
    # packaged group_vars (hive_safe_*, hive_registry, ...) exactly as `hive inventory` does.
    _V("playbooks_dir", "path of hive playbooks (default: where hive is installed)",
       default="{install_dir}/playbooks", scope=Scope.GLOBAL, name_in_ansible="hive_playbooks_dir",
       ansible_cfg=("defaults", "playbook_dir"), cli=_O("-P", "--playbooks_dir", _G)),
    # decision 11: the interpreter running hive, never "a python on PATH".
    _V("local_python_path", "python interpreter used for the mother (the one running hive)",
       name_in_ansible="hive_local_python_path"),
    _V("phase", "phase being executed (set by the phase subcommands)", Type.ENUM,
       options=PHASE_NAMES, name_in_ansible="hive_phase"),
    # --- logging / verbosity --------------------------------------------------------------------
    _V("verbose", "output verbose log", Type.BOOLEAN, scope=Scope.STAGE,
       name_in_ansible="hive_verbose", cli=_O("-v", "--verbose", _G)),
    # --- phase options --------------------------------------------------------------------------
    _V("start_phase", "phase where `hive all` starts; after each successful phase the next one is "
       "saved persistently (.hive/persistent_values.yml)", Type.ENUM, options=PHASE_NAMES,
       default="build-infra", scope=Scope.STAGE, cli=_O("-S", "--start_phase", subcommands=("all",))),
    _V("halt", "stop vpc/subnet/host", Type.BOOLEAN, name_in_ansible="hive_halt",
       cli=_O("-H", "--halt", subcommands=("build-infra",), help="stop {subject}")),
    _V("rebuild", "rebuild images from scratch (ignore the reusable build containers and images)",
       Type.BOOLEAN, name_in_ansible="hive_rebuild",
       cli=_O("-R", "--rebuild", subcommands=("build-images",))),
    _V("destroy", "destroy the objects of the phase", Type.BOOLEAN, name_in_ansible="hive_destroy",
       cli=_O("-D", "--destroy", subcommands=("build-infra", "build-volumes", "deploy-services"),
              help="destroy {subject}")),
    _V("check_mode", "check mode of ansible", Type.BOOLEAN,
       cli=_O("-C", "--check_mode", subcommands=_CHECK_MODE_PHASES)),
    # Not persistable: a remembered limit silently narrowing later runs is a trap.
    _V("limit_target", "limit target (comma separated names)", name_in_ansible="hive_limit",
       cli=_O("-l", "--limit_target", subcommands=(*_LIMIT_PHASES, "volume-status", "backup",
                                                    "restore"))),
    # Checked against the tags of setup-hosts.yml before ansible runs (phases.check_tags): an
    # unknown tag or a manual role not built here (zabbix, ...) is refused, never a silent no-op.
    _V("tags", "roles to apply, comma separated (setup-hosts only; the manual's role names such "
       "as iptables and pip-venv are accepted)", scope=Scope.GLOBAL,
       cli=_O("-T", "--tags", subcommands=("setup-hosts",))),
    # --- hive ssh -------------------------------------------------------------------------------
    _V("ssh_host", "target host", scope=Scope.GLOBAL, cli=_O("-t", "--ssh_host", subcommands=("ssh",))),
    _V("foward_zabbix", "if true, forward zabbix web console to localhost on ssh", Type.BOOLEAN,
       default=False, scope=Scope.STAGE, cli=_O("-z", "--foward_zabbix", subcommands=("ssh",))),
    _V("foward_zabbix_port", "port number for forwarding zabbix port", Type.INTEGER, default=10052,
       scope=Scope.STAGE, cli=_O("-Z", "--foward_zabbix_port", subcommands=("ssh",))),
    _V("port_forwarding", "port forwarding on ssh (ssh -L syntax)", scope=Scope.STAGE,
       cli=_O("-L", "--port_forwarding", subcommands=("ssh",))),
    # --- cloud credentials ----------------------------------------------------------------------
    _V("aws_access_key_id", "AWS access key id", scope=Scope.STAGE, env="AWS_ACCESS_KEY_ID"),
    _V("aws_secret_access_key", "AWS secret access key", scope=Scope.STAGE,
       env="AWS_SECRET_ACCESS_KEY"),
    _V("azure_client_id", "Azure client id", scope=Scope.STAGE, env="AZURE_CLIENT_ID"),
    _V("azure_secret", "Azure secret", scope=Scope.STAGE, env="AZURE_SECRET"),
    _V("azure_subscription_id", "Azure subscription id", scope=Scope.STAGE,
       env="AZURE_SUBSCRIPTION_ID"),
    _V("azure_tenant", "Azure tenant", scope=Scope.STAGE, env="AZURE_TENANT"),
    # --- allocation maps, written by the inventory model's store --------------------------------
    _V("drbd_device_map", "DRBD device id per volume (maintained by hive)", Type.DICT,
       scope=Scope.STAGE),
    _V("published_port_map", "published port per service port (maintained by hive)", Type.DICT,
       scope=Scope.STAGE),
    # --- ansible.cfg ----------------------------------------------------------------------------
    _V("inventory_plugins", "ansible inventory plugin path",
       default="{root_dir}/plugins/inventory:{install_dir}/plugins/inventory", scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "inventory_plugins")),
    # ansible-playbook ignores `playbook_dir` for group_vars: it reads them next to the playbook
    # and next to the inventory only. A user playbook elsewhere (manual §6.10) gets the packaged
    # group_vars from the vars plugin hive_playbook_group_vars (it reads `playbook_dir`); listed
    # first so that the user's own group_vars (host_group_vars) win over the packaged ones.
    _V("vars_plugins", "ansible vars plugin path",
       default="{root_dir}/plugins/vars:{install_dir}/plugins/vars", scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "vars_plugins")),
    _V("vars_plugins_enabled", "ansible vars plugins to enable",
       default="hive_playbook_group_vars, host_group_vars", scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "vars_plugins_enabled")),
    _V("filter_plugins", "ansible filter plugin path",
       default="{root_dir}/plugins/filter:{install_dir}/plugins/filter", scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "filter_plugins")),
    _V("library", "ansible module path", default="{root_dir}/lib:{install_dir}/lib",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "library")),
    _V("roles_path", "ansible roles path",
       default="{root_dir}/roles:{playbooks_dir}/roles:{playbooks_dir}/builtin_roles",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "roles_path")),
    _V("enable_plugins", "ansible inventory plugins to enable",
       default="hive_inventory, hive_services, host_list, script, auto, yaml, toml",
       scope=Scope.GLOBAL, ansible_cfg=("inventory", "enable_plugins")),
    _V("unparsed_is_failed", "fail when an inventory source can not be parsed", Type.BOOLEAN,
       default=True, scope=Scope.GLOBAL, ansible_cfg=("inventory", "unparsed_is_failed")),
    # unparsed_is_failed alone only fails when EVERY source fails (reference 12.2 #1)
    _V("any_unparsed_is_failed", "fail when any inventory source can not be parsed", Type.BOOLEAN,
       default=True, scope=Scope.GLOBAL, ansible_cfg=("inventory", "any_unparsed_is_failed")),
    _V("forks", "ansible forks", Type.INTEGER, default=10, scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "forks")),
    _V("force_handlers", "run handlers even when a task fails", Type.BOOLEAN, default=True,
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "force_handlers")),
    _V("host_key_checking", "check ssh host keys (servers are re-created often)", Type.BOOLEAN,
       default=False, scope=Scope.GLOBAL, ansible_cfg=("defaults", "host_key_checking")),
    _V("interpreter_python", "ansible interpreter discovery", default="auto_silent",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "interpreter_python")),
    # The original's `yaml` callback is gone from ansible-core 2.19; the default callback renders
    # results as YAML and hides skipped hosts, which keeps the output short.
    _V("stdout_callback", "ansible stdout callback", default="default", scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "stdout_callback")),
    _V("callback_result_format", "result format of the default callback", default="yaml",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "callback_result_format")),
    _V("display_skipped_hosts", "show skipped tasks", Type.BOOLEAN, default=False,
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "display_skipped_hosts")),
    _V("callbacks_enabled", "additional ansible callbacks (e.g. ansible.posix.profile_tasks)",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "callbacks_enabled")),
    _V("bin_ansible_callbacks", "use callbacks for ad-hoc ansible too", Type.BOOLEAN, default=True,
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "bin_ansible_callbacks")),
    _V("log_path", "file receiving the full ansible output", default="{context_dir}/hive.log",
       scope=Scope.GLOBAL, ansible_cfg=("defaults", "log_path")),
    _V("timeout", "ssh connection timeout of ansible (seconds)", Type.INTEGER, scope=Scope.GLOBAL,
       ansible_cfg=("defaults", "timeout")),
    _V("pipelining", "ssh pipelining", Type.BOOLEAN, default=True, scope=Scope.GLOBAL,
       ansible_cfg=("ssh_connection", "pipelining")),
    _V("ssh_args", "ssh arguments of ansible",
       default="-F {context_dir}/ssh_config -o ControlMaster=auto -o ControlPersist=60s",
       scope=Scope.GLOBAL, ansible_cfg=("ssh_connection", "ssh_args")),
    # Inside temp_dir (short: unix socket paths are limited to ~108 bytes) and per context, so
    # two projects with the same host names never share a control master.
    _V("control_path_dir", "directory of ssh control sockets",
       default="{temp_dir}/cp/{context_key}", scope=Scope.GLOBAL,
       ansible_cfg=("ssh_connection", "control_path_dir")),
    _V("retries", "ssh retries of ansible", Type.INTEGER, default=0, scope=Scope.GLOBAL,
       ansible_cfg=("ssh_connection", "retries")),
)

BY_NAME: dict[str, Variable] = {v.name: v for v in VARIABLES}

# Values computed by hive itself, usable in default templates but not declared variables.
INTERNAL_NAMES = ("install_dir", "context_key")

# The "subject" of a phase, used in the help of -H/-D ("destroy volume").
PHASE_SUBJECTS = {
    "build-infra": "vpc/subnet/host",
    "setup-hosts": "host",
    "build-images": "container",
    "build-volumes": "volume",
    "build-networks": "ingress network",
    "deploy-services": "service",
    "initialize-services": "service",
}


def variable(name: str) -> Variable:
    return BY_NAME[name]


def environment_of(values: Mapping[str, object]) -> dict[str, str]:
    """The environment variables of the catalogue's variables that are set (credentials, root
    dir, stage...), as ansible-playbook and the providers get them."""
    return {var.env: str(values[var.name]) for var in VARIABLES
            if var.env and values.get(var.name) not in (None, "")}


def options_of(subcommand: str) -> list[Variable]:
    """Variables that are command-line options of `subcommand` (subcommand-level only)."""
    return [v for v in VARIABLES
            if v.cli and v.cli.level is Level.SUBCOMMAND and subcommand in v.cli.subcommands]


def global_options() -> list[Variable]:
    return [v for v in VARIABLES if v.cli and v.cli.level is Level.GLOBAL]
