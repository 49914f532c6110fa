"""Nothing the renderers emit is dropped by the task that uses it.

deploy.yml's docker_swarm_service task and build-images.yml's build-container task list every
module parameter by hand (`p.x | default(omit)`); a parameter the renderer returns but the task
does not pass would be dropped silently. The keys are compared with what the renderers can emit:
for deploy, derived from the model's attribute table (swarm_service.EMITTED_PARAMS); for the build
container, from the assignments in image_build.build_container_params.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import yaml

from hive_builder.render import image_build
from hive_builder.render.swarm_service import EMITTED_PARAMS

PLAYBOOKS = Path(__file__).resolve().parents[2] / "hive_builder" / "playbooks"
DEPLOY_TASKS = PLAYBOOKS / "roles" / "deploy-service" / "tasks" / "deploy.yml"
BUILD_IMAGES = PLAYBOOKS / "build-images.yml"


def _tasks(node):
    """Every task mapping in a playbook or task file (plays, blocks included)."""
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        if any("." in str(k) for k in node):        # a task names its module by FQCN
            yield node
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            if key in node:
                yield from _tasks(node[key])


def _passed(args: dict, variable: str) -> dict[str, str]:
    """Module parameter -> rendered key for parameters written `{{ <variable>.<key> ... }}`."""
    passed = {}
    for param, template in args.items():
        match = re.fullmatch(r"\{\{\s*" + variable + r"\.(\w+)\b.*\}\}", str(template).strip())
        if match:
            passed[param] = match.group(1)
    return passed


def _one_task(path: Path, module: str, render_filter: str) -> dict:
    found = [t for t in _tasks(yaml.safe_load(path.read_text()))
             if module in t and render_filter in str(t.get("vars", {}))]
    assert len(found) == 1, f"{path.name}: expected one {module} task using {render_filter}, found {len(found)}"
    return found[0]


def test_deploy_task_passes_every_parameter_the_renderer_can_emit():
    task = _one_task(DEPLOY_TASKS, "community.docker.docker_swarm_service", "hive_deploy_specs")
    passed = _passed(task["community.docker.docker_swarm_service"], "p")
    assert all(param == key for param, key in passed.items()), "a parameter is fed from another key"
    assert set(passed) == EMITTED_PARAMS
    # the rest is the playbook's own (rollout and state), not the renderer's
    assert set(task["community.docker.docker_swarm_service"]) - set(passed) == {"force_update", "state"}


def test_every_rendered_parameter_of_a_deploy_passes_through_the_task():
    task = _one_task(DEPLOY_TASKS, "community.docker.docker_swarm_service", "hive_deploy_specs")
    passed = set(_passed(task["community.docker.docker_swarm_service"], "p"))
    from tests.unit.test_render_swarm_service import FULL, params
    for ipvs in (True, False):
        assert set(params(FULL, name="powerdns", ipvs_available=ipvs, proxy_env={"HTTP_PROXY": "x"}).params) <= passed
        assert set(params({"hive_standalone": True}, ipvs_available=ipvs).params) <= passed


def _build_container_keys() -> set[str]:
    """Keys build_container_params can put into its result: the `params` dict literal, and
    `params[...] =` / `params.setdefault(...)` anywhere in the function."""
    tree = ast.parse(inspect.getsource(image_build.build_container_params))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "params" and isinstance(node.value, ast.Dict):
                    keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
                if (isinstance(target, ast.Subscript) and getattr(target.value, "id", None) == "params"
                        and isinstance(target.slice, ast.Constant)):
                    keys.add(target.slice.value)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and getattr(node.func.value, "id", None) == "params" and node.func.attr in ("setdefault", "update")
                and node.args and isinstance(node.args[0], ast.Constant)):
            keys.add(node.args[0].value)
    return keys


def test_build_container_task_passes_every_parameter_the_renderer_can_emit():
    task = _one_task(BUILD_IMAGES, "community.docker.docker_container", "hive_build_container")
    passed = _passed(task["community.docker.docker_container"], "c")
    keys = _build_container_keys()
    assert keys >= {"name", "image", "command", "mounts", "capabilities", "labels"}   # the parse found them
    assert all(param == key for param, key in passed.items())
    assert set(passed) == keys
    assert set(task["community.docker.docker_container"]) - set(passed) <= {"docker_host", "recreate", "state"}


def test_every_rendered_build_parameter_is_among_the_derived_keys():
    keys = _build_container_keys()
    full = {"hive_from": "debian:bookworm", "hive_env": {"A": 1}, "hive_expose": ["80", "53/udp"],
            "hive_working_dir": "/srv", "hive_stop_signal": "SIGTERM", "hive_user": "app", "hive_privileged": True}
    for standalone in (False, True):
        rendered = image_build.build_container_params("web", dict(full, hive_standalone=standalone),
                                                      {"HTTP_PROXY": "http://p:3128"}, "digest")
        assert set(rendered) <= keys
