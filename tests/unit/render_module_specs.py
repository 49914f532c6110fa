"""The real argument specs of the community.docker modules that build-images and deploy-services
call, taken from the installed collection, to validate the parameters our renderers emit.

Using the module's own spec (not a list typed into the test) means a wrong option name, a wrong
sub-option or a value outside the module's choices fails a unit test instead of a deploy.

Unlike the cloud collections' loaders (ansible_module_specs.arguments_at), the spec is read from
the module's source: docker_container's is run_module's literal plus the option groups of
module_container.base, merged inside the engine driver's setup rather than handed to one call.
"""

from __future__ import annotations

import ast
import inspect
from functools import cache

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tests.unit import ansible_module_specs as specs


def _assigned_dict_in_function(module, function: str, variable: str | None) -> dict:
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for sub in ast.walk(node):
                if variable and isinstance(sub, ast.Assign) and getattr(sub.targets[0], "id", None) == variable:
                    return eval(compile(ast.Expression(sub.value), module.__file__, "eval"))  # noqa: S307 - literal dict(...) calls
                if not variable and isinstance(sub, ast.keyword) and sub.arg == "argument_spec":
                    return eval(compile(ast.Expression(sub.value), module.__file__, "eval"))  # noqa: S307
    raise LookupError(f"{variable or 'argument_spec'} not found in {module.__name__}.{function}")


@cache
def swarm_service_spec() -> dict:
    from ansible_collections.community.docker.plugins.modules import docker_swarm_service
    return _assigned_dict_in_function(docker_swarm_service, "main", "argument_spec")


@cache
def container_spec() -> dict:
    from ansible_collections.community.docker.plugins.module_utils.module_container import base, module
    spec = dict(_assigned_dict_in_function(module, "run_module", None))
    for group in base.OPTIONS:
        spec.update(group.argument_spec)
    return spec


def validation_errors(spec: dict, params: dict) -> list[str]:
    return specs.validation_errors({"argument_spec": spec}, params)


def swarm_api_service(params: dict) -> dict:
    """What docker_swarm_service itself would send to the engine for these parameters: its own
    argument validation (defaults filled) and its own DockerService conversion, without a daemon."""
    import docker
    from ansible_collections.community.docker.plugins.module_utils.version import LooseVersion
    from ansible_collections.community.docker.plugins.modules import docker_swarm_service

    result = ArgumentSpecValidator(swarm_service_spec()).validate(params)
    if result.error_messages:
        raise AssertionError(result.error_messages)

    class FakeClient:
        docker_api_version = LooseVersion("1.41")       # the engine of Debian 12 (20.10)
        docker_py_version = LooseVersion(docker.__version__)

        def fail(self, msg, **_):
            raise AssertionError(msg)

    networks = {n if isinstance(n, str) else n["name"]: f"id-{n}" for n in params.get("networks") or []}
    service = docker_swarm_service.DockerService.from_ansible_params(
        result.validated_parameters, None, params.get("image"), [], [], networks, FakeClient())
    return service.build_docker_service()
