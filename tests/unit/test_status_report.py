"""`hive status`, the pure part (render/site_status.py): the script each server runs, the parsers
of its answer (real `docker node ls` / `service ls` / `service ps` / `ip -j addr` output shapes),
the text report and the JSON document."""

import json
import subprocess

from hive_builder.cli import volume_status as vs
from hive_builder.render import site_status as st

SERVERS = ["p-hive0.x", "p-hive1.x", "p-hive2.x", "p-hive3.x"]
HIVES = SERVERS[:3]

# `docker node ls --format '{{json .}}'` on p-hive0 (engine 24.0.7), p-hive2 powered off
NODES = """\
{"Availability":"Active","EngineVersion":"24.0.7","Hostname":"p-hive0","ID":"x8kq3n0ld2b1v5mz9t7r4c6e1","ManagerStatus":"Leader","Self":true,"Status":"Ready","TLSStatus":"Ready"}
{"Availability":"Active","EngineVersion":"24.0.7","Hostname":"p-hive1","ID":"m3c9wq2e8r1t6y5u4i7o0p2a1","ManagerStatus":"Reachable","Self":false,"Status":"Ready","TLSStatus":"Ready"}
{"Availability":"Active","EngineVersion":"24.0.7","Hostname":"p-hive2","ID":"d5f7g9h1j3k5l7z9x1c3v5b7n","ManagerStatus":"Unreachable","Self":false,"Status":"Down","TLSStatus":"Ready"}
"""
# `docker service ls --format '{{json .}}'`
SERVICES = """\
{"ID":"k1v0q2yq9m3z","Image":"p-hive3.x:5000/image_web:latest","Mode":"replicated","Name":"web","Ports":"*:80->80/tcp","Replicas":"2/3"}
{"ID":"9sd8f7g6h5j4","Image":"p-hive3.x:5000/image_db:latest","Mode":"replicated","Name":"db","Ports":"*:61001->5432/tcp","Replicas":"1/1 (max 1 per node)"}
{"ID":"a1s2d3f4g5h6","Image":"p-hive3.x:5000/image_web-agent:latest","Mode":"global","Name":"web-agent","Ports":"","Replicas":"2/2"}
"""
# `docker service ps --no-trunc --filter desired-state=running --format '{{json .}}' <ids>`
TASKS = """\
{"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"q1w2e3r4t5y6u7i8o9p0a1s2d","Image":"p-hive3.x:5000/image_web:latest@sha256:4f1e","Name":"web.1","Node":"p-hive0","Ports":""}
{"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"f3g4h5j6k7l8z9x0c1v2b3n4m","Image":"p-hive3.x:5000/image_web:latest@sha256:4f1e","Name":"web.2","Node":"p-hive1","Ports":""}
{"CurrentState":"Pending 3 minutes ago","DesiredState":"Running","Error":"\\"no suitable node (max replicas per node limit exceed)\\"","ID":"z9x8c7v6b5n4m3l2k1j0h9g8f","Image":"p-hive3.x:5000/image_web:latest@sha256:4f1e","Name":"web.3","Node":"","Ports":""}
{"CurrentState":"Running 3 minutes ago","DesiredState":"Running","Error":"","ID":"p0o9i8u7y6t5r4e3w2q1a2s3d","Image":"p-hive3.x:5000/image_db:latest@sha256:9a0b","Name":"db.1","Node":"p-hive1","Ports":""}
{"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"l1k2j3h4g5f6d7s8a9p0o1i2u","Image":"p-hive3.x:5000/image_web-agent:latest@sha256:77c1","Name":"web-agent.x8kq3n0ld2b1v5mz9t7r4c6e1","Node":"p-hive0","Ports":""}
{"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"y1t2r3e4w5q6a7s8d9f0g1h2j","Image":"p-hive3.x:5000/image_web-agent:latest@sha256:77c1","Name":"web-agent.m3c9wq2e8r1t6y5u4i7o0p2a1","Node":"p-hive1","Ports":""}
"""
# service inspect with SERVICE_LABELS_FORMAT
SERVICE_LABELS = """\
{"ID":"k1v0q2yq9m3z","Spec":{"Name":"web","Labels":{"HIVE_VIP":"10.233.40.100","HIVE_ROUTER":"10.233.40.1"}}}
{"ID":"9sd8f7g6h5j4","Spec":{"Name":"db","Labels":{"HIVE_MARK":"db-node","HIVE_VIP0":"10.233.40.101/24@eth0"}}}
{"ID":"a1s2d3f4g5h6","Spec":{"Name":"web-agent","Labels":null}}
"""
# node inspect with NODE_LABELS_FORMAT (role labels set by the swarm role, marks by the daemon)
NODE_LABELS = """\
{"Hostname":"p-hive0","Labels":{"hives":"true","first_hive":"true","private":"true"}}
{"Hostname":"p-hive1","Labels":{"hives":"true","private":"true","db-node":"true"}}
{"Hostname":"p-hive2","Labels":{"hives":"true","private":"true"}}
"""


def ip_json(ifname_addrs):
    """`ip -j addr show` of a node container: lo plus eth0 with the given addresses."""
    lo = {"ifindex": 1, "ifname": "lo", "flags": ["LOOPBACK", "UP", "LOWER_UP"], "mtu": 65536,
          "operstate": "UNKNOWN", "link_type": "loopback",
          "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host",
                         "label": "lo", "valid_life_time": 4294967295}]}
    eth = {"ifindex": 7, "link_index": 8, "ifname": "eth0", "mtu": 1500, "operstate": "UP",
           "link_type": "ether", "address": "02:42:0a:e9:28:04",
           "addr_info": [dict({"family": "inet", "local": a, "prefixlen": 24, "scope": "global",
                               "label": "eth0"}, **({"secondary": True} if i else {}))
                         for i, a in enumerate(ifname_addrs)]}
    return json.dumps([lo, eth])


def answer_text(sections: dict, *, end=True):
    out = [f"{st.MARK} begin"]
    for name, (text, rc) in sections.items():
        out.append(f"{st.MARK} {name}")
        out += text.splitlines()
        out.append(f"{st.MARK} rc {rc}")
    if end:
        out.append(f"{st.MARK} end")
    return "\n".join(out) + "\n"


def swarm_sections(nodes=NODES, services=SERVICES, tasks=TASKS, service_labels=SERVICE_LABELS,
                   node_labels=NODE_LABELS):
    return {"nodes": (nodes, 0), "node-labels": (node_labels, 0), "services": (services, 0),
            "service-labels": (service_labels, 0), "tasks": (tasks, 0)}


# ---- the script ----------------------------------------------------------------------------------

def test_script_sections_follow_the_role_of_the_server():
    hive = st.host_script(addresses=True, swarm=True)
    assert "ip -j addr show 2>&1; rc=$?; echo" in hive and "$D node ls --format '{{json .}}'" in hive
    assert "curl" not in hive and "drbdadm" not in hive
    repo = st.host_script(registry_url="https://p-hive3.x:5000/v2/")
    assert "docker" not in repo and "ip -j" not in repo
    assert "curl -sk -o /dev/null -w '%{http_code}\\n' --max-time 5 https://p-hive3.x:5000/v2/" in repo
    drbd = st.host_script(addresses=True, drbd_command=vs.status_command(["db_data"]))
    assert "drbdadm status all" in drbd and "docker" not in drbd


def test_script_only_reads():
    script = st.host_script(addresses=True, swarm=True, registry_url="https://r:5000/v2/",
                            drbd_command=vs.status_command(["v"]))
    for verb in ("update", " rm ", "create", "label-add", "addr add", "addr del", ">", "tee"):
        assert verb not in script.replace("2>&1", "").replace(">/dev/null", "").replace(
            "->", ""), verb


def test_script_runs_under_sh_with_stub_commands(tmp_path):
    """The real script, run by sh with stand-in docker/ip/curl/sudo: its answer parses back."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    data = tmp_path / "data"
    data.mkdir()
    for name, text in {"nodes": NODES, "services": SERVICES, "tasks": TASKS,
                       "service-labels": SERVICE_LABELS, "node-labels": NODE_LABELS,
                       "ip": ip_json(["10.233.40.4", "10.233.40.100"])}.items():
        (data / name).write_text(text)
    stubs = {
        "sudo": '[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; exec "$@"',
        "docker": f"""D={data}
case "$1 $2 $3" in
  "node ls -q") echo x8kq3n0ld2b1v5mz9t7r4c6e1; echo m3c9wq2e8r1t6y5u4i7o0p2a1 ;;
  "node ls "*) cat $D/nodes ;;
  "node inspect "*) [ "$#" -eq 6 ] || {{ echo "bad args: $*" >&2; exit 1; }}; cat $D/node-labels ;;
  "service ls -q") echo k1v0q2yq9m3z; echo 9sd8f7g6h5j4; echo a1s2d3f4g5h6 ;;
  "service ls "*) cat $D/services ;;
  "service inspect "*) [ "$#" -eq 7 ] || {{ echo "bad args: $*" >&2; exit 1; }}; cat $D/service-labels ;;
  "service ps "*) [ "$#" -eq 10 ] || {{ echo "bad args: $*" >&2; exit 1; }}; cat $D/tasks ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac""",
        "ip": f'[ "$*" = "-j addr show" ] && cat {data}/ip',
        "curl": 'echo 401',
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body + "\n")
        (bin_dir / name).chmod(0o755)
    script = st.host_script(addresses=True, swarm=True, registry_url="https://p-hive3.x:5000/v2/")
    proc = subprocess.run(["sh", "-c", st.remote_command(script)], capture_output=True, text=True,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, timeout=30)
    answer = st.parse_answer(proc.returncode, proc.stdout, proc.stderr)
    assert answer.complete and answer.unreachable is None, proc.stdout
    assert {n: s.rc for n, s in answer.sections.items()} == {
        "addresses": 0, "registry": 0, "nodes": 0, "node-labels": 0, "services": 0,
        "service-labels": 0, "tasks": 0}
    assert len(st.json_lines(answer.sections["tasks"])) == 6
    assert st.parse_registry("p-hive3.x", "u", answer).http_code == 401


# ---- parsing -------------------------------------------------------------------------------------

def test_answer_without_begin_or_ssh_failure_is_unreachable():
    a = st.parse_answer(255, "", "ssh: connect to host 10.233.40.6 port 22: Connection timed out\n")
    assert a.unreachable == "ssh: connect to host 10.233.40.6 port 22: Connection timed out"
    assert st.parse_answer(0, "motd noise\n").unreachable == "exit code 0"


def test_sections_keep_their_exit_code_and_error_message():
    text = answer_text({"nodes": ("Error response from daemon: This node is not a swarm manager. "
                                  "Use \"docker swarm init\" or \"docker swarm join\" to connect "
                                  "this node to swarm and try again.", 1)}, end=False)
    a = st.parse_answer(0, text)
    assert not a.complete and not a.sections["nodes"].ok
    assert a.sections["nodes"].error().startswith("exit 1: Error response from daemon: This node is "
                                                  "not a swarm manager.")
    assert st.json_lines(a.sections["nodes"]) == []


def test_nodes_map_to_inventory_servers_and_down_node_is_not_ok():
    nodes = st.parse_nodes(st.Section(NODES.splitlines(), 0), SERVERS)
    assert [(n.hostname, n.server, n.ok) for n in nodes] == [
        ("p-hive0", "p-hive0.x", True), ("p-hive1", "p-hive1.x", True), ("p-hive2", "p-hive2.x", False)]
    assert nodes[0].manager_status == "Leader" and nodes[0].engine_version == "24.0.7"


def test_replicas_forms():
    assert st.parse_replicas("2/3") == (2, 3)
    assert st.parse_replicas("1/1 (max 1 per node)") == (1, 1)
    assert st.parse_replicas("0/1 (1/1 completed)") == (0, 1)
    assert st.parse_replicas("") == (None, None)


def test_services_tasks_and_nodes():
    services = st.parse_services(st.Section(SERVICES.splitlines(), 0),
                                 st.Section(TASKS.splitlines(), 0), ["web", "db", "api"])
    by = {s.name: s for s in services}
    assert [s.name for s in services] == ["api", "db", "web", "web-agent"]
    assert not by["api"].deployed and not by["api"].ok
    web = by["web"]
    assert (web.running, web.desired, web.ok) == (2, 3, False)
    assert web.nodes == ["p-hive0", "p-hive1"]
    assert [t.name for t in web.tasks] == ["web.1", "web.2", "web.3"]   # not web-agent's
    assert web.tasks[2].error == "no suitable node (max replicas per node limit exceed)"
    assert by["db"].ok and by["db"].nodes == ["p-hive1"]
    assert by["web-agent"].mode == "global" and by["web-agent"].nodes == ["p-hive0", "p-hive1"]


def test_vips_are_found_on_the_hive_holding_the_address():
    answers = {
        "p-hive0.x": st.parse_answer(0, answer_text({"addresses": (ip_json(["10.233.40.4"]), 0)})),
        "p-hive1.x": st.parse_answer(0, answer_text({"addresses": (
            ip_json(["10.233.40.5", "10.233.40.100", "10.233.40.101"]), 0)})),
        "p-hive2.x": st.Answer(unreachable="Connection timed out"),
    }
    vips = st.parse_vips(st.Section(SERVICE_LABELS.splitlines(), 0), answers)
    assert [(v.service, v.label, v.value, v.holders, v.unknown, v.ok) for v in vips] == [
        ("web", "HIVE_VIP", "10.233.40.100", ["p-hive1.x"], ["p-hive2.x"], True),
        ("db", "HIVE_VIP0", "10.233.40.101/24@eth0", ["p-hive1.x"], ["p-hive2.x"], True)]


def test_vip_held_twice_or_nowhere_or_invalid():
    labels = st.Section(['{"ID":"1","Spec":{"Name":"a","Labels":{"HIVE_VIP":"10.0.0.9"}}}',
                         '{"ID":"2","Spec":{"Name":"b","Labels":{"HIVE_VIP":"10.0.0.8"}}}',
                         '{"ID":"3","Spec":{"Name":"c","Labels":{"HIVE_VIP_V6":"10.0.0.7"}}}'], 0)
    both = {h: st.parse_answer(0, answer_text({"addresses": (ip_json(["10.0.0.2", "10.0.0.9"]), 0)}))
            for h in ("h0", "h1")}
    a, b, c = st.parse_vips(labels, both)
    assert a.holders == ["h0", "h1"] and not a.ok
    assert b.holders == [] and not b.ok
    assert c.label == "HIVE_VIP_V6" and "IPv6" in c.error and not c.ok


def test_marks_from_node_labels():
    marks = st.parse_marks(st.Section(SERVICE_LABELS.splitlines(), 0),
                           st.Section(NODE_LABELS.splitlines(), 0), SERVERS)
    assert [(m.service, m.mark, m.holders, m.ok) for m in marks] == [("db", "db-node", ["p-hive1.x"], True)]


def test_registry_answers():
    def reg(text, rc):
        return st.parse_registry("r", "u", st.parse_answer(0, answer_text({"registry": (text, rc)})))
    assert reg("401", 0).answering and reg("200", 0).answering
    assert not reg("000", 7).answering and reg("000", 7).error == "no answer (curl exit 7)"
    assert reg("503", 0).http_code == 503 and not reg("503", 0).answering
    assert "not installed" in reg("sh: 1: curl: not found", 127).error
    assert st.parse_registry("r", "u", st.Answer(unreachable="x")).error == "r is unreachable"


# ---- report --------------------------------------------------------------------------------------

def sample_status(*, down=True, swarm_skipped=()):
    answers = {"p-hive0.x": st.parse_answer(0, answer_text({
        "addresses": (ip_json(["10.233.40.4"]), 0), **swarm_sections()})),
        "p-hive1.x": st.parse_answer(0, answer_text({"addresses": (
            ip_json(["10.233.40.5", "10.233.40.100", "10.233.40.101"]), 0)})),
        "p-hive2.x": st.Answer(unreachable="ssh: connect to host 10.233.40.6 port 22: "
                                           "Connection timed out") if down else
        st.parse_answer(0, answer_text({"addresses": (ip_json(["10.233.40.6"]), 0)})),
        "p-hive3.x": st.parse_answer(0, answer_text({"registry": ("401", 0)}))}
    servers = [st.ServerStatus(h, ["hive"] if h in HIVES else ["repository"],
                               not answers[h].unreachable, answers[h].unreachable) for h in SERVERS]
    return st.assemble(stage="private", provider="docker", start_phase="build-infra",
                       servers=servers, answers=answers, hives=HIVES, swarm_host="p-hive0.x",
                       swarm_error=None, swarm_skipped=swarm_skipped,
                       expected_services=["db", "web", "web-agent"],
                       registry=st.parse_registry("p-hive3.x", "https://p-hive3.x:5000/v2/",
                                                  answers["p-hive3.x"]),
                       volumes=st.VolumesStatus("emulated", ["db_data"]))


def test_text_report_of_a_half_stopped_site():
    text = st.render_text(sample_status())
    print(text)
    lines = text.splitlines()
    assert lines[0] == "stage private  provider docker  start_phase build-infra"
    assert "  ✗ p-hive2.x  hive        unreachable: ssh: connect to host 10.233.40.6 port 22: " \
           "Connection timed out" in lines
    assert "  ✓ p-hive3.x  repository  reachable" in lines
    assert "  ✗ p-hive2  Down    Active        Unreachable  24.0.7" in lines
    assert "  ✗ web        replicated  2/3                   p-hive0, p-hive1" in lines
    assert "  ✓ db         replicated  1/1 (max 1 per node)  p-hive1" in lines
    assert "      web.3 on (no node): Pending 3 minutes ago: no suitable node (max replicas per node " \
           "limit exceed)" in lines
    assert "  ✓ web      HIVE_VIP   10.233.40.100          p-hive1.x" in lines
    assert "  ✓ db       HIVE_MARK  db-node                p-hive1.x" in lines
    assert "  ✓ https://p-hive3.x:5000/v2/ answering (HTTP 401)" in lines
    assert "    DRBD emulated on this provider (shared storage, no replication): db_data" in lines
    assert lines[lines.index("PROBLEMS") + 1:] == [
        "  ✗ p-hive2.x is unreachable: ssh: connect to host 10.233.40.6 port 22: Connection timed out",
        "  ✗ swarm node p-hive2 is Down (manager Unreachable)",
        "  ✗ service web: 2/3 tasks running; web.3: no suitable node (max replicas per node limit exceed)"]


def test_columns_are_aligned():
    lines = st.render_text(sample_status()).splitlines()
    start = lines.index("SERVICES") + 1
    table = lines[start:start + 4]
    column = table[0].index("MODE")
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in table)


def test_json_document_has_stable_keys():
    doc = st.to_json(sample_status())
    json.dumps(doc)          # serialisable
    assert list(doc) == ["stage", "built", "provider", "start_phase", "healthy", "problems",
                         "servers", "swarm", "services", "vips", "marks", "registry", "volumes"]
    assert doc["built"] is True and doc["healthy"] is False and len(doc["problems"]) == 3
    assert doc["servers"][2] == {"name": "p-hive2.x", "roles": ["hive"], "reachable": False,
                                 "error": "ssh: connect to host 10.233.40.6 port 22: Connection timed out"}
    assert doc["swarm"]["queried_on"] == "p-hive0.x" and doc["swarm"]["missing_nodes"] == []
    assert list(doc["swarm"]) == ["queried_on", "error", "skipped", "nodes", "missing_nodes"]
    assert doc["swarm"]["skipped"] == []
    assert doc["swarm"]["nodes"][2] == {"hostname": "p-hive2", "server": "p-hive2.x", "status": "Down",
                                        "availability": "Active", "manager_status": "Unreachable",
                                        "engine_version": "24.0.7", "ok": False}
    web = next(s for s in doc["services"] if s["name"] == "web")
    assert (web["running"], web["desired"], web["nodes"], web["ok"]) == (2, 3, ["p-hive0", "p-hive1"], False)
    assert set(web["tasks"][0]) == {"name", "node", "state", "desired_state", "error"}
    assert doc["vips"][0] == {"service": "web", "label": "HIVE_VIP", "value": "10.233.40.100",
                              "holders": ["p-hive1.x"], "unknown": ["p-hive2.x"], "error": None, "ok": True}
    assert doc["marks"] == [{"service": "db", "mark": "db-node", "holders": ["p-hive1.x"], "ok": True}]
    assert doc["registry"] == {"server": "p-hive3.x", "url": "https://p-hive3.x:5000/v2/",
                               "answering": True, "http_code": 401, "error": None}
    assert doc["volumes"] == {"mode": "emulated", "names": ["db_data"], "hosts": {}, "healthy": None,
                              "incomplete": []}


def test_report_says_why_hives_before_the_swarm_host_were_skipped():
    why = ["p-hive9.x unreachable",
           "p-hive8.x: docker node ls: exit 1: Error response from daemon: rpc error: code = "
           "Unknown desc = The swarm does not have a leader."]
    status = sample_status(swarm_skipped=why)
    lines = st.render_text(status).splitlines()
    at = lines.index("SWARM NODES (as p-hive0.x sees them)")
    assert lines[at + 1:at + 3] == [f"    skipped: {w}" for w in why]
    assert lines[at + 3].split() == ["NODE", "STATUS", "AVAILABILITY", "MANAGER", "ENGINE"]
    assert st.to_json(status)["swarm"]["skipped"] == why
    assert not any("p-hive9.x" in p or "p-hive8.x" in p for p in status.problems())


def test_healthy_site_has_no_problems():
    ready = NODES.replace('"ManagerStatus":"Unreachable","Self":false,"Status":"Down"',
                          '"ManagerStatus":"Reachable","Self":false,"Status":"Ready"')
    answers = {h: st.parse_answer(0, answer_text({"addresses": (ip_json([ip]), 0)}))
               for h, ip in zip(HIVES, ["10.233.40.4", "10.233.40.5", "10.233.40.6"])}
    answers["p-hive0.x"] = st.parse_answer(0, answer_text({
        "addresses": (ip_json(["10.233.40.4", "10.233.40.100", "10.233.40.101"]), 0),
        **swarm_sections(nodes=ready, services=SERVICES.replace("2/3", "3/3"),
                         node_labels=NODE_LABELS)}))
    servers = [st.ServerStatus(h, ["hive"], True) for h in HIVES]
    status = st.assemble(stage="private", provider="prepared", start_phase="build-infra",
                         servers=servers, answers=answers, hives=HIVES, swarm_host="p-hive0.x",
                         swarm_error=None, expected_services=["web"], registry=None,
                         volumes=st.VolumesStatus("none"))
    assert status.problems() == [] and status.healthy
    assert st.render_text(status).rstrip().endswith("✓ healthy")


def test_not_built():
    assert st.not_built_text("private") == "stage private is not built (run `hive build-infra`)\n"
    assert st.not_built_json("private") == {"stage": "private", "built": False}
