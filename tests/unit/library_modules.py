"""Load hive's own Ansible modules (playbooks/library) as Python modules: they run on servers,
where hive_builder is not installed, so their logic is tested through their functions."""

import grp
import importlib.util
import os
import pwd
from pathlib import Path

LIBRARY = Path(__file__).parents[2] / "hive_builder/playbooks/library"
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, LIBRARY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
