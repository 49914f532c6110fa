"""The shared loader of Ansible modules' argument specs (tests/unit/ansible_module_specs.py)."""

from __future__ import annotations

import types

import pytest

from tests.unit import ansible_module_specs as specs


class Base:
    def __init__(self, derived_arg_spec, supports_tags=True):
        raise AssertionError("the real module class must not run")


def test_a_module_class_is_stopped_at_its_call_and_put_back():
    owner = types.SimpleNamespace(ModuleClass=Base)

    def main():
        owner.ModuleClass(argument_spec={"name": {"type": "str"}}, required_if=[("a", 1, ["b"])])
        raise AssertionError("main() must stop at the module class")
    args, kwargs = specs.arguments_at(main, owner, "ModuleClass")
    assert args == () and kwargs["argument_spec"] == {"name": {"type": "str"}}
    assert owner.ModuleClass is Base


def test_an_init_called_explicitly_or_through_super_is_stopped_and_put_back():
    original = Base.__init__

    class Module(Base):
        def __init__(self):
            super().__init__({"x": {}}, supports_tags=False)
    args, kwargs = specs.arguments_at(Module, Base, "__init__")
    assert args == ({"x": {}},) and kwargs == {"supports_tags": False}
    assert Base.__init__ is original


def test_a_main_that_never_builds_its_module_names_what_to_update():
    owner = types.SimpleNamespace(ModuleClass=Base)
    with pytest.raises(LookupError, match=r"main\(\) never called .*ModuleClass: the collection changed"):
        specs.arguments_at(lambda: None, owner, "ModuleClass")
    assert owner.ModuleClass is Base


def test_constraints_keep_only_what_says_something():
    assert specs.constraints({"argument_spec": {}, "mutually_exclusive": None, "required_if": [],
                              "required_by": {"a": ["b"]}}) == {"required_by": {"a": ["b"]}}


def test_validation_and_option_names():
    spec = {"argument_spec": {"name": {"type": "str", "aliases": ["n"]}, "size": {"type": "int"}},
            "mutually_exclusive": [["name", "size"]]}
    assert specs.validation_errors(spec, {"name": "x"}) == []
    assert specs.validation_errors(spec, {"name": "x", "size": 1})    # the constraints apply
    assert specs.validation_errors(spec, {"nmae": "x"})
    assert specs.option_names(spec["argument_spec"]) == {"name", "n", "size"}
