"""The contract every provider implements (see docs/architecture.md, "providers")."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from hive_builder.providers import sizing
from hive_builder.providers.plan import ProvisionPlan
from hive_builder.render.ssh_config import SshHost, render_ssh_config


class Provider(ABC):
    """Brings the servers of one stage into existence (or stops / removes them).

    Every method is idempotent: provision on a running stage changes nothing and says so.
    Methods that act return True when they changed something.
    """

    name: str = ""
    # sanity_check reads only the inventory and this machine (no engine, no cloud), so `hive check`
    # can run it too
    offline_sanity_check: bool = False
    # providers whose platform facts come from the servers themselves: a shell command build-infra
    # runs on every server once it answers, its output per server going to host_facts (None: the
    # provider knows its facts without the servers, `facts`)
    host_probe: str | None = None
    # providers whose resources Ansible modules make (aws: amazon.aws): the role provider includes
    # this tasks file of its own between two calls of the module hive_provider. The first call
    # checks (sanity_check and what needs the cloud) and returns `tasks_vars` to the tasks; the
    # second hands what the tasks made to `take_outcome`, then ssh_config and facts are written as
    # for every provider. None: the provider acts itself in provision/halt/destroy.
    tasks_file: str | None = None

    @property
    def checked_by_hive_check(self) -> bool:
        """Whether `hive check` runs sanity_check: it must not touch an engine or change
        anything (reading a cloud's API with short timeouts is fine)."""
        return self.offline_sanity_check

    @abstractmethod
    def sanity_check(self, plan: ProvisionPlan) -> None:
        """Raise HiveError saying what is missing on this machine and how to fix it."""

    @abstractmethod
    def provision(self, plan: ProvisionPlan) -> bool:
        """Create what is missing, start what is stopped."""

    @abstractmethod
    def halt(self, plan: ProvisionPlan) -> bool:
        """Stop the servers, keeping their state (`hive build-infra -H`)."""

    @abstractmethod
    def destroy(self, plan: ProvisionPlan) -> bool:
        """Remove the servers and everything created for them (`hive build-infra -D`)."""

    def tasks_vars(self, plan: ProvisionPlan, state: str) -> dict:
        """Parameters of `tasks_file` for `state` (checked before anything is created)."""
        raise NotImplementedError(f"{self.name} provider has no tasks file")

    def take_outcome(self, plan: ProvisionPlan, state: str, outcome: Mapping) -> None:
        """What `tasks_file` made (its results as the tasks pass them), before ssh_config/facts."""
        raise NotImplementedError(f"{self.name} provider has no tasks file")

    def ssh_config(self, plan: ProvisionPlan) -> str:
        """Text of <context_dir>/ssh_config: every server at its private IP, as the admin, on the
        port its sshd will listen on. Providers reaching servers otherwise (public IPs) override it."""
        return render_ssh_config(SshHost(name=s.name, hostname=s.ip, user=plan.admin_user,
                                         identity_file=str(plan.private_key), port=s.ssh_port)
                                 for s in plan.servers)

    def facts(self, plan: ProvisionPlan) -> dict:
        """What later phases must know about this platform (provider_facts.yml)."""
        return {"ipvs": True, "drbd": "kernel"}

    def host_facts(self, probes: Mapping[str, str]) -> dict:
        """provider_facts.yml from `host_probe`'s output on each server (server name -> stdout)."""
        raise NotImplementedError(f"{self.name} provider probes no server")

    def messages(self) -> list[str]:
        """Notes for the user collected while acting (printed once by the caller)."""
        return []

    def size_notice(self, plan: ProvisionPlan) -> str | None:
        """The stage's size attributes this provider does not apply, in one line (or None);
        which ones it applies is providers/sizing.APPLIED."""
        return sizing.notice(self.name, ((s.roles, s.sizes) for s in plan.servers))
