import yaml

from hive_builder.config.resolution import resolve
from hive_builder.render.vars_yml import ansible_vars, render_vars_yml


def values(**cli):
    return resolve({"temp_dir": "/tmp/t", **cli}, {}, cwd="/p", install_dir="/inst",
                   python="/venv/bin/python")


def test_vars_yml_for_root_p_stage_private():
    assert render_vars_yml(values()) == (
        "hive_context_dir: /p/.hive/private\n"
        "hive_local_python_path: /venv/bin/python\n"
        "hive_playbooks_dir: /inst/playbooks\n"
        "hive_root_dir: /p\n"
        "hive_stage: private\n"
        "hive_temp_dir: /tmp/t\n")


def test_phase_flags_and_limit():
    v = ansible_vars(values(phase="deploy-services", destroy=True, verbose=True, limit_target="x,y"))
    assert v["hive_phase"] == "deploy-services"
    assert v["hive_destroy"] is True and v["hive_verbose"] is True
    assert v["hive_limit"] == "x,y"
    assert "hive_halt" not in v


def test_false_flags_are_not_exported():
    assert "hive_verbose" not in ansible_vars(values(verbose=False))


def test_numeric_looking_limit_stays_a_string():
    assert yaml.safe_load(render_vars_yml(values(limit_target="123")))["hive_limit"] == "123"
