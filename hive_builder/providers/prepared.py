"""Provider `prepared`: servers that already exist and are reachable over SSH (reference §9.5)."""

from __future__ import annotations

import shutil

from hive_builder.errors import HiveError
from hive_builder.providers.base import Provider
from hive_builder.providers.plan import ProvisionPlan

NO_LIFECYCLE = "prepared provider does not support stop/destroy mode"


class PreparedProvider(Provider):
    name = "prepared"
    offline_sanity_check = True

    def __init__(self) -> None:
        self._messages: list[str] = []

    def sanity_check(self, plan: ProvisionPlan) -> None:
        with_password = [s.name for s in plan.servers if s.root_password]
        if with_password and not shutil.which("sshpass"):
            raise HiveError(f"stage {plan.stage}: root_password is set (servers {', '.join(with_password)}) "
                            "but sshpass is not installed on this machine; Ansible needs it for password logins",
                            hint="apt-get install sshpass")

    def provision(self, plan: ProvisionPlan) -> bool:
        self.sanity_check(plan)
        return False  # the hosts exist; build-infra's second play bootstraps the admin if asked

    def halt(self, plan: ProvisionPlan) -> bool:
        self._messages.append(NO_LIFECYCLE)
        return False

    def destroy(self, plan: ProvisionPlan) -> bool:
        self._messages.append(NO_LIFECYCLE)
        return False


    def messages(self) -> list[str]:
        return list(self._messages)
