#!/usr/bin/env python3
"""librdkafka (confluent-kafka) load client for bench/run.ts. Prints one JSON line on stdout.

  produce   --bootstrap B --topic T --count N --size S --acks A [--producers K] [--stats]
  consume   --bootstrap B --topic T --partitions P --count N
  e2e       --bootstrap B --topic T --rate R --seconds D --size S --acks A

--stats adds what librdkafka's statistics say about the produce run, the same for either broker:
Produce requests sent, bytes per request, the batch sizes and record counts the client built,
request round trips and the most requests awaiting an answer at once.

Every mode stops by itself: counts are bounded and --deadline (seconds) aborts a run that stalls.
"""
import argparse
import json
import multiprocessing
import queue
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END


def log_cb(tag):
    def cb(err):
        sys.stderr.write(f"[rdkafka {tag}] {err}\n")
    return cb


BATCH = 1000


def producer(args, extra=None):
    conf = {
        "bootstrap.servers": args.bootstrap,
        "acks": str(args.acks),
        "enable.idempotence": False,
        "queue.buffering.max.messages": 1_000_000,
        "error_cb": log_cb("producer"),
        # Delivery callbacks only for failed records (counted in "failed").
        "delivery.report.only.error": True,
    }
    if extra:
        conf.update(extra)
    return Producer(conf)


def wait_metadata(p, topic, deadline):
    # Auto-creates the topic (producer metadata requests allow it) and waits for its leaders.
    while True:
        try:
            md = p.list_topics(topic, timeout=5)
            t = md.topics.get(topic)
            if t is not None and t.error is None and t.partitions and all(pm.leader >= 0 for pm in t.partitions.values()):
                return len(t.partitions)
        except KafkaException:
            pass
        if time.time() > deadline:
            raise SystemExit(f"topic {topic} has no leaders")
        time.sleep(0.1)


class ProduceStats:
    """Sums librdkafka's statistics (statistics.interval.ms) over a run: its counters are
    cumulative, its windows (rtt, batch sizes) cover one interval each."""

    INTERVAL_MS = 100

    def __init__(self):
        self.last = {}
        self.windows = {"rtt": [0, 0], "batchsize": [0, 0], "batchcnt": [0, 0]}
        self.rtt_max = 0
        self.max_waitresp = 0

    def cb(self, text):
        st = json.loads(text)
        for name, b in st.get("brokers", {}).items():
            if b.get("nodeid", -1) < 0:
                continue  # the bootstrap connection
            self.last[name] = (b.get("req", {}).get("Produce", 0), b.get("txbytes", 0))
            rtt = b.get("rtt", {})
            self.windows["rtt"][0] += rtt.get("sum", 0)
            self.windows["rtt"][1] += rtt.get("cnt", 0)
            if rtt.get("cnt", 0):
                self.rtt_max = max(self.rtt_max, rtt.get("max", 0))
            self.max_waitresp = max(self.max_waitresp, b.get("waitresp_cnt", 0))
        for t in st.get("topics", {}).values():
            for key in ("batchsize", "batchcnt"):
                w = t.get(key, {})
                self.windows[key][0] += w.get("sum", 0)
                self.windows[key][1] += w.get("cnt", 0)

    def values(self, secs):
        requests = sum(r for r, _ in self.last.values())
        txbytes = sum(b for _, b in self.last.values())
        avg = lambda k: self.windows[k][0] / self.windows[k][1] if self.windows[k][1] else None
        return {
            "produce_requests": requests,
            "requests_s": requests / secs,
            "bytes_per_request": txbytes / requests if requests else None,
            "batch_bytes_avg": avg("batchsize"),
            "batch_records_avg": avg("batchcnt"),
            "rtt_avg_ms": avg("rtt") / 1000 if avg("rtt") is not None else None,
            "rtt_max_ms": self.rtt_max / 1000,
            "max_awaiting_response": self.max_waitresp,
        }


def cmd_produce(args):
    deadline = time.time() + args.deadline
    k = max(1, args.producers)
    stats = ProduceStats() if args.stats else None
    extra = {"statistics.interval.ms": ProduceStats.INTERVAL_MS, "stats_cb": stats.cb} if stats else None
    prods = [producer(args, extra) for _ in range(k)]
    for p in prods:
        wait_metadata(p, args.topic, deadline)
    value = b"x" * args.size
    failed = [0]

    def on_delivery(err, _msg):
        if err is not None:
            failed[0] += 1

    per = args.count // k
    total = per * k
    # produce_batch queues up to BATCH records in one call (rd_kafka_produce_batch), and
    # delivery reports come only for errors: a per-record Python produce() call and
    # callback made this client, not the broker, the bottleneck (76-83 MB/s against
    # 132-170 MB/s with batches, same broker).
    batch = [{"value": value} for _ in range(BATCH)]
    t0 = time.perf_counter()
    # Round-robin over K producers (K connections), a slice at a time so each keeps batches full.
    sent = [0] * k
    left = total
    while left > 0:
        for j, p in enumerate(prods):
            n = min(BATCH, per - sent[j])
            if n == 0:
                continue
            want = batch if n == BATCH else batch[:n]
            try:
                queued = p.produce_batch(args.topic, want, on_delivery=on_delivery)
            except BufferError:
                queued = 0
            sent[j] += queued
            left -= queued
            if queued < n:
                # Queue full: the records not queued were marked; send the same values again.
                for m in want:
                    m.pop("_error", None)
                p.poll(0.001)
            else:
                p.poll(0)
        if time.time() > deadline:
            raise SystemExit("deadline")
    for p in prods:
        remaining = p.flush(max(1.0, deadline - time.time()))
        if remaining:
            raise SystemExit(f"{remaining} messages not delivered before the deadline")
    secs = time.perf_counter() - t0
    out = {
        "mode": "produce", "records": total, "failed": failed[0], "seconds": secs,
        "records_s": total / secs, "mb_s": total * args.size / secs / 1e6, "producers": k,
    }
    if stats:
        # One more interval, so that the last statistics count every request of the run.
        for p in prods:
            p.poll(2 * ProduceStats.INTERVAL_MS / 1000)
        out.update(stats.values(secs))
    print(json.dumps(out))


def consumer(args, extra=None):
    conf = {
        "bootstrap.servers": args.bootstrap,
        "group.id": "skiff-bench",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": False,
        "error_cb": log_cb("consumer"),
    }
    if extra:
        conf.update(extra)
    return Consumer(conf)


def cmd_consume(args):
    deadline = time.time() + args.deadline
    c = consumer(args)
    # assign(), not subscribe(): no group coordination, only Fetch (works on brokers without groups).
    c.assign([TopicPartition(args.topic, i, OFFSET_BEGINNING) for i in range(args.partitions)])
    n = 0
    nbytes = 0
    t0 = time.perf_counter()
    first = None
    while n < args.count:
        msgs = c.consume(num_messages=10000, timeout=0.5)
        if msgs and first is None:
            first = time.perf_counter()
        for m in msgs:
            if m.error() is None:
                n += 1
                nbytes += len(m.value())
        if time.time() > deadline:
            raise SystemExit(f"deadline: {n} of {args.count} records")
    t1 = time.perf_counter()
    c.close()
    secs = t1 - t0
    print(json.dumps({
        "mode": "consume", "records": n, "bytes": nbytes, "seconds": secs,
        "records_s": n / secs, "mb_s": nbytes / secs / 1e6,
        "fetch_seconds": t1 - (first or t0),
    }))


def percentile(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


def e2e_consumer(args, parts, total, ready, stop, out):
    """The e2e consumer, in its own process (see cmd_e2e): one receive time per record."""
    c = consumer(args, {"fetch.wait.max.ms": 500})
    c.assign([TopicPartition(args.topic, i, OFFSET_END) for i in range(parts)])
    deadline = time.time() + args.seconds + 30
    lat = []
    while len(lat) < total and not stop.is_set() and time.time() < deadline:
        # poll(), not consume(num_messages=N, timeout=T): consume waits until N records or T
        # have passed, which would add up to T to every record's latency.
        m = c.poll(0.05)
        if not lat:
            ready.set()
        if m is None or m.error() is not None:
            continue
        lat.append((time.monotonic_ns() - int.from_bytes(m.value()[:8], "big")) / 1e6)
    c.close()
    out.put(lat)


def cmd_e2e(args):
    deadline = time.time() + args.seconds + 30
    p = producer(args, {"linger.ms": 0})
    parts = wait_metadata(p, args.topic, deadline)
    total = int(args.rate * args.seconds)
    # The consumer runs in another process. In a thread of this one it had to win the GIL from
    # the pacing loop below, which spins and releases the GIL only for an instant in every
    # poll(0): the consumer thread then waited for the GIL for up to seconds at a time, and
    # that wait, not the broker, dominated the percentiles (p50 50 ms to 3 s from run to run on
    # either broker). CLOCK_MONOTONIC (time.monotonic_ns) is one clock for all processes on
    # Linux and macOS, so the two sides' timestamps compare. "spawn": no fork of a process
    # that already runs librdkafka threads.
    mp = multiprocessing.get_context("spawn")
    ready, stop, out = mp.Event(), mp.Event(), mp.Queue()
    proc = mp.Process(target=e2e_consumer, args=(args, parts, total, ready, stop, out), daemon=True)
    proc.start()
    try:
        if not ready.wait(30):
            raise SystemExit("e2e consumer did not start")
        time.sleep(1.0)  # let the consumer reach the end of every partition
        pad = b"x" * max(0, args.size - 8)
        interval = 1.0 / args.rate
        warm = int(args.rate * 1.0)
        t0 = time.perf_counter()
        for i in range(total):
            target = t0 + i * interval
            while True:
                d = target - time.perf_counter()
                if d <= 0:
                    break
                if d > 0.0005:
                    time.sleep(d - 0.0003)
            p.produce(args.topic, time.monotonic_ns().to_bytes(8, "big") + pad)
            p.poll(0)
        p.flush(10)
        try:
            lat = out.get(timeout=5)  # the consumer stops by itself once it has every record
        except queue.Empty:
            stop.set()
            try:
                lat = out.get(timeout=10)
            except queue.Empty:
                raise SystemExit("e2e consumer returned no result")
        proc.join(5)
    finally:
        if proc.is_alive():
            proc.kill()
    got = len(lat)
    vals = sorted(lat[warm:]) if got > warm else sorted(lat)
    print(json.dumps({
        "mode": "e2e", "sent": total, "received": got, "rate": args.rate,
        "p50_ms": percentile(vals, 0.50), "p99_ms": percentile(vals, 0.99),
        "p999_ms": percentile(vals, 0.999), "max_ms": vals[-1] if vals else None,
    }))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["produce", "consume", "e2e"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--partitions", type=int, default=1)
    ap.add_argument("--producers", type=int, default=1)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--deadline", type=float, default=120)
    ap.add_argument("--stats", action="store_true")
    args = ap.parse_args()
    {"produce": cmd_produce, "consume": cmd_consume, "e2e": cmd_e2e}[args.mode](args)


if __name__ == "__main__":
    main()
