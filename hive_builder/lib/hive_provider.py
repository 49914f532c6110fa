#!/usr/bin/python
"""Ansible module hive_provider: bring the stage's servers to a state through the hive provider.

A thin adapter: builds a ProvisionPlan from the arguments (host variables gathered by the
build-infra play) and calls hive_builder.providers.apply. Runs on the mother with the Python that
runs hive.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_provider
short_description: Provision, halt or destroy the servers of a hive stage
description:
  - Brings the servers of a hive stage to O(state) through the hive provider named O(provider),
    writes the stage's C(ssh_config) in O(context_dir), and returns the provider's facts.
  - The per-server lists O(private_ips), O(server_groups), O(root_passwords), O(sshd_ports),
    O(ssh_source_ips) and O(sizes) are in the order of O(servers); an empty list means no value
    for every server.
  - Runs on the mother with the Python that runs hive (it imports C(hive_builder)); the
    build-infra phase calls it with host variables of the inventory.
author: swarmhive contributors
requirements:
  - hive_builder importable by the module's Python
options:
  provider:
    description: Name of the provider, such as C(docker) or C(prepared).
    type: str
    required: true
  state:
    description:
      - V(present) creates or starts the servers, V(halted) stops them, V(absent) removes them.
    type: str
    choices: [present, halted, absent]
    default: present
  hive_name:
    description: Name of the hive (the inventory's C(name)).
    type: str
    required: true
  stage:
    description: Stage whose servers are acted on, such as C(private).
    type: str
    required: true
  cidr:
    description: Network of the stage's servers, such as C(192.168.0.0/24).
    type: str
    required: true
  context_dir:
    description: The stage's context directory (C(.hive/<stage>)) where keys, C(ssh_config) and
      provider facts are kept.
    type: path
    required: true
  root_dir:
    description: Root directory of the hive project; by default the parent of C(.hive).
    type: path
  admin:
    description: Name of the administrator user that hive logs in as on the servers.
    type: str
    default: admin
  private_key_path:
    description: Private SSH key of the administrator user; by default C(id_rsa) in O(context_dir).
    type: path
  public_key_path:
    description: Public SSH key of the administrator user; by default O(private_key_path) with C(.pub) added.
    type: path
  servers:
    description: Inventory names of the stage's servers.
    type: list
    elements: str
    required: true
  private_ips:
    description: C(hive_private_ip) of each server.
    type: list
    elements: str
    required: true
  server_groups:
    description: C(group_names) of each server.
    type: list
    elements: list
    default: []
  root_passwords:
    description: C(hive_root_password) of each server (V('') if none).
    type: list
    elements: str
    default: []
  sshd_ports:
    description: C(hive_sshd_port) of each server (V('') if none).
    type: list
    elements: str
    default: []
  ssh_source_ips:
    description: C(hive_ssh_source_ips) of each server (V([]) if none).
    type: list
    elements: raw
    default: []
  sizes:
    description:
      - For each server, the list of its C(hive_memory_size), C(hive_cpus), C(hive_disk_size),
        C(hive_mirrored_disk_size) and C(hive_instance_type) (V('') if unset).
      - A provider applies those it can and reports the others.
    type: list
    elements: raw
    default: []
  settings:
    description:
      - The stage's inventory variables a provider making its own network reads (aws), named as
        in the inventory (C(hive_region), C(hive_subnets), ...; providers/plan.py STAGE_SETTINGS).
    type: dict
    default: {}
  server_settings:
    description:
      - For each server, its such variables (C(hive_subnet), C(hive_published_ip), ...;
        providers/plan.py SERVER_SETTINGS), in the order of O(servers).
    type: list
    elements: dict
    default: []
  outcome:
    description:
      - For a provider with a tasks file (aws), what those tasks made; without it the module
        checks and returns RV(tasks_file) and RV(tasks_vars) for them.
    type: dict
notes:
  - Does not support check mode.
"""

EXAMPLES = r"""
- name: Build the servers of the stage
  hive_provider:
    provider: docker
    state: present
    hive_name: example.com
    stage: private
    cidr: 192.168.0.0/24
    context_dir: /home/admin/site/.hive/private
    servers: [p-hive0.example.com, p-hive1.example.com]
    private_ips: [192.168.0.4, 192.168.0.5]

- name: Stop them
  hive_provider:
    provider: docker
    state: halted
    hive_name: example.com
    stage: private
    cidr: 192.168.0.0/24
    context_dir: /home/admin/site/.hive/private
    servers: [p-hive0.example.com, p-hive1.example.com]
    private_ips: [192.168.0.4, 192.168.0.5]
"""

RETURN = r"""
provider:
  description: The provider used.
  returned: success
  type: str
  sample: docker
state:
  description: The state the servers were brought to.
  returned: success
  type: str
  sample: present
ssh_config:
  description: Path of the stage's ssh_config.
  returned: success
  type: path
  sample: /home/admin/site/.hive/private/ssh_config
provider_facts:
  description: Facts of the provider about the stage's platform (recorded in C(provider_facts.yml)).
  returned: success
  type: dict
host_probe:
  description: Shell command that the build-infra phase runs on every server for
    M(hive_provider_facts); empty when the provider needs no probe.
  returned: success
  type: str
servers:
  description: Names of the servers acted on.
  returned: success
  type: list
  elements: str
  sample: [p-hive0.example.com, p-hive1.example.com]
tasks_file:
  description: Tasks file of the role provider that makes the resources (aws); empty otherwise.
  returned: success
  type: str
  sample: aws.yml
tasks_vars:
  description: Parameters of RV(tasks_file), rendered by the provider.
  returned: success
  type: dict
msg:
  description: What the provider reported, or a summary.
  returned: always
  type: str
  sample: "docker: stage private present"
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        provider=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "halted", "absent"], default="present"),
        hive_name=dict(type="str", required=True),
        stage=dict(type="str", required=True),
        cidr=dict(type="str", required=True),
        context_dir=dict(type="path", required=True),
        root_dir=dict(type="path"),
        admin=dict(type="str", default="admin"),
        private_key_path=dict(type="path"),
        public_key_path=dict(type="path"),
        servers=dict(type="list", elements="str", required=True),
        private_ips=dict(type="list", elements="str", required=True),
        server_groups=dict(type="list", elements="list", default=[]),
        root_passwords=dict(type="list", elements="str", default=[], no_log=True),
        sshd_ports=dict(type="list", elements="str", default=[]),
        ssh_source_ips=dict(type="list", elements="raw", default=[]),
        sizes=dict(type="list", elements="raw", default=[]),
        settings=dict(type="dict", default={}),
        server_settings=dict(type="list", elements="dict", default=[]),
        outcome=dict(type="dict"),
    ))
    try:
        from hive_builder.errors import HiveError
        from hive_builder.providers import apply, get_provider, plan_from_hostvars
        from hive_builder.providers.sizing import SIZE_VARS
    except ImportError as exc:
        module.fail_json(msg="hive_provider must run with the Python that runs hive "
                             f"(hive_builder is not importable: {exc})")
    p = module.params
    names = p["servers"]
    if len(p["private_ips"]) != len(names):
        module.fail_json(msg=f"{len(names)} servers but {len(p['private_ips'])} private IPs")
    groups = p["server_groups"] or [[] for _ in names]
    passwords = p["root_passwords"] or ["" for _ in names]
    # the port sshd will listen on goes into ssh_config (strict-source-ip moves it)
    ports = p["sshd_ports"] or ["" for _ in names]
    sources = p["ssh_source_ips"] or [[] for _ in names]
    # memory_size, cpus, ... (providers/sizing.py): applied by the provider or reported
    sizes = p["sizes"] or [[] for _ in names]
    server_settings = p["server_settings"] or [{} for _ in names]
    hostvars = {name: {**(extra or {}), "hive_private_ip": ip, "group_names": g,
                       "hive_root_password": pw, "hive_sshd_port": port or None,
                       "hive_ssh_source_ips": src or None, **dict(zip(SIZE_VARS.values(), size or ()))}
                for name, ip, g, pw, port, src, size, extra in zip(names, p["private_ips"], groups, passwords,
                                                                   ports, sources, sizes, server_settings)}
    try:
        plan = plan_from_hostvars(hostvars, names, hive_name=p["hive_name"], stage=p["stage"], cidr=p["cidr"],
                                  context_dir=p["context_dir"], root_dir=p["root_dir"], admin_user=p["admin"],
                                  private_key_path=p["private_key_path"], public_key_path=p["public_key_path"],
                                  settings=p["settings"])
        provider = get_provider(p["provider"])
        result = apply(provider, plan, p["state"], p["outcome"])
    except HiveError as exc:
        module.fail_json(msg=str(exc))
    for message in result.messages:
        module.warn(message)
    module.exit_json(changed=result.changed, provider=p["provider"], state=p["state"],
                     ssh_config=str(plan.ssh_config_path), provider_facts=result.facts,
                     # build-infra's second play runs it on every server (hive_provider_facts)
                     host_probe=provider.host_probe or "",
                     tasks_file=result.tasks_file, tasks_vars=result.tasks_vars,
                     servers=[s.name for s in plan.servers],
                     msg="; ".join(result.messages) or f"{p['provider']}: stage {p['stage']} {p['state']}")


if __name__ == "__main__":
    main()
