#!/usr/bin/python
"""Ansible module hive_provider_facts: record provider_facts.yml from what the servers said.

For providers whose platform facts come from the servers (`Provider.host_probe`: prepared):
build-infra runs the probe on every server, then this module on the mother turns the outputs
into <context_dir>/provider_facts.yml (hive_builder.providers.record_host_facts). Runs with the
Python that runs hive.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: hive_provider_facts
short_description: Record a hive stage's provider facts from a probe run on its servers
description:
  - For providers whose platform facts come from the servers (such as C(prepared)), turns the
    outputs of the provider's host probe (the C(host_probe) that M(hive_provider) returns), run
    on every server, into C(provider_facts.yml) in O(context_dir).
  - Fails for a provider that records its facts without probing the servers.
  - Runs on the mother with the Python that runs hive (it imports C(hive_builder)).
author: swarmhive contributors
requirements:
  - hive_builder importable by the module's Python
options:
  provider:
    description: Name of the provider, such as C(prepared).
    type: str
    required: true
  context_dir:
    description: The stage's context directory (C(.hive/<stage>)).
    type: path
    required: true
  probes:
    description: Server name to the standard output of the provider's host probe on that server.
    type: dict
    required: true
notes:
  - Does not support check mode.
"""

EXAMPLES = r"""
- name: Record what the servers said
  hive_provider_facts:
    provider: prepared
    context_dir: "{{ hive_context_dir }}"
    probes: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, ['provider_host_probe', 'stdout']))) }}"
  delegate_to: "{{ hive_mother }}"
  run_once: true
"""

RETURN = r"""
provider_facts:
  description: The facts recorded.
  returned: success
  type: dict
msg:
  description: What the provider reported, or a summary.
  returned: always
  type: str
  sample: "prepared: provider facts recorded"
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        provider=dict(type="str", required=True),
        context_dir=dict(type="path", required=True),
        probes=dict(type="dict", required=True),
    ))
    try:
        from hive_builder.errors import HiveError
        from hive_builder.providers import get_provider, record_host_facts
    except ImportError as exc:
        module.fail_json(msg="hive_provider_facts must run with the Python that runs hive "
                             f"(hive_builder is not importable: {exc})")
    p = module.params
    try:
        provider = get_provider(p["provider"])
        if provider.host_probe is None:
            module.fail_json(msg=f"the {p['provider']} provider records its facts without probing the servers")
        result = record_host_facts(provider, p["context_dir"], {k: str(v) for k, v in p["probes"].items()})
    except HiveError as exc:
        module.fail_json(msg=str(exc))
    for message in result.messages:
        module.warn(message)
    module.exit_json(changed=result.changed, provider_facts=result.facts,
                     msg="; ".join(result.messages) or f"{p['provider']}: provider facts recorded")


if __name__ == "__main__":
    main()
