"""librdkafka suite, Python side: confluent-kafka (its wheel bundles librdkafka).

Run by ./run <bootstrap> <target>; prints one JSON line per scenario (client "confluent-kafka").
Consumers use assign() with explicit offsets unless the scenario is about groups.
"""
import json
import os
import signal
import sys
import time

import confluent_kafka
from confluent_kafka import (AcknowledgeType, Consumer, KafkaError, KafkaException, Producer, ShareConsumer,
                             TopicPartition)
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewPartitions, NewTopic, OffsetSpec)

BOOTSTRAP = sys.argv[1]
CLIENT = "confluent-kafka"
P = "rdk-"
BASE_TS = 1_700_000_000_000
COMMON = {"bootstrap.servers": BOOTSTRAP, "client.id": "skiff-compat-rdk", "socket.timeout.ms": 10000,
          "broker.address.family": "v4"}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def err_name(e):
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        return e.args[0].name()
    if isinstance(e, KafkaError):
        return e.name()
    return type(e).__name__


_ADMIN = []


def admin():
    # One long-lived admin client: a client that is garbage-collected cancels its futures (_DESTROY).
    if not _ADMIN:
        _ADMIN.append(AdminClient({**COMMON}))
    return _ADMIN[0]


def wait_all(futures, timeout=15):
    return {k: f.result(timeout=timeout) for k, f in futures.items()}


def create_topic(name, partitions=1, config=None):
    fs = admin().create_topics([NewTopic(name, partitions, 1, config=config or {})], operation_timeout=10)
    wait_all(fs)


def produce(topic, batches, extra=None, partition=0):
    """Sends each batch, flushing in between; returns 'partition:offset' per record."""
    p = Producer({**COMMON, "linger.ms": 5, "acks": "all", "enable.idempotence": False, **(extra or {})})
    out = []
    for batch in batches:
        res = []
        def cb(err, msg, res=res):
            res.append(err.name() if err else f"{msg.partition()}:{msg.offset()}")
        for rec in batch:
            kw = dict(key=rec.get("key"), value=rec.get("value"), headers=rec.get("headers"), on_delivery=cb)
            if rec.get("timestamp") is not None:
                kw["timestamp"] = rec["timestamp"]
            if partition is not None:
                kw["partition"] = rec.get("partition", partition)
            p.produce(topic, **kw)
        remaining = p.flush(15)
        if remaining:
            raise RuntimeError(f"{remaining} records not delivered")
        out.append(res)
    return out


def rec(m, with_ts=False):
    d = {"partition": m.partition(), "offset": m.offset(),
         "key": None if m.key() is None else m.key().decode(),
         "value": None if m.value() is None else m.value().decode(),
         "headers": [f"{k}={'<null>' if v is None else v.hex()}" for k, v in (m.headers() or [])]}
    if with_ts:
        t, ts = m.timestamp()
        d["timestamp"] = f"{ts}/{t}"
    return d


def read_assigned(topic, partitions, count, with_ts=False, extra=None):
    c = Consumer({**COMMON, "group.id": f"{P}unused", "enable.auto.commit": False, "fetch.wait.max.ms": 200, **(extra or {})})
    try:
        c.assign([TopicPartition(topic, i, 0) for i in range(partitions)])
        got, deadline = [], time.time() + 15
        while len(got) < count and time.time() < deadline:
            m = c.poll(0.2)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(m.error())
            got.append(m)
        end = time.time() + 0.3
        while time.time() < end:
            m = c.poll(0.1)
            if m is not None and not m.error():
                got.append(m)
        if len(got) < count:
            raise RuntimeError(f"read {len(got)} of {count} records from {topic}")
        got.sort(key=lambda m: (m.partition(), m.offset()))
        return [rec(m, with_ts) for m in got]
    finally:
        c.close()


def codec(name):
    def run():
        topic = f"{P}codec-{name}"
        batches = [[{"key": f"k{b}-{i}", "value": f"{name} value {b}-{i} " + "x" * (i * 20)} for i in range(5)] for b in range(3)]
        produced = produce(topic, batches, {"compression.type": name})
        return {"produced": produced, "records": read_assigned(topic, 1, 15)}
    return run


S = {}
for _c in ["none", "gzip", "snappy", "lz4", "zstd"]:
    S[f"produce-consume-{_c}"] = codec(_c)


def keys_nulls_headers():
    topic = f"{P}keys-nulls-headers"
    produced = produce(topic, [[
        {"key": "k1", "value": "v1", "headers": [("h1", b"a"), ("h2", b"\x00\x01\x02"), ("nullh", None), ("h1", b"again")]},
        {"key": None, "value": "no key"},
        {"key": "tombstone", "value": None},
        {"key": "", "value": ""},
    ]])
    return {"produced": produced, "records": read_assigned(topic, 1, 4)}


def create_time():
    topic = f"{P}create-time"
    produced = produce(topic, [[{"key": f"k{i}", "value": f"v{i}", "timestamp": BASE_TS + i * 1000} for i in range(3)]])
    return {"produced": produced, "records": read_assigned(topic, 1, 3, with_ts=True)}


def log_append_time():
    topic = f"{P}log-append-time"
    create_topic(topic, 1, {"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    produced = produce(topic, [[{"key": f"k{i}", "value": f"v{i}", "timestamp": 1000} for i in range(2)]])
    after = int(time.time() * 1000)
    recs = read_assigned(topic, 1, 2, with_ts=True)
    for r in recs:
        ts, typ = r.pop("timestamp").split("/")
        r["type"] = typ
        r["brokerStamped"] = before - 1000 <= int(ts) <= after + 1000
    return {"produced": produced, "records": recs}


def many_partitions():
    topic = f"{P}many-partitions"
    create_topic(topic, 12)
    produce(topic, [[{"key": f"key-{i}", "value": f"v{i}"} for i in range(60)]], partition=None)
    return {"keys": [f"{r['partition']}:{r['offset']}:{r['key']}" for r in read_assigned(topic, 12, 60)]}


def list_offsets():
    topic = f"{P}list-offsets"
    produce(topic, [[{"key": f"k{i}", "value": f"v{i}", "timestamp": BASE_TS + i * 1000} for i in range(5)]])
    c = Consumer({**COMMON, "group.id": f"{P}lo"})
    try:
        out = {"watermarks": list(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10))}
        for delta in (-1, 2000, 2500, 10_000):
            r = c.offsets_for_times([TopicPartition(topic, 0, BASE_TS + delta)], timeout=10)[0]
            out[f"byTime+{delta}"] = r.offset
    finally:
        c.close()
    a = admin()
    tp = TopicPartition(topic, 0)
    for name, spec in (("earliest", OffsetSpec.earliest()), ("latest", OffsetSpec.latest()), ("maxTimestamp", OffsetSpec.max_timestamp())):
        res = a.list_offsets({tp: spec}, request_timeout=10)[tp].result(timeout=15)
        out[f"admin-{name}"] = res.offset
    return out


def admin_topics():
    topic = f"{P}admin-topics"
    a = admin()
    out = {}
    create_topic(topic, 3)
    try:
        create_topic(topic, 3)
        out["again"] = "created"
    except KafkaException as e:
        out["again"] = err_name(e)
    md = a.list_topics(timeout=10)
    out["listed"] = topic in md.topics
    t = a.list_topics(topic, timeout=10).topics[topic]
    out["partitions"] = sorted([{"id": p.id, "replicas": len(p.replicas), "isr": len(p.isrs), "leader": p.leader >= 0} for p in t.partitions.values()], key=lambda x: x["id"])
    wait_all(a.delete_topics([topic], operation_timeout=10))
    time.sleep(0.5)
    out["listedAfterDelete"] = topic in a.list_topics(timeout=10).topics
    return out


def admin_configs():
    topic = f"{P}admin-configs"
    create_topic(topic, 1, {"retention.ms": "3600000"})
    a = admin()
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    names = ["retention.ms", "cleanup.policy", "max.message.bytes", "segment.bytes", "min.insync.replicas", "message.timestamp.type"]

    def describe():
        cfg = a.describe_configs([res])[res].result(timeout=15)
        return {n: {"value": cfg[n].value, "source": str(cfg[n].source), "readOnly": cfg[n].is_read_only, "default": cfg[n].is_default} for n in names if n in cfg}

    out = {"before": describe()}
    a.incremental_alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET)])])[res].result(timeout=15)
    time.sleep(0.7)
    out["after"] = describe()
    try:
        a.incremental_alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
            ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)])])[res].result(timeout=15)
        out["invalid"] = "accepted"
    except KafkaException as e:
        out["invalid"] = err_name(e)
    return out


def create_partitions():
    topic = f"{P}create-partitions"
    create_topic(topic, 1)
    a = admin()
    wait_all(a.create_partitions([NewPartitions(topic, 4)], operation_timeout=10))
    time.sleep(0.3)
    out = {"partitions": len(a.list_topics(topic, timeout=10).topics[topic].partitions)}
    try:
        wait_all(a.create_partitions([NewPartitions(topic, 2)], operation_timeout=10))
        out["shrink"] = "accepted"
    except KafkaException as e:
        out["shrink"] = err_name(e)
    return out


def delete_records():
    topic = f"{P}delete-records"
    produce(topic, [[{"key": f"k{i}", "value": f"v{i}"} for i in range(10)]])
    a = admin()
    tp = TopicPartition(topic, 0, 5)
    r = a.delete_records([tp], operation_timeout=10)
    res = list(r.values())[0].result(timeout=15)
    c = Consumer({**COMMON, "group.id": f"{P}dr"})
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        c.close()
    return {"lowWatermark": res.low_watermark, "watermarks": [low, high]}


def consumer_group_rebalance():
    topic, group = f"{P}group-rebalance", f"{P}group-3"
    create_topic(topic, 6)
    produce(topic, [[{"key": f"key-{i}", "value": f"v{i}"} for i in range(30)]], partition=None)
    conf = {**COMMON, "group.id": group, "auto.offset.reset": "earliest", "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 500, "enable.auto.commit": False, "fetch.wait.max.ms": 200}
    members = [Consumer(conf) for _ in range(3)]
    seen = set()
    out = {}
    try:
        for m in members:
            m.subscribe([topic])
        deadline = time.time() + 30
        while time.time() < deadline:
            for m in members:
                msg = m.poll(0.1)
                if msg is not None and not msg.error():
                    seen.add((msg.partition(), msg.offset()))
                    m.commit(message=msg, asynchronous=False)
            sizes = sorted(len(m.assignment()) for m in members)
            if sizes == [2, 2, 2] and len(seen) >= 30:
                break
        out["threeMembers"] = sizes
        out["distinctRecords"] = len(seen)
        members.pop().close()
        deadline = time.time() + 30
        while time.time() < deadline:
            for m in members:
                m.poll(0.1)
            sizes = sorted(len(m.assignment()) for m in members)
            if sizes == [3, 3]:
                break
        out["twoMembers"] = sizes
    finally:
        for m in members:
            m.close()
    a = admin()
    from confluent_kafka import ConsumerGroupTopicPartitions
    res = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=15)
    out["committed"] = {f"{tp.partition}": tp.offset for tp in sorted(res.topic_partitions, key=lambda t: t.partition)}
    produce(topic, [[{"key": "late-1", "value": "after"}, {"key": "late-2", "value": "after"}]], partition=None)
    c = Consumer(conf)
    resumed = []
    try:
        c.subscribe([topic])
        deadline = time.time() + 20
        while len(resumed) < 2 and time.time() < deadline:
            msg = c.poll(0.2)
            if msg is not None and not msg.error():
                resumed.append(msg.key().decode())
    finally:
        c.close()
    out["resumed"] = sorted(resumed)
    return out


def consumer_protocol_group():
    """KIP-848 (group.protocol=consumer): one member, a second joins and leaves; committed offsets."""
    topic, group = f"{P}cgp", f"{P}cgp-group"
    create_topic(topic, 4)
    produce(topic, [[{"key": f"key-{i}", "value": f"v{i}"} for i in range(20)]], partition=None)
    # The broker sets session timeout and heartbeat interval: the client must not.
    conf = {**COMMON, "group.id": group, "group.protocol": "consumer", "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "fetch.wait.max.ms": 200}
    out = {}
    seen = set()
    first = Consumer(conf)
    second = None
    try:
        first.subscribe([topic])
        deadline = time.time() + 20
        while time.time() < deadline and (len(first.assignment()) < 4 or len(seen) < 20):
            msg = first.poll(0.1)
            if msg is not None and not msg.error():
                seen.add((msg.partition(), msg.offset()))
                first.commit(message=msg, asynchronous=False)
        out["oneMember"] = len(first.assignment())
        out["distinctRecords"] = len(seen)
        second = Consumer(conf)
        second.subscribe([topic])
        deadline = time.time() + 20
        sizes = []
        while time.time() < deadline:
            first.poll(0.05)
            second.poll(0.05)
            sizes = sorted([len(first.assignment()), len(second.assignment())])
            if sizes == [2, 2]:
                break
        out["twoMembers"] = sizes
        second.close()
        second = None
        deadline = time.time() + 20
        while time.time() < deadline and len(first.assignment()) < 4:
            first.poll(0.1)
        out["afterLeave"] = len(first.assignment())
    finally:
        if second is not None:
            second.close()
        first.close()
    a = admin()
    from confluent_kafka import ConsumerGroupTopicPartitions
    res = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=15)
    out["committed"] = {f"{tp.partition}": tp.offset for tp in sorted(res.topic_partitions, key=lambda t: t.partition)}
    d = a.describe_consumer_groups([group])[group].result(timeout=15)
    out["describedType"] = str(getattr(d, "type", "?"))
    out["describedState"] = str(d.state)
    return out


def idempotent_producer():
    topic = f"{P}idempotent"
    produced = produce(topic, [[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}], [{"key": "c", "value": "3"}]], {"enable.idempotence": True})
    return {"produced": produced, "records": read_assigned(topic, 1, 3)}


def transactions():
    topic = f"{P}transactions"
    create_topic(topic, 1)
    p = Producer({**COMMON, "transactional.id": f"{P}txn", "enable.idempotence": True})
    p.init_transactions(15)
    for i, values in enumerate([["c1", "c2", "c3"], ["a1", "a2", "a3"], ["c4", "c5"]]):
        p.begin_transaction()
        for v in values:
            p.produce(topic, key=v, value=v, partition=0)
        p.flush(15)
        if i == 1:
            p.abort_transaction(15)
        else:
            p.commit_transaction(15)
    rc = [f"{r['offset']}:{r['value']}" for r in read_assigned(topic, 1, 5, extra={"isolation.level": "read_committed"})]
    ru = [f"{r['offset']}:{r['value']}" for r in read_assigned(topic, 1, 8, extra={"isolation.level": "read_uncommitted"})]
    return {"readCommitted": rc, "readUncommitted": ru}


def error_unknown_topic():
    c = Consumer({**COMMON, "group.id": f"{P}unknown", "allow.auto.create.topics": False})
    try:
        t = c.list_topics(f"{P}does-not-exist", timeout=10).topics[f"{P}does-not-exist"]
        return {"error": t.error.name() if t.error else None, "partitions": len(t.partitions)}
    finally:
        c.close()


def error_invalid_topic_name():
    out = {}
    for name in ["bad topic!", "x" * 250, ".."]:
        try:
            create_topic(name)
            out[name[:20]] = "created"
        except KafkaException as e:
            out[name[:20]] = err_name(e)
    return out


def error_record_too_large():
    topic = f"{P}too-large"
    produce(topic, [[{"value": "small"}]])
    res = produce(topic, [[{"value": "y" * (2 * 1024 * 1024)}]], {"message.max.bytes": 8 * 1024 * 1024, "retries": 0})
    return {"result": res}


def error_replication_factor():
    try:
        fs = admin().create_topics([NewTopic(f"{P}rf3", 1, 3)], operation_timeout=10)
        wait_all(fs)
        return {"error": None}
    except KafkaException as e:
        return {"error": err_name(e)}


def share_setup(name, group, batches, group_configs=None):
    """A one-partition topic holding `batches` flushed batches of 5 records (v0, v1, ...), and the share group's configs."""
    topic = f"{P}{name}"
    create_topic(topic, 1)
    configs = {"share.auto.offset.reset": "earliest", **(group_configs or {})}
    res = ConfigResource(ConfigResource.Type.GROUP, group, incremental_configs=[
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in configs.items()])
    admin().incremental_alter_configs([res])[res].result(timeout=15)
    produce(topic, [[{"value": f"v{b * 5 + i}"} for i in range(5)] for b in range(batches)])
    return topic


def share_consumer(group, explicit):
    return ShareConsumer({**COMMON, "group.id": group,
                          "share.acknowledgement.mode": "explicit" if explicit else "implicit"})


def share_poll_until(c, seconds, until, each, explicit):
    """Polls until `until()` holds or `seconds` pass, handing each record to `each`; explicit consumers acknowledge in `each` and commit here."""
    deadline = time.time() + seconds
    while not until() and time.time() < deadline:
        for m in c.poll(0.2):
            if m.error() is None:
                each(m)
        if explicit:
            c.commit_sync(10)


def share_two_consumers():
    group = f"{P}share-two"
    topic = share_setup("share-two", group, 6)
    a, b = [], []
    c1, c2 = share_consumer(group, False), share_consumer(group, False)
    try:
        c1.subscribe([topic])
        c2.subscribe([topic])
        deadline = time.time() + 30
        while len(a) + len(b) < 30 and time.time() < deadline:
            a.extend(m.offset() for m in c1.poll(0.1) if m.error() is None)
            b.extend(m.offset() for m in c2.poll(0.1) if m.error() is None)
    finally:
        c1.close()
        c2.close()
    return {"delivered": len(a) + len(b), "distinct": len(set(a) | set(b)), "deliveredTwice": len(set(a) & set(b))}


def share_acknowledge_types():
    group = f"{P}share-ack"
    topic = share_setup("share-ack", group, 2)
    # Offsets 0, 3, 6, 9 accepted, 1, 4, 7 released (and accepted when they come back), 2, 5, 8 rejected.
    first, again, after = [], [], []
    kinds = [AcknowledgeType.ACCEPT, AcknowledgeType.RELEASE, AcknowledgeType.REJECT]
    c = share_consumer(group, True)
    try:
        c.subscribe([topic])

        def each(m):
            if m.delivery_count() > 1:
                again.append([m.offset(), m.delivery_count()])
                c.acknowledge(m, AcknowledgeType.ACCEPT)
                return
            first.append(m.offset())
            c.acknowledge(m, kinds[m.offset() % 3])
        share_poll_until(c, 30, lambda: len(first) >= 10 and len(again) >= 3, each, True)

        def accept(m):
            after.append(m.offset())
            c.acknowledge(m, AcknowledgeType.ACCEPT)
        share_poll_until(c, 2, lambda: False, accept, True)
    finally:
        c.close()
    return {"first": sorted(first), "redelivered": sorted(again), "after": after}


def share_lock_timeout():
    group = f"{P}share-lock"
    # The shortest lock Kafka allows by default (group.share.min.record.lock.duration.ms).
    topic = share_setup("share-lock", group, 1, {"share.record.lock.duration.ms": "15000"})
    held, redelivered = [], []
    holder, other = share_consumer(group, True), share_consumer(group, True)
    try:
        holder.subscribe([topic])
        # The holder takes the records and never acknowledges them, nor polls again.
        deadline = time.time() + 15
        while not held and time.time() < deadline:
            held.extend([m.offset(), m.delivery_count()] for m in holder.poll(0.2) if m.error() is None)
        other.subscribe([topic])

        def each(m):
            redelivered.append([m.offset(), m.delivery_count()])
            other.acknowledge(m, AcknowledgeType.ACCEPT)
        share_poll_until(other, 45, lambda: len(redelivered) >= len(held), each, True)
    finally:
        other.close()
        holder.close()
    # After the lock runs out every member may take the records, the holder too (its client can
    # still have a fetch in flight), which makes the other member's count 3 instead of 2 on
    # either broker; what does not depend on that race is that each came at least twice.
    return {"held": sorted(held), "redelivered": sorted([o, "at least 2" if n >= 2 else n] for o, n in redelivered)}


def share_consumer_closed():
    group = f"{P}share-closed"
    topic = share_setup("share-closed", group, 1)
    held, redelivered = [], []
    other = share_consumer(group, True)
    try:
        holder = share_consumer(group, True)
        try:
            holder.subscribe([topic])
            deadline = time.time() + 15
            while not held and time.time() < deadline:
                held.extend([m.offset(), m.delivery_count()] for m in holder.poll(0.2) if m.error() is None)
        finally:
            # Closed without acknowledging: its records go back to the group at once, not after the lock.
            holder.close()
        other.subscribe([topic])

        def each(m):
            redelivered.append([m.offset(), m.delivery_count()])
            other.acknowledge(m, AcknowledgeType.ACCEPT)
        share_poll_until(other, 20, lambda: len(redelivered) >= len(held), each, True)
    finally:
        other.close()
    return {"held": sorted(held), "redelivered": sorted(redelivered)}


def share_delivery_limit():
    group = f"{P}share-limit"
    topic = share_setup("share-limit", group, 1, {"share.delivery.count.limit": "2"})
    deliveries, after = [], []
    c = share_consumer(group, True)
    try:
        c.subscribe([topic])

        # Every delivery is released: after the second one the records are archived.
        def release(m):
            deliveries.append([m.offset(), m.delivery_count()])
            c.acknowledge(m, AcknowledgeType.RELEASE)
        share_poll_until(c, 30, lambda: len(deliveries) >= 10, release, True)

        def accept(m):
            after.append(m.offset())
            c.acknowledge(m, AcknowledgeType.ACCEPT)
        share_poll_until(c, 2, lambda: False, accept, True)
    finally:
        c.close()
    return {"deliveries": sorted(deliveries), "after": after}


S.update({
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
    "consumer-protocol-group": consumer_protocol_group,
    "idempotent-producer": idempotent_producer,
    "transactions": transactions,
    "error-unknown-topic-no-autocreate": error_unknown_topic,
    "error-invalid-topic-name": error_invalid_topic_name,
    "error-record-too-large": error_record_too_large,
    "error-replication-factor": error_replication_factor,
    "share-two-consumers": share_two_consumers,
    "share-acknowledge-types": share_acknowledge_types,
    "share-lock-timeout": share_lock_timeout,
    "share-consumer-closed": share_consumer_closed,
    "share-delivery-limit": share_delivery_limit,
})


def _v(v):
    return v[0] if isinstance(v, tuple) else str(v)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout("timed out")


def main():
    if os.environ.get("COMPAT_LIST"):
        print("\n".join(S))
        return
    emit({"client": CLIENT, "versions": {"confluent-kafka": _v(confluent_kafka.version()), "librdkafka": _v(confluent_kafka.libversion())}})
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
