"""Pure text of the progress output (execution/progress_format.py) and the log rotation helper."""

from hive_builder.execution import progress_format as fmt
from hive_builder.execution.ansible import rotate_log


def test_format_duration():
    assert fmt.format_duration(0) == "0.0s"
    assert fmt.format_duration(4.24) == "4.2s"
    assert fmt.format_duration(42.4) == "42s"
    assert fmt.format_duration(187) == "3m07s"
    assert fmt.format_duration(3720) == "1h02m"
    assert fmt.format_duration(-1) == "0.0s"


def test_counts_text_ok_always_others_when_not_zero():
    assert fmt.counts_text(fmt.Counts()) == "ok=0"
    assert fmt.counts_text(fmt.Counts(ok=36, changed=3)) == "ok=36 changed=3"
    assert fmt.counts_text(fmt.Counts(ok=1, failed=1, unreachable=2, skipped=4)) == \
        "ok=1 failed=1 unreachable=2 skipped=4"


def test_total_sums_hosts():
    c = fmt.total([fmt.Counts(ok=2, changed=1), fmt.Counts(ok=3, failed=1)])
    assert (c.ok, c.changed, c.failed) == (5, 1, 1) and c.bad


def test_step_line():
    line = fmt.step_line("docker", 12, fmt.Counts(ok=36, changed=3), 4.2)
    assert line == "  \u2713 docker (12 tasks)  ok=36 changed=3  4.2s"
    assert fmt.step_line("base", 1, fmt.Counts(failed=1), 0.3, failed=True) == \
        "  \u2717 base (1 task)  ok=0 failed=1  0.3s"


def test_color_only_when_enabled():
    plain = fmt.step_line("docker", 2, fmt.Counts(ok=2, changed=1), 1)
    colored = fmt.step_line("docker", 2, fmt.Counts(ok=2, changed=1), 1, color=True)
    assert "\033[" not in plain and "\033[32m\u2713\033[0m" in colored
    assert fmt.use_color(True, {}) and not fmt.use_color(False, {})
    assert not fmt.use_color(True, {"NO_COLOR": ""}) and not fmt.use_color(True, {"TERM": "dumb"})
    assert not fmt.live_enabled(True, {"NO_COLOR": "1"})


def test_host_count_lines_aligned_and_marked():
    lines = fmt.host_count_lines({"p-hive1": fmt.Counts(ok=3), "p-hive0": fmt.Counts(ok=1, failed=1),
                                  "p-repository": fmt.Counts(unreachable=1)})
    assert lines == ["      \u2717 p-hive0       ok=1 failed=1",
                     "      \u2713 p-hive1       ok=3",
                     "      \u2717 p-repository  ok=0 unreachable=1"]
    assert fmt.recap_lines({"h": fmt.Counts(ok=1)}) == ["recap:", "  \u2713 h  ok=1"]


def test_failure_text_is_readable():
    result = {"msg": "non-zero return code", "rc": 3, "cmd": ["apt-get", "install", "x"],
              "stderr": "E: Unable to locate package x", "stdout": "\n".join(f"line {i}" for i in range(30)),
              "stderr_lines": ["E: Unable to locate package x"], "changed": True}
    text = fmt.failure_text("p-hive0", "install packages", "docker", result)
    lines = text.splitlines()
    assert lines[0] == "  \u2717 FAILED: p-hive0  task: docker : install packages"
    assert "      msg: non-zero return code" in lines
    assert "      rc: 3" in lines
    assert "      cmd: apt-get install x" in lines
    assert "      stderr: E: Unable to locate package x" in lines
    assert "      stdout (last 20 of 30 lines):" in lines
    assert "        line 29" in lines and "        line 9" not in lines
    assert "{" not in text   # not a JSON dump


def test_failure_text_unreachable_and_loop_items_and_empty():
    text = fmt.failure_text("p-hive1", "Gathering Facts", None,
                            {"msg": "Failed to connect to the host via ssh: timed out"}, unreachable=True)
    assert text.splitlines() == ["  \u2717 UNREACHABLE: p-hive1  task: Gathering Facts",
                                 "      msg: Failed to connect to the host via ssh: timed out"]
    loop = {"msg": "One or more items failed", "results": [
        {"item": "a", "failed": False}, {"item": "b", "failed": True, "msg": "boom", "rc": 1}]}
    lines = fmt.failure_text("h", "t", "r", loop).splitlines()
    assert "      item 'b':" in lines and "        msg: boom" in lines and "        rc: 1" in lines
    assert "item 'a'" not in "\n".join(lines)
    assert "(no message" in fmt.failure_text("h", "t", None, {})
    multi = fmt.failure_text("h", "t", None, {"module_stderr": "Traceback\n  File x\nValueError: y"})
    assert "      module stderr:" in multi.splitlines() and "        ValueError: y" in multi.splitlines()


def test_task_label():
    assert fmt.task_label("install", "docker") == "docker : install"
    assert fmt.task_label("docker : install", "docker") == "docker : install"
    assert fmt.task_label("install", None) == "install"


def test_note_lines_dedupe_per_text():
    notes = [("note", "h0", "DRBD is emulated"), ("note", "h1", "DRBD is emulated"),
             ("warning", "h0", "size not applied\nsecond line")]
    assert fmt.note_lines(notes) == ["      \u00b7 DRBD is emulated (2 hosts)",
                                     "      ! size not applied", "        second line"]


def test_live_text_fits_the_terminal():
    assert fmt.live_text("docker : install", 3, 100) == "  \u2026 docker : install  3.0s"
    cut = fmt.live_text("x" * 200, 3, 40)
    assert len(cut) == 39 and cut.endswith("\u2026")


def test_phase_table():
    table = fmt.phase_table([("build-infra", True, 65.0), ("setup-hosts", False, 12.5),
                             ("build-images", None, None)], 80.2)
    assert table.splitlines() == [
        "  phase             duration",
        "  build-infra   \u2713   1m05s",
        "  setup-hosts   \u2717   12s",
        "  build-images  -   not run",
        "  total             1m20s",
    ]


def test_phase_table_marks_skipped_phases():
    table = fmt.phase_table([("build-infra", True, 5.0), ("setup-hosts", True, 0.4)], 5.4,
                            skipped={"setup-hosts"})
    assert table.splitlines()[1:3] == ["  build-infra  \u2713   5.0s",
                                       "  setup-hosts  \u2713   unchanged, skipped (0.4s)"]


def test_rotate_log_keeps_three(tmp_path):
    log = tmp_path / "hive.log"
    assert not rotate_log(log, max_bytes=10)   # no log yet
    log.write_text("small")
    assert not rotate_log(log, max_bytes=10) and log.read_text() == "small"
    for n in range(5):
        log.write_text(f"run {n} " + "x" * 20)
        assert rotate_log(log, max_bytes=10)
        assert not log.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hive.log.1", "hive.log.2", "hive.log.3"]
    assert (tmp_path / "hive.log.1").read_text().startswith("run 4")
    assert (tmp_path / "hive.log.3").read_text().startswith("run 2")
