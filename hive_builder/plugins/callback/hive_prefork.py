"""Loads the Jinja filter and test plugins in ansible-playbook's own process, before it forks a
worker for each task of each host.

Ansible loads the plugins that are not in a collection (hive's plugins/filter and its own
ansible.builtin ones) on the first use of a short filter name, and that happens in the worker,
which exits after its task: every task of every host imported them all again (hive's filter
modules import hive_builder's renderers). That cost 6.5 s of the 45 s of CPU a no-op setup-hosts
run spent in ansible-playbook. Loaded here once, the workers inherit them. Ansible empties this
cache itself when a plugin directory is added later (a role's filter_plugins), so a play start
loads them again if needed; nothing here changes what a template resolves to.

hive enables it for every ansible-playbook run (execution/ansible.py, ANSIBLE_CALLBACKS_ENABLED).
"""

from __future__ import annotations

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, test_loader

DOCUMENTATION = """
name: hive_prefork
type: aggregate
short_description: load the Jinja filter and test plugins before the workers fork
description:
  - Loads the non-collection filter and test plugins in the controller process at the start of
    the playbook and of each play, so the forked workers do not import them for every task.
requirements:
  - enabled in callbacks_enabled (hive does this for its runs)
"""

# any short name makes the loader read every non-collection plugin file it knows
WARM_NAMES = ((filter_loader, "to_json"), (test_loader, "match"))


def warm_jinja_plugins() -> None:
    for loader, name in WARM_NAMES:
        loader.get(name)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "hive_prefork"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        warm_jinja_plugins()

    def v2_playbook_on_play_start(self, play):
        warm_jinja_plugins()
