"""Ansible filters for the build-images and deploy-services phases.

Thin adapters over hive_builder.render.image_build, hive_builder.render.swarm_service and
hive_builder.render.rollout (where the decisions are made and unit-tested). A user error raised there (HiveError: names the service
and attribute) becomes an AnsibleFilterError with the same text, not a Python traceback.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from hive_builder.plugins.filter_guard import as_bool, guarded_filters
from hive_builder.render import image_build, rollout, swarm_service


# ---------------------------------------------------------------- deploy-services


def hive_service_image(service_vars, image_vars, stage, registry, tag=None):
    """`hostvars[svc] | hive_service_image(hostvars['image_' ~ svc] | default(none), stage, hive_registry)`"""
    return swarm_service.resolve_image(service_vars, image_vars or None, stage, registry, tag or None)


def hive_swarm_service(service_vars, name, image, registry_host, syslog_port=swarm_service.DEFAULT_SYSLOG_PORT,
                       proxy_env=None, ipvs_available=True, networks_all=None):
    """`{params: <docker_swarm_service parameters>, notes: [<adaptation notes>]}`"""
    spec = swarm_service.swarm_service_params(
        name, service_vars, image=image, registry_host=registry_host, syslog_port=int(syslog_port),
        proxy_env=proxy_env or {}, ipvs_available=as_bool(ipvs_available), networks_all=list(networks_all or []))
    return {"params": spec.params, "notes": spec.notes}


def hive_adaptation_summary(notes):
    """All services' notes -> one message (empty string when nothing was adapted)."""
    return swarm_service.adaptation_summary(notes or [])


def hive_proxy_env(environment):
    return swarm_service.proxy_environment(environment)


def hive_needs_force_update(running_task_image_ids, pulled_image_ids):
    return rollout.needs_force_update(running_task_image_ids or {}, pulled_image_ids or {})


def hive_convergence(service_tasks, service="", has_healthcheck=False, expected=None):
    """`{ok: bool, message: str}` for the tasks of one service."""
    ok, message = rollout.convergence_report(
        service_tasks or [], service=service, has_healthcheck=as_bool(has_healthcheck),
        expected=None if expected in (None, "") else int(expected))
    return {"ok": ok, "message": message}


def hive_ps_command(services):
    """argv that lists the tasks of every service in one `docker service ps` round trip."""
    return rollout.ps_command(services or [])


def hive_ps_split(ps_result, services):
    """`[{item, rc, stdout_lines, stderr}, ...]` per service from one hive_ps_command result."""
    return rollout.split_ps(ps_result or {}, services or [])


def hive_ps_all_converged(ps_result, services):
    return rollout.all_converged(ps_result or {}, services or [])


def hive_stability_failures(ps_results, ps_after_results=None, monitor_seconds=0):
    """`[message, ...]` for the services that did not converge or not stay converged."""
    return rollout.stability_failures(ps_results or [], ps_after_results or [], monitor_seconds)


# ---------------------------------------------------------------- build-images


def hive_build_container(image_vars, svc, proxy_env=None, spec_digest=None):
    return image_build.build_container_params(svc, image_vars, proxy_env or {}, spec_digest or None)


def hive_commit_changes(image_vars, base_image_config):
    return image_build.commit_changes(image_vars, base_image_config or {})


def hive_role_dirs(role_names, search_paths):
    return [str(p) for p in image_build.role_dirs(role_names or [], search_paths or [])]


def hive_role_files_digest(role_dirs):
    return image_build.role_files_digest(Path(p) for p in role_dirs or [])


def hive_image_spec_digest(image_vars, role_files_digest):
    return image_build.image_spec_digest(image_vars, role_files_digest)


def hive_immutable_tag(digest, timestamp=None):
    """timestamp: epoch seconds (e.g. ansible_date_time.epoch); now when omitted."""
    moment = datetime.now(timezone.utc) if timestamp in (None, "") else float(timestamp)
    return image_build.immutable_tag(digest, moment)


class FilterModule:
    def filters(self):
        return guarded_filters(
            hive_service_image, hive_swarm_service, hive_adaptation_summary, hive_proxy_env, hive_needs_force_update,
            hive_convergence, hive_ps_command, hive_ps_split, hive_ps_all_converged, hive_stability_failures, hive_build_container, hive_commit_changes, hive_role_dirs, hive_role_files_digest, hive_image_spec_digest, hive_immutable_tag)
