"""Providers of the original tool that this version does not implement yet: they say so clearly."""

from __future__ import annotations

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.plan import ProvisionPlan

NOT_YET = ("kickstart",)


class UnimplementedProvider(Provider):
    offline_sanity_check = True   # it refuses from the name alone

    def __init__(self, name: str):
        self.name = name

    def sanity_check(self, plan: ProvisionPlan | None = None) -> None:
        raise HiveError(f"provider {self.name} is not implemented yet in this version",
                        hint="use provider `aws`, `gcp`, `docker` (a whole site on the local Docker engine) "
                             "or `prepared` (existing servers reachable over SSH)")

    def provision(self, plan: ProvisionPlan) -> bool:
        self.sanity_check(plan)
        return False

    halt = destroy = provision

    def ssh_config(self, plan: ProvisionPlan) -> str:
        self.sanity_check(plan)
        return ""
