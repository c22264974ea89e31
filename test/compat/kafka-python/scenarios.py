"""kafka-python suite: the pure-Python client (PyPI, requirements.txt), with python-snappy, lz4 and
zstandard for its codecs.

Run by ./run <bootstrap> <target>; prints one JSON line per scenario (client "kafka-python").
Consumers use assign() + seek_to_beginning() unless the scenario is about groups.
"""
import json
import os
import signal
import sys
import threading
import time

import kafka
import kafka.errors as Errors
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetSpec, TopicPartition
from kafka.admin import ConfigResource

BOOTSTRAP = sys.argv[1]
CLIENT = "kafka-python"
P = "kpy-"
BASE_TS = 1_700_000_000_000
COMMON = {"bootstrap_servers": BOOTSTRAP, "client_id": "skiff-compat-kpy", "request_timeout_ms": 15000,
          "retry_backoff_ms": 100}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def err_name(e):
    """The Kafka error name (kafka-python's error classes carry it as .message) or the class name."""
    if isinstance(e, Errors.KafkaError) and isinstance(getattr(type(e), "message", None), str):
        return type(e).message
    return type(e).__name__


_ADMIN = []


def admin():
    if not _ADMIN:
        _ADMIN.append(KafkaAdminClient(**COMMON))
    return _ADMIN[0]


def wait_leaders(topic, partitions):
    for _ in range(50):
        try:
            t = admin().describe_topics([topic])[0]
            parts = t.get("partitions") or []
            if t.get("error_code") == 0 and len(parts) == partitions and all(p["leader_id"] >= 0 for p in parts):
                break
        except Exception:  # noqa: BLE001 - retried
            pass
        time.sleep(0.1)
    # Kafka's brokers learn about new partitions through the metadata log, a little later.
    time.sleep(0.3)


def create_topic(name, partitions=1, configs=None):
    admin().create_topics({name: {"num_partitions": partitions, "replication_factor": 1, "configs": configs or {}}})
    wait_leaders(name, partitions)


def produce(topic, batches, partition=0, **extra):
    """Sends each batch and waits for it; returns 'partition:offset' per record."""
    p = KafkaProducer(**COMMON, acks="all", linger_ms=5, enable_idempotence=False, **extra)
    try:
        out = []
        for batch in batches:
            futures = []
            for r in batch:
                futures.append(p.send(topic, key=r.get("key"), value=r.get("value"), headers=r.get("headers"),
                                      partition=r.get("partition", partition), timestamp_ms=r.get("timestamp")))
            p.flush(15)
            res = []
            for f in futures:
                md = f.get(timeout=15)
                res.append(f"{md.partition}:{md.offset}")
            out.append(res)
        return out
    finally:
        p.close(timeout=5)


def s(b):
    return None if b is None else b.decode("latin1")


def rec(m, with_ts=False):
    d = {"partition": m.partition, "offset": m.offset, "key": s(m.key), "value": s(m.value),
         "headers": [[k, None if v is None else v.hex()] for k, v in (m.headers or [])]}
    if with_ts:
        d["timestamp"] = m.timestamp
        d["timestampType"] = m.timestamp_type
    return d


def read_all(topic, count, partitions=(0,), isolation="read_committed", with_ts=False):
    """assign() + seek_to_beginning(): reads `count` records, then 300 ms more."""
    c = KafkaConsumer(**COMMON, group_id=None, enable_auto_commit=False, isolation_level=isolation, fetch_max_wait_ms=100)
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        got = []
        deadline = time.time() + 20
        extra_until = None
        while time.time() < deadline:
            for msgs in c.poll(timeout_ms=200).values():
                got.extend(rec(m, with_ts) for m in msgs)
            if len(got) >= count:
                extra_until = extra_until or time.time() + 0.3
                if time.time() >= extra_until:
                    break
        if len(got) < count:
            raise RuntimeError(f"got {len(got)} of {count} records from {topic}")
        return sorted(got, key=lambda r: (r["partition"], r["offset"]))
    finally:
        c.close()


def codec_scenario(codec):
    def run():
        topic = f"{P}codec-{codec}"
        batches = [[{"key": f"k{b}-{i}".encode(), "value": f"{codec} value {b}-{i} {'x' * (i * 20)}".encode()} for i in range(5)]
                   for b in range(3)]
        produced = produce(topic, batches, compression_type=None if codec == "none" else codec)
        return {"produced": produced, "records": read_all(topic, 15)}
    return run


def keys_nulls_headers():
    topic = f"{P}keys-nulls-headers"
    produced = produce(topic, [[
        {"key": b"k1", "value": b"v1", "headers": [("h1", b"a"), ("h2", bytes([0, 1, 2]))]},
        {"key": None, "value": b"no key"},
        {"key": b"tombstone", "value": None},
        {"key": b"", "value": b""},
        {"key": b"multi", "value": b"v", "headers": [("same", b"x"), ("same", b"y")]},
    ]])
    return {"produced": produced, "records": read_all(topic, 5)}


def create_time():
    topic = f"{P}create-time"
    produced = produce(topic, [[{"key": f"k{i}".encode(), "value": f"v{i}".encode(), "timestamp": BASE_TS + i * 1000} for i in range(3)]])
    return {"produced": produced, "records": read_all(topic, 3, with_ts=True)}


def log_append_time():
    topic = f"{P}log-append-time"
    create_topic(topic, 1, {"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    produced = produce(topic, [[{"key": f"k{i}".encode(), "value": f"v{i}".encode(), "timestamp": 1000} for i in range(2)]])
    after = int(time.time() * 1000)
    records = read_all(topic, 2, with_ts=True)
    for r in records:
        ts = r.pop("timestamp")
        r["brokerStamped"] = before - 1000 <= ts <= after + 1000
    return {"produced": produced, "records": records}


def many_partitions():
    topic = f"{P}many-partitions"
    create_topic(topic, 12)
    produced = produce(topic, [[{"key": f"key-{i}".encode(), "value": f"v{i}".encode()} for i in range(60)]], partition=None)
    records = read_all(topic, 60, partitions=range(12))
    per = {}
    for r in records:
        per[str(r["partition"])] = per.get(str(r["partition"]), 0) + 1
    return {"produced": sorted(produced[0], key=lambda x: tuple(map(int, x.split(":")))), "perPartition": per,
            "keysByPartition": [f"{r['partition']}:{r['offset']}:{r['key']}" for r in records]}


def list_offsets():
    topic = f"{P}list-offsets"
    create_topic(topic, 1)
    produce(topic, [[{"key": f"k{i}".encode(), "value": f"v{i}".encode(), "timestamp": BASE_TS + i * 1000} for i in range(5)]])
    tp = TopicPartition(topic, 0)
    out = {}
    specs = {"earliest": OffsetSpec.EARLIEST, "latest": OffsetSpec.LATEST, "maxTimestamp": OffsetSpec.MAX_TIMESTAMP,
             "before": BASE_TS - 1, "exact2": BASE_TS + 2000, "between": BASE_TS + 2500, "after": BASE_TS + 10_000}
    for name, spec in specs.items():
        r = admin().list_partition_offsets({tp: spec})[tp]
        out[name] = {"offset": r.offset, "timestamp": r.timestamp}
    c = KafkaConsumer(**COMMON, group_id=None, enable_auto_commit=False)
    try:
        out["consumer"] = {
            "beginning": c.beginning_offsets([tp])[tp],
            "end": c.end_offsets([tp])[tp],
            "forTimes": {str(ts): (lambda o: None if o is None else [o.offset, o.timestamp])(c.offsets_for_times({tp: ts})[tp])
                         for ts in (BASE_TS - 1, BASE_TS + 2000, BASE_TS + 2500, BASE_TS + 10_000)},
        }
    finally:
        c.close()
    return out


def admin_topics():
    topic = f"{P}admin-topics"
    a = admin()
    created = a.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}})
    created = [{"name": t["name"], "error": t["error_code"], "partitions": t.get("num_partitions"), "rf": t.get("replication_factor")}
               for t in created["topics"]]
    try:
        a.create_topics({topic: {"num_partitions": 3, "replication_factor": 1}})
        again = "no error"
    except Exception as e:  # noqa: BLE001
        again = err_name(e)
    wait_leaders(topic, 3)
    listed = topic in a.list_topics()
    t = a.describe_topics([topic])[0]
    partitions = sorted(({"id": p["partition_index"], "replicas": len(p["replica_nodes"]), "isr": len(p["isr_nodes"]),
                          "leaderKnown": p["leader_id"] >= 0} for p in t["partitions"]), key=lambda p: p["id"])
    a.delete_topics([topic])
    time.sleep(0.5)
    return {"created": created, "again": again, "listed": listed, "partitions": partitions,
            "listedAfterDelete": topic in a.list_topics()}


def admin_configs():
    topic = f"{P}admin-configs"
    a = admin()
    create_topic(topic, 1, {"retention.ms": "3600000"})
    names = ["retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes"]

    def describe():
        r = a.describe_configs([ConfigResource("TOPIC", topic, {n: None for n in names})], config_filter="all")
        cfgs = r["topic"][topic]
        out = {}
        for n in names:
            c = cfgs.get(n)
            out[n] = None if c is None else {k: (str(v) if k == "config_source" else v) for k, v in c.items()
                                             if k in ("value", "read_only", "config_source", "is_sensitive")}
        return out

    before = describe()
    a.alter_configs([ConfigResource("TOPIC", topic, {"retention.ms": "7200000", "cleanup.policy": "compact"})], incremental=True)
    time.sleep(0.7)  # Kafka applies config changes through its metadata log, asynchronously
    after_incremental = describe()
    a.alter_configs([ConfigResource("TOPIC", topic, {"retention.ms": "7200000", "cleanup.policy": "compact", "max.message.bytes": "500000"})],
                    incremental=False)
    time.sleep(0.7)
    after_legacy = describe()
    try:
        a.alter_configs([ConfigResource("TOPIC", topic, {"retention.ms": "not-a-number"})], incremental=True)
        invalid = "no error"
    except Exception as e:  # noqa: BLE001
        invalid = err_name(e)
    return {"before": before, "afterIncremental": after_incremental, "afterLegacy": after_legacy, "invalid": invalid}


def create_partitions():
    topic = f"{P}create-partitions"
    a = admin()
    create_topic(topic, 1)
    a.create_partitions({topic: 4})
    time.sleep(0.3)
    count = len(a.describe_topics([topic])[0]["partitions"])
    try:
        a.create_partitions({topic: 2})
        shrink = "no error"
    except Exception as e:  # noqa: BLE001
        shrink = err_name(e)
    return {"partitions": count, "shrink": shrink}


def delete_records():
    topic = f"{P}delete-records"
    create_topic(topic, 1)
    produce(topic, [[{"key": f"k{i}".encode(), "value": f"v{i}".encode()} for i in range(10)]])
    tp = TopicPartition(topic, 0)
    res = admin().delete_records({tp: 5})
    low = {str(k.partition): v["low_watermark"] for k, v in res.items()}
    offs = admin().list_partition_offsets({tp: OffsetSpec.EARLIEST})[tp].offset, admin().list_partition_offsets({tp: OffsetSpec.LATEST})[tp].offset
    return {"lowWatermark": low, "earliest": offs[0], "latest": offs[1], "records": [r["offset"] for r in read_all(topic, 5)]}


class Member(threading.Thread):
    """One group member polling in its own thread (kafka-python consumers are single-threaded)."""

    def __init__(self, name, topic, group, seen):
        super().__init__(daemon=True)
        self.name_ = name
        self.stop = threading.Event()
        self.assigned = []
        self.seen = seen
        self.c = KafkaConsumer(topic, **COMMON, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
                               session_timeout_ms=10000, heartbeat_interval_ms=500, max_poll_interval_ms=20000,
                               fetch_max_wait_ms=100)

    def run(self):
        try:
            while not self.stop.is_set():
                batch = self.c.poll(timeout_ms=100)
                for msgs in batch.values():
                    self.seen.extend(f"{m.partition}:{m.offset}" for m in msgs)
                if batch:
                    self.c.commit()
                self.assigned = sorted(tp.partition for tp in self.c.assignment())
        finally:
            self.c.close()


def consumer_group_rebalance():
    topic = f"{P}group-rebalance"
    group = f"{P}group-3"
    create_topic(topic, 6)
    produce(topic, [[{"key": f"key-{i}".encode(), "value": f"v{i}".encode(), "partition": i % 6} for i in range(30)]])
    seen = []
    members = []

    def wait(cond, what, secs=25):
        deadline = time.time() + secs
        while not cond():
            if time.time() > deadline:
                raise RuntimeError(f"timed out waiting for {what}: {[m.assigned for m in members]}")
            time.sleep(0.05)

    counts = lambda: sorted(len(m.assigned) for m in members)  # noqa: E731
    # Members join one at a time, each once the group has settled (see FINDINGS.md for the
    # intermittent Skiff failure this scenario shows).
    for i, want in enumerate(([6], [3, 3], [2, 2, 2])):
        m = Member(f"m{i}", topic, group, seen)
        members.append(m)
        m.start()
        wait(lambda want=want: counts() == want, f"{len(want)} member(s) with {want} partitions")
    three = counts()
    wait(lambda: len(set(seen)) >= 30, "30 records")
    time.sleep(0.5)
    leaving = members.pop()
    leaving.stop.set()
    leaving.join(10)
    wait(lambda: counts() == [3, 3], "two members with three partitions each")
    two = counts()
    time.sleep(0.5)
    for m in members:
        m.stop.set()
        m.join(10)
    offsets = admin().list_group_offsets({group: None})[group] if hasattr(admin(), "list_group_offsets") else {}
    committed = sorted((tp.partition, om.offset) for tp, om in offsets.items() if tp.topic == topic)
    # Resume: a new member of the same group gets only what was produced after the commits.
    produce(topic, [[{"key": b"late-1", "value": b"after", "partition": 0}, {"key": b"late-2", "value": b"after", "partition": 3}]])
    late = []
    m = Member("m3", topic, group, late)
    m.start()
    deadline = time.time() + 20
    while len(late) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    m.stop.set()
    m.join(10)
    return {"threeMembers": three, "twoMembers": two, "distinctRecords": len(set(seen)),
            "committed": [list(x) for x in committed], "resumed": sorted(late)}


def idempotent_producer():
    topic = f"{P}idempotent"
    p = KafkaProducer(**COMMON, acks="all", linger_ms=5, enable_idempotence=True)
    try:
        produced = []
        for batch in ([b"a", b"b"], [b"c"]):
            fs = [p.send(topic, key=k, value=k, partition=0) for k in batch]
            p.flush(15)
            produced.append([f"{f.get(15).partition}:{f.get(15).offset}" for f in fs])
    finally:
        p.close(timeout=5)
    return {"produced": produced, "records": read_all(topic, 3)}


def transactions():
    topic = f"{P}transactions"
    create_topic(topic, 1)
    p = KafkaProducer(**COMMON, transactional_id=f"{P}txn", enable_idempotence=True, acks="all")
    try:
        p.init_transactions()
        for values, commit in ((["c1", "c2", "c3"], True), (["a1", "a2", "a3"], False), (["c4", "c5"], True)):
            p.begin_transaction()
            for v in values:
                p.send(topic, key=v.encode(), value=v.encode(), partition=0)
            p.flush(15)
            if commit:
                p.commit_transaction()
            else:
                p.abort_transaction()
    finally:
        p.close(timeout=5)
    rc = read_all(topic, 5, isolation="read_committed")
    ru = read_all(topic, 8, isolation="read_uncommitted")
    return {"readCommitted": [f"{r['offset']}:{r['value']}" for r in rc],
            "readUncommitted": [f"{r['offset']}:{r['value']}" for r in ru]}


def describe_topic_partitions():
    """DescribeTopicPartitions (API 75, KIP-966): pagination with a limit and a cursor, unknown topic."""
    a = admin()
    t1, t2 = f"{P}dtp-a", f"{P}dtp-b"
    create_topic(t1, 3)
    create_topic(t2, 2)

    def norm(r):
        return {"topics": [{"name": t["name"], "error": t["error_code"], "internal": t["is_internal"],
                            "hasId": t["topic_id"] is not None and str(t["topic_id"]) != "00000000-0000-0000-0000-000000000000"
                            and str(t["topic_id"]) != "AAAAAAAAAAAAAAAAAAAAAA",
                            "ops": t["topic_authorized_operations"],
                            "partitions": [[p["partition_index"], p["error_code"], len(p["replica_nodes"]), len(p["isr_nodes"]),
                                            p["eligible_leader_replicas"], p["last_known_elr"], p["offline_replicas"]]
                                           for p in t["partitions"]]} for t in r["topics"]],
                "next": r["next_cursor"]}

    return {
        "both": norm(a.describe_topic_partitions([t2, t1])),
        "limit2": norm(a.describe_topic_partitions([t1, t2], response_partition_limit=2)),
        "limit3": norm(a.describe_topic_partitions([t1, t2], response_partition_limit=3)),
        "cursor": norm(a.describe_topic_partitions([t1, t2], response_partition_limit=2, cursor={"topic_name": t1, "partition_index": 2})),
        "unknown": norm(a.describe_topic_partitions([f"{P}dtp-missing", t1])),
    }


def error_unknown_topic_no_autocreate():
    # kafka-python 3.0.12 does not pass allow_auto_create_topics on to its metadata (net/manager.py
    # builds ClusterMetadata without it), so the producer's Metadata request still auto-creates:
    # recorded as it is. The admin client's Metadata request sends allow_auto_topic_creation=false.
    out = {}
    try:
        out["adminDescribe"] = [{"name": t["name"], "error": t["error_code"], "partitions": len(t["partitions"])}
                                for t in admin().describe_topics([f"{P}does-not-exist-admin"])]
    except Exception as e:  # noqa: BLE001
        out["adminDescribe"] = err_name(e)
    p = KafkaProducer(**COMMON, allow_auto_create_topics=False, max_block_ms=3000)
    try:
        md = p.send(f"{P}does-not-exist", value=b"x").get(timeout=10)
        out["producerSend"] = f"{md.partition}:{md.offset}"
    except Exception as e:  # noqa: BLE001
        out["producerSend"] = err_name(e)
    finally:
        p.close(timeout=5)
    return out


def error_invalid_topic_name():
    out = {}
    for name in ("bad topic!", "x" * 250, ".."):
        try:
            admin().create_topics({name: {"num_partitions": 1, "replication_factor": 1}})
            out[name[:20]] = "created"
        except Exception as e:  # noqa: BLE001
            out[name[:20]] = err_name(e)
    return out


def error_record_too_large():
    topic = f"{P}too-large"
    # The client's own max_request_size is raised so that the broker decides.
    p = KafkaProducer(**COMMON, acks="all", max_request_size=4 * 1024 * 1024, retries=1, enable_idempotence=False)
    try:
        p.send(topic, value=b"small", partition=0).get(timeout=15)
        try:
            p.send(topic, value=b"\x01" * (2 * 1024 * 1024), partition=0).get(timeout=15)
            return {"error": None}
        except Exception as e:  # noqa: BLE001
            return {"error": err_name(e)}
    finally:
        p.close(timeout=5)


def error_replication_factor():
    try:
        admin().create_topics({f"{P}rf3": {"num_partitions": 1, "replication_factor": 3}})
        return {"error": None}
    except Exception as e:  # noqa: BLE001
        return {"error": err_name(e)}


S = {
    "produce-consume-none": codec_scenario("none"),
    "produce-consume-gzip": codec_scenario("gzip"),
    "produce-consume-snappy": codec_scenario("snappy"),
    "produce-consume-lz4": codec_scenario("lz4"),
    "produce-consume-zstd": codec_scenario("zstd"),
    "keys-nulls-headers": keys_nulls_headers,
    "create-time": create_time,
    "log-append-time": log_append_time,
    "many-partitions": many_partitions,
    "list-offsets": list_offsets,
    "admin-topics": admin_topics,
    "admin-configs": admin_configs,
    "create-partitions": create_partitions,
    "delete-records": delete_records,
    "consumer-group-rebalance": consumer_group_rebalance,
    "idempotent-producer": idempotent_producer,
    "transactions": transactions,
    "describe-topic-partitions": describe_topic_partitions,
    "error-unknown-topic-no-autocreate": error_unknown_topic_no_autocreate,
    "error-invalid-topic-name": error_invalid_topic_name,
    "error-record-too-large": error_record_too_large,
    "error-replication-factor": error_replication_factor,
}


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("timed out")


def main():
    if os.environ.get("KPY_DEBUG"):  # e.g. KPY_DEBUG=kafka.coordinator: that logger at DEBUG on stderr
        import logging
        logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(threadName)s %(name)s %(message)s")
        logging.getLogger(os.environ["KPY_DEBUG"]).setLevel(logging.DEBUG)
    if os.environ.get("COMPAT_LIST"):
        print("\n".join(S))
        return
    emit({"client": CLIENT, "versions": {"kafka-python": kafka.__version__}})
    only = os.environ.get("COMPAT_ONLY")
    only = set(only.split(",")) if only else None
    limit = int(int(os.environ.get("COMPAT_SCENARIO_TIMEOUT_MS", "60000")) / 1000)
    signal.signal(signal.SIGALRM, on_alarm)
    for name, fn in S.items():
        if only and name not in only:
            continue
        t0 = time.time()
        signal.alarm(limit)
        try:
            emit({"client": CLIENT, "scenario": name, "ok": True, "result": fn()})
        except BaseException as e:  # noqa: BLE001 - every failure is a result
            emit({"client": CLIENT, "scenario": name, "ok": False, "error": f"{type(e).__name__}: {e}"[:500]})
        finally:
            signal.alarm(0)
        sys.stderr.write(f"[{CLIENT}] {name} {int((time.time() - t0) * 1000)} ms\n")


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
