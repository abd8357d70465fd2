"""Three atolld processes form one cluster by themselves (--seeds: the controller voters,
id@host:port of each internal RPC): every node registers with the controller and lists
all three brokers; a topic with three replicas is placed on all of them, replicated
(acks=all) to every node's disk, and served through a leader's SIGKILL by the two
nodes left. A replication factor above the node count is refused as Kafka refuses it,
and a node that is not a seed says why it cannot start."""

import signal
import time

import kafka_wire as kw
import pytest

from conftest import HOST, free_port
from test_clients import run_python_client
from test_consumer_groups import wait_until
from test_idempotence import init_producer_id

NODES = (1, 2, 3)
TOPIC = "replicated"
SETTLE_S = 30.0

DESCRIBE = """
    import json, sys
    from confluent_kafka.admin import AdminClient
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    md = a.list_topics(timeout=10)
    print(json.dumps({
        "brokers": sorted(md.brokers),
        "cluster_id": md.cluster_id,
        "controller": md.controller_id,
        "topics": {name: {str(p.id): {"leader": p.leader, "replicas": sorted(p.replicas),
                                      "error": p.error.code() if p.error else 0}
                          for p in t.partitions.values()}
                   for name, t in md.topics.items()}}))
"""

CREATE = """
    import json, sys
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    out = {}
    for name, partitions, rf in json.loads(sys.argv[2]):
        f = a.create_topics([NewTopic(name, partitions, rf)], operation_timeout=10)[name]
        try:
            f.result(20)
            out[name] = "ok"
        except Exception as e:
            out[name] = e.args[0].name()
    print(json.dumps(out))
"""

DELETE = """
    import json, sys
    from confluent_kafka.admin import AdminClient
    a = AdminClient({"bootstrap.servers": sys.argv[1]})
    a.delete_topics([sys.argv[2]], operation_timeout=10)[sys.argv[2]].result(20)
    print(json.dumps("ok"))
"""

PRODUCE = """
    import json, sys
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": sys.argv[1], "acks": "all",
                  "message.timeout.ms": 20000})
    errors = []
    for i in range(int(sys.argv[3]), int(sys.argv[4])):
        p.produce(sys.argv[2], value=str(i).encode(), partition=i % 3,
                  on_delivery=lambda e, m: e and errors.append(e.name()))
    left = p.flush(30)
    print(json.dumps({"errors": errors, "left": left}))
"""

CONSUME = """
    import json, sys
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "reader",
                  "enable.partition.eof": True, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(sys.argv[2], p, 0) for p in range(3)])
    seen, ends = [], set()
    while len(ends) < 3:
        m = c.poll(20)
        if m is None:
            break
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                ends.add(m.partition())
            continue
        seen.append(int(m.value()))
    c.close()
    print(json.dumps(sorted(seen)))
"""


def describe(bootstrap):
    return run_python_client(DESCRIBE, bootstrap)


@pytest.fixture
def cluster(launcher):
    rpc = {n: free_port() for n in NODES}
    seeds = ",".join(f"{n}@{HOST}:{rpc[n]}" for n in NODES)
    brokers = {n: launcher.start("--rpc-addr", f"{HOST}:{rpc[n]}", "--seeds", seeds,
                                 node_id=n)
               for n in NODES}
    # Every node lists every node once they have all registered (the
    # cluster's id is in the log by then).
    for b in brokers.values():
        wait_until(lambda b=b: describe(b.bootstrap)["brokers"] == list(NODES),
                   f"node {b.node_id} listing three brokers", SETTLE_S)
    return brokers, seeds


def test_three_nodes_form_a_cluster_replicate_and_survive_a_leaders_kill(cluster):
    brokers, _ = cluster
    everyone = ",".join(b.bootstrap for b in brokers.values())
    # One cluster, one id, whichever node is asked.
    ids = {describe(b.bootstrap)["cluster_id"] for b in brokers.values()}
    assert len(ids) == 1, ids
    created = run_python_client(CREATE, everyone, f'[["{TOPIC}", 3, 3], ["too-many", 1, 4]]')
    assert created == {TOPIC: "ok", "too-many": "INVALID_REPLICATION_FACTOR"}

    def placed():
        md = describe(everyone)["topics"].get(TOPIC)
        return md if md and all(p["leader"] in NODES for p in md.values()) else None
    md = wait_until(placed, "leaders for every partition", SETTLE_S)
    assert all(p["replicas"] == list(NODES) for p in md.values()), md

    sent = run_python_client(PRODUCE, everyone, TOPIC, "0", "90")
    assert sent == {"errors": [], "left": 0}
    assert run_python_client(CONSUME, everyone, TOPIC) == list(range(90))
    # acks=all: every replica holds the records on its own disk.
    for b in brokers.values():
        for p in range(3):
            log_dir = b.workdir / "data" / "kafka" / f"{TOPIC}-{p}"
            size = sum(f.stat().st_size for f in log_dir.glob("*.log"))
            assert size > 0, f"node {b.node_id} holds nothing of partition {p}"

    victim = brokers[md["0"]["leader"]]
    victim.stop(signal.SIGKILL)
    left = ",".join(b.bootstrap for b in brokers.values() if b is not victim)

    def new_leader():
        p0 = describe(left)["topics"][TOPIC]["0"]
        return p0["leader"] not in (-1, victim.node_id) and p0
    wait_until(new_leader, "a new leader of partition 0", SETTLE_S)
    sent = run_python_client(PRODUCE, left, TOPIC, "90", "120")
    assert sent == {"errors": [], "left": 0}
    assert run_python_client(CONSUME, left, TOPIC) == list(range(120))


def test_a_node_that_does_not_lead_the_controller_hands_it_what_it_is_asked(cluster):
    brokers, _ = cluster
    everyone = ",".join(b.bootstrap for b in brokers.values())
    controller = wait_until(
        lambda: describe(everyone)["controller"] in NODES and describe(everyone)["controller"],
        "a controller", SETTLE_S)
    followers = [b for n, b in brokers.items() if n != controller]
    # Producer ids from every node, two of them asking the controller for
    # blocks: all different.
    ids = []
    for b in brokers.values():
        with b.connect() as conn:
            ids += [init_producer_id(conn), init_producer_id(conn)]
    assert len(set(ids)) == len(ids), ids
    # A topic made through a follower: CreateTopics and auto-creation.
    created = run_python_client(CREATE, followers[0].bootstrap, '[["via-follower", 2, 3]]')
    assert created == {"via-follower": "ok"}
    with followers[1].connect() as conn:
        conn.call(kw.METADATA, 9, {"topics": [{"name": "auto-made"}],
                                   "allow_auto_topic_creation": True})

    def everywhere():
        return all({"via-follower", "auto-made"} <= describe(b.bootstrap)["topics"].keys()
                   for b in brokers.values())
    wait_until(everywhere, "both topics on every node", SETTLE_S)


def test_every_node_knows_the_leaders_of_partitions_it_holds_no_replica_of(cluster):
    brokers, _ = cluster
    everyone = ",".join(b.bootstrap for b in brokers.values())
    assert run_python_client(CREATE, everyone, '[["spread", 3, 1]]') == {"spread": "ok"}

    def led_everywhere():
        views = [describe(b.bootstrap)["topics"].get("spread") for b in brokers.values()]
        return all(v and all(p["leader"] in NODES for p in v.values()) for v in views) \
            and views
    views = wait_until(led_everywhere, "every node knowing every leader", SETTLE_S)
    # One replica each, on three different nodes, and every node says the same.
    assert sorted(p["replicas"][0] for p in views[0].values()) == list(NODES), views
    assert all(v == views[0] for v in views), views
    sent = run_python_client(PRODUCE, everyone, "spread", "0", "30")
    assert sent == {"errors": [], "left": 0}
    assert run_python_client(CONSUME, everyone, "spread") == list(range(30))
    # Deleted and made again: no node keeps naming the old leaders.
    run_python_client(DELETE, everyone, "spread")
    wait_until(lambda: all("spread" not in describe(b.bootstrap)["topics"]
                           for b in brokers.values()), "the topic gone everywhere", SETTLE_S)
    assert run_python_client(CREATE, everyone, '[["spread", 3, 1]]') == {"spread": "ok"}

    def own_leaders_everywhere():
        views = [describe(b.bootstrap)["topics"].get("spread") for b in brokers.values()]
        return all(v and all(p["leader"] == p["replicas"][0] for p in v.values())
                   for v in views)
    wait_until(own_leaders_everywhere, "the new partitions' own leaders everywhere", SETTLE_S)


def test_a_node_that_is_not_a_seed_says_it_cannot_join(launcher):
    seeds = f"1@{HOST}:{free_port()},2@{HOST}:{free_port()}"
    run = launcher.run_to_exit("--seeds", seeds, node_id=7)
    assert run.returncode != 0, run.describe()
    assert "controller.quorum.voters" in run.stderr and "node 7" in run.stderr, run.describe()


def test_malformed_seeds_are_refused_naming_the_setting(launcher):
    run = launcher.run_to_exit("--seeds", "1@127.0.0.1:1,1@127.0.0.1:2")
    assert run.returncode != 0, run.describe()
    assert "controller.quorum.voters" in run.stderr, run.describe()
