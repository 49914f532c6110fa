"""hive_registry_bcrypt_cost reaches the registry role's hive_htpasswd call, and the hash that
module writes has that cost (the knob's refusals are in test_model_knobs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from tests.unit.library_modules import ME, MY_GROUP, load

TASKS = Path(__file__).resolve().parents[2] / "hive_builder/playbooks/roles/registry/tasks/main.yml"


def cost_expression() -> str:
    [task] = [t for t in yaml.safe_load(TASKS.read_text()) if "hive_htpasswd" in t]
    return task["hive_htpasswd"]["cost"]


@pytest.mark.parametrize("knob, expected", [({}, 5), ({"hive_registry_bcrypt_cost": 7}, 7),
                                            ({"hive_registry_bcrypt_cost": "9"}, 9)])
def test_the_knob_sets_the_cost_of_the_registry_hash(tmp_path, knob, expected):
    cost = Templar(loader=DataLoader(), variables=knob).template(trust_as_template(cost_expression()))
    assert int(cost) == expected
    htpasswd = load("hive_htpasswd")
    path = tmp_path / "htpasswd"
    htpasswd.ensure({"path": str(path), "name": "hive", "password": "pw", "cost": int(cost),
                     "mode": "0640", "owner": ME, "group": MY_GROUP}, check=False)
    assert htpasswd.hash_cost(path.read_text().split(":", 1)[1].strip()) == expected
