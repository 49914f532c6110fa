from hive_builder.render.swarm_labels import MANAGED_KEY, label_changes, node_update_args

COMBINED = ["first_hive", "hives", "hosts", "private", "repository", "servers"]


def test_fresh_node_gets_one_label_per_group():
    args = node_update_args({}, COMBINED)
    adds = [args[i + 1] for i in range(0, len(args), 2) if args[i] == "--label-add"]
    assert [a for a in adds if not a.startswith(MANAGED_KEY)] == [f"{g}=true" for g in COMBINED]
    assert f"{MANAGED_KEY}={','.join(COMBINED)}" in adds


def test_up_to_date_node_needs_no_update():
    current = {g: "true" for g in COMBINED} | {MANAGED_KEY: ",".join(COMBINED)}
    assert node_update_args(current, COMBINED) == []


def test_stale_group_label_is_removed_but_foreign_labels_stay():
    current = {"hives": "true", "repository": "true", "zabbix": "true", "proxy_config": "true",
               MANAGED_KEY: "hives,repository"}
    changes = label_changes(current, ["hives"], known_groups=["hives", "repository", "all"])
    assert changes["remove"] == ["repository"]
    assert changes["add"] == {MANAGED_KEY: "hives"}


def test_label_of_a_known_group_is_removed_even_without_bookkeeping():
    changes = label_changes({"servers": "true", "drbd": "true"}, ["hives"], known_groups=["servers"])
    assert changes["remove"] == ["servers"]


def test_wrong_value_is_corrected_and_all_is_ignored():
    changes = label_changes({"hives": "false"}, ["hives", "all", "ungrouped"])
    assert changes["add"]["hives"] == "true"
    assert "all" not in changes["add"]
