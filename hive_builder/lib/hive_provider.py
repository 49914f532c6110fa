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
options:
  provider: {type: str, required: true}
  state: {type: str, choices: [present, halted, absent], default: present}
  hive_name: {type: str, required: true}
  stage: {type: str, required: true}
  cidr: {type: str, required: true}
  context_dir: {type: path, required: true}
  root_dir: {type: path}
  admin: {type: str, default: admin}
  private_key_path: {type: path}
  public_key_path: {type: path}
  servers: {type: list, elements: str, required: true, description: inventory names of the stage's servers}
  private_ips: {type: list, elements: str, required: true, description: hive_private_ip of each server}
  server_groups: {type: list, elements: list, description: group_names of each server}
  root_passwords: {type: list, elements: str, no_log: true, description: hive_root_password of each ('' if none)}
  sshd_ports: {type: list, elements: str, description: hive_sshd_port of each ('' if none)}
  ssh_source_ips: {type: list, elements: raw, description: hive_ssh_source_ips of each ([] if none)}
  sizes: {type: list, elements: raw, description: "per server, a list of hive_memory_size, hive_cpus, hive_disk_size, hive_mirrored_disk_size, hive_instance_type ('' if unset)"}
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
    hostvars = {name: {"hive_private_ip": ip, "group_names": g, "hive_root_password": pw,
                       "hive_sshd_port": port or None, "hive_ssh_source_ips": src or None,
                       **dict(zip(SIZE_VARS.values(), size or ()))}
                for name, ip, g, pw, port, src, size in zip(names, p["private_ips"], groups, passwords,
                                                            ports, sources, sizes)}
    try:
        plan = plan_from_hostvars(hostvars, names, hive_name=p["hive_name"], stage=p["stage"], cidr=p["cidr"],
                                  context_dir=p["context_dir"], root_dir=p["root_dir"], admin_user=p["admin"],
                                  private_key_path=p["private_key_path"], public_key_path=p["public_key_path"])
        provider = get_provider(p["provider"])
        result = apply(provider, plan, p["state"])
    except HiveError as exc:
        module.fail_json(msg=str(exc))
    for message in result.messages:
        module.warn(message)
    module.exit_json(changed=result.changed, provider=p["provider"], state=p["state"],
                     ssh_config=str(plan.ssh_config_path), provider_facts=result.facts,
                     # build-infra's second play runs it on every server (hive_provider_facts)
                     host_probe=provider.host_probe or "",
                     servers=[s.name for s in plan.servers],
                     msg="; ".join(result.messages) or f"{p['provider']}: stage {p['stage']} {p['state']}")


if __name__ == "__main__":
    main()
