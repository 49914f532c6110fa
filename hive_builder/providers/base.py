"""The contract every provider implements (see docs/architecture.md, "providers")."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hive_builder.providers.plan import ProvisionPlan


class Provider(ABC):
    """Brings the servers of one stage into existence (or stops / removes them).

    Every method is idempotent: provision on a running stage changes nothing and says so.
    Methods that act return True when they changed something.
    """

    name: str = ""

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

    @abstractmethod
    def ssh_config(self, plan: ProvisionPlan) -> str:
        """Text of <context_dir>/ssh_config."""

    def facts(self, plan: ProvisionPlan) -> dict:
        """What later phases must know about this platform (provider_facts.yml)."""
        return {"ipvs": True, "drbd": "kernel"}

    def messages(self) -> list[str]:
        """Notes for the user collected while acting (printed once by the caller)."""
        return []
