import pytest

from hive_builder import phases


@pytest.mark.parametrize("phase,expected", [
    ("build-infra", "setup-hosts"), ("setup-hosts", "build-images"),
    ("build-images", "build-volumes"), ("build-volumes", "build-networks"),
    ("build-networks", "deploy-services"), ("deploy-services", "initialize-services"),
    # after the last phase: wrap, so that the next `hive all` re-runs everything
    ("initialize-services", "build-infra"),
])
def test_success_moves_to_next_phase(phase, expected):
    assert phases.start_phase_after(phase) == expected


def test_destroy_and_halt_point_at_the_phase_itself():
    assert phases.start_phase_after("deploy-services", destroy=True) == "deploy-services"
    assert phases.start_phase_after("build-infra", destroy=True) == "build-infra"
    assert phases.start_phase_after("build-infra", halt=True) == "build-infra"


def test_check_mode_never_advances():
    assert phases.start_phase_after("build-infra", check_mode=True) is None
    assert phases.start_phase_after("deploy-services", check_mode=True, destroy=True) is None


def test_all_runs_from_start_to_end():
    assert phases.phases_from("build-images") == [
        "build-images", "build-volumes", "build-networks", "deploy-services", "initialize-services"]
    assert phases.phases_from("build-infra") == [p.name for p in phases.PHASES]
    assert phases.phases_from("initialize-services") == ["initialize-services"]
