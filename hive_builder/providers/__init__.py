"""Providers: what brings a stage's servers into existence. `apply` is the single entry point
used by the Ansible module `hive_provider` (build-infra) and by the e2e helpers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.facts import facts_text, facts_warning
from hive_builder.providers.plan import ProvisionPlan, ServerPlan, plan_from_hostvars
from hive_builder.providers.unimplemented import NOT_YET, UnimplementedProvider

STATES = ("present", "halted", "absent")


def get_provider(name: str, env: Mapping[str, str] | None = None) -> Provider:
    """`env`: variables the provider reads besides os.environ (cloud credentials that `hive set`
    holds; inside Ansible they are in the environment already)."""
    if name == "aws":
        from hive_builder.providers.aws import AwsProvider
        return AwsProvider(env)
    if name == "azure":
        from hive_builder.providers.azure import AzureProvider
        return AzureProvider(env)
    if name == "gcp":
        from hive_builder.providers.gcp import GcpProvider
        return GcpProvider(env)
    if name == "docker":
        from hive_builder.providers.docker import DockerProvider
        return DockerProvider()
    if name == "prepared":
        from hive_builder.providers.prepared import PreparedProvider
        return PreparedProvider()
    if name == "vagrant":
        from hive_builder.providers.vagrant import VagrantProvider
        return VagrantProvider(env)
    if name in NOT_YET:
        return UnimplementedProvider(name)
    raise HiveError(f"unknown provider {name!r}", hint="known providers: aws, azure, docker, gcp, prepared, vagrant, " + ", ".join(NOT_YET))


@dataclass
class ApplyResult:
    changed: bool = False
    messages: list[str] = field(default_factory=list)   # say once, as warnings
    facts: dict = field(default_factory=dict)
    tasks_file: str = ""                 # Provider.tasks_file, on the call before the tasks
    tasks_vars: dict = field(default_factory=dict)


def provider_env(values: Mapping[str, object]) -> dict[str, str]:
    """The environment variables of the catalogue's credentials (`hive set aws_access_key_id`...)
    that are set, as ansible-playbook gets them (execution/ansible.ansible_environment)."""
    from hive_builder.config.catalogue import environment_of
    return {k: v for k, v in environment_of(values).items() if k.startswith(("AWS_", "AZURE_"))}


def write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write atomically when the content differs; True when written."""
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def apply(provider: Provider, plan: ProvisionPlan, state: str = "present",
          outcome: Mapping | None = None) -> ApplyResult:
    """Bring the stage to `state`; on present also write ssh_config and provider_facts.yml.

    A provider with a tasks file is called twice (Provider.tasks_file): without `outcome` it
    checks and returns the tasks' parameters; with the tasks' `outcome` it finishes the state."""
    if state not in STATES:
        raise HiveError(f"provider state must be one of {', '.join(STATES)}, not {state!r}")
    result = ApplyResult()
    if provider.tasks_file and outcome is None:
        result.tasks_file = provider.tasks_file
        result.tasks_vars = provider.tasks_vars(plan, state)
        sizes = provider.size_notice(plan) if state == "present" else None
        if sizes:
            result.messages.append(sizes)
        result.messages.extend(provider.messages())
        return result
    if provider.tasks_file:
        provider.take_outcome(plan, state, outcome or {})
    if state == "halted":
        result.changed = provider.halt(plan)
    elif state == "absent":
        result.changed = provider.destroy(plan)
    else:
        result.changed = provider.provision(plan)
        sizes = None if provider.tasks_file else provider.size_notice(plan)   # said before the tasks
        if sizes:   # on every build-infra, once for the stage: never silently ignored
            result.messages.append(sizes)
        result.changed |= write_if_changed(plan.ssh_config_path, provider.ssh_config(plan))
        if provider.host_probe is None:   # else recorded later by record_host_facts
            result.facts = provider.facts(plan)
            changed, messages = record_facts(provider, plan.context_dir, result.facts)
            result.changed |= changed
            result.messages.extend(messages)
    result.messages.extend(provider.messages())
    return result


def record_facts(provider: Provider, context_dir: Path, facts: dict) -> tuple[bool, list[str]]:
    """Write <context_dir>/provider_facts.yml; (changed, what to announce)."""
    if not write_if_changed(Path(context_dir) / "provider_facts.yml", facts_text(facts)):
        return False, []
    warning = facts_warning(facts)
    # announced when the facts are first recorded (or change), not on every run
    return True, [f"{provider.name} provider: {warning}"] if warning else []


def record_host_facts(provider: Provider, context_dir: Path, probes: dict[str, str]) -> ApplyResult:
    """provider_facts.yml of a provider with a `host_probe`, from its output on every server
    (build-infra's second play, once the servers answer)."""
    facts = provider.host_facts(probes)
    changed, messages = record_facts(provider, context_dir, facts)
    return ApplyResult(changed=changed, messages=messages, facts=facts)


__all__ = ["Provider", "ProvisionPlan", "ServerPlan", "plan_from_hostvars", "get_provider", "apply",
           "ApplyResult", "STATES", "record_facts", "record_host_facts", "provider_env"]
