from hive_builder.config.catalogue import VARIABLES, Type, Variable
from hive_builder.config.resolution import fill_defaults, resolve, resolve_sources


def run(cli=None, persisted=None):
    return resolve(cli or {}, persisted or {}, cwd="/p", install_dir="/inst", python="/venv/bin/py")


def test_defaults_for_a_fresh_project():
    v = run()
    assert v["root_dir"] == "/p"
    assert v["stage"] == "private"
    assert v["context_dir"] == "/p/.hive/private"
    assert v["inventory_path"] == "/p/inventory"
    assert v["temp_dir"] == f"/var/tmp/hive/{v['context_key']}"
    assert v["playbooks_dir"] == "/inst/playbooks"
    assert v["roles_path"] == "/p/roles:/inst/playbooks/roles:/inst/playbooks/builtin_roles"
    assert v["ssh_args"] == "-F /p/.hive/private/ssh_config -o ControlMaster=auto -o ControlPersist=60s"
    assert v["log_path"] == "/p/.hive/private/hive.log"
    assert v["local_python_path"] == "/venv/bin/py"
    assert v["start_phase"] == "build-infra"
    assert v["forks"] == 10
    assert "verbose" not in v and "tags" not in v


def test_root_dir_from_cli():
    assert run({"root_dir": "/q"})["context_dir"] == "/q/.hive/private"


def test_cli_stage_selects_that_stages_persisted_values():
    persisted = {"stage": {"global": "staging"},
                 "aws_access_key_id": {"staging": "S", "production": "P"},
                 "verbose": {"staging": True}}
    v = run({"stage": "production"}, persisted)
    assert v["stage"] == "production"
    assert v["context_dir"] == "/p/.hive/production"
    assert v["aws_access_key_id"] == "P"
    assert "verbose" not in v


def test_persisted_stage_is_used_without_cli():
    persisted = {"stage": {"global": "staging"}, "aws_access_key_id": {"staging": "S"}}
    v = run({}, persisted)
    assert (v["stage"], v["aws_access_key_id"], v["context_dir"]) == ("staging", "S", "/p/.hive/staging")


def test_global_values_come_from_global_key_only():
    v = run({}, {"forks": {"global": 3, "private": 7}})
    assert v["forks"] == 3


def test_cli_overrides_persisted_and_absent_flag_does_not_reset():
    persisted = {"verbose": {"private": True}, "start_phase": {"private": "deploy-services"}}
    v = run({"verbose": None, "start_phase": "setup-hosts"}, persisted)
    assert v["verbose"] is True
    assert v["start_phase"] == "setup-hosts"


def test_persisted_context_dir_feeds_dependent_defaults():
    v = run({}, {"context_dir": {"private": "/elsewhere"}})
    assert v["ssh_args"].startswith("-F /elsewhere/ssh_config ")
    assert v["log_path"] == "/elsewhere/hive.log"


def test_cli_temp_dir_feeds_control_path_dir_and_context_key_differs_per_context():
    a = run({"temp_dir": "/t"})
    b = run({"stage": "staging", "temp_dir": "/t"})
    assert a["control_path_dir"].startswith("/t/cp/")
    assert a["control_path_dir"] != b["control_path_dir"]
    assert len(a["control_path_dir"]) < 40


def test_defaults_resolve_in_any_declaration_order():
    forward = run()
    backward = resolve({}, {}, cwd="/p", install_dir="/inst", python="/venv/bin/py",
                       variables=tuple(reversed(VARIABLES)))
    assert forward == backward


def test_unresolvable_default_is_left_unset():
    values = {"root_dir": "/p"}
    fill_defaults(values, [Variable("x", "", default="{nothing}/x"), Variable("y", "", default="{root_dir}/y")])
    assert values == {"root_dir": "/p", "y": "/p/y"}


def test_mutually_referring_defaults_stay_unset():
    values = {"root_dir": "/p"}
    fill_defaults(values, [Variable("a", "", default="{b}a"), Variable("b", "", default="{a}b"),
                           Variable("c", "", default="{root_dir}/c")])
    assert values == {"root_dir": "/p", "c": "/p/c"}


def test_explicit_value_is_never_replaced_by_its_default():
    values = {"a": "given"}
    fill_defaults(values, [Variable("a", "", default="default", type=Type.STRING)])
    assert values == {"a": "given"}


def test_default_temp_dir_is_per_project_and_stage_and_short():
    a, b = run({"root_dir": "/projects/a"}), run({"root_dir": "/projects/b"})
    staging = run({"root_dir": "/projects/a", "stage": "staging"})
    assert len({a["temp_dir"], b["temp_dir"], staging["temp_dir"]}) == 3
    assert a["temp_dir"] == run({"root_dir": "/projects/a"})["temp_dir"]  # stable
    for v in (a, b, staging):
        assert v["temp_dir"].startswith("/var/tmp/hive/")
        # control sockets: <control_path_dir>/<40 hex of ssh's %C> well below the ~108 bytes
        assert len(v["control_path_dir"]) + 1 + 40 < 100
        assert v["control_path_dir"].startswith(v["temp_dir"] + "/cp/")


def test_temp_dir_from_cli_or_persisted_wins_over_the_per_project_default():
    assert run({"temp_dir": "/t"})["temp_dir"] == "/t"
    assert run({}, {"temp_dir": {"private": "/kept"}})["temp_dir"] == "/kept"


def test_sources_of_values():
    persisted = {"stage": {"global": "staging"}, "forks": {"global": 3},
                 "verbose": {"staging": True, "private": False}}
    cli = {"root_dir": "/p", "temp_dir": "/t", "tags": None}
    values = run(cli, persisted)
    sources = resolve_sources(cli, persisted, values)
    assert sources["temp_dir"] == "command line"
    assert sources["stage"] == "persisted (global)"
    assert sources["forks"] == "persisted (global)"
    assert sources["verbose"] == "persisted (stage staging)"
    assert sources["start_phase"] == "default"
    assert sources["tags"] == "unset"            # given as None = not given
    assert sources["root_dir"] == "command line"
    cli_stage = {"stage": "production"}
    values = run(cli_stage, persisted)
    sources = resolve_sources(cli_stage, persisted, values)
    assert sources["stage"] == "command line"
    assert sources["verbose"] == "unset"         # nothing persisted for production
