"""confluent-kafka (librdkafka) against the security profile: confluent.py <bootstrap> <target>.

One JSON line per scenario (client "confluent-kafka"). COMPAT_LISTENERS names the listeners,
COMPAT_CERTS holds the CA and the client certificate. Errors are results here: several
scenarios are about the error a broker gives, which must be Kafka's.
"""
import json
import os
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

CLIENT = "confluent-kafka"
LISTENERS = dict(e.split("=", 1) for e in os.environ["COMPAT_LISTENERS"].split(","))
CERTS = os.environ["COMPAT_CERTS"]
BASE = {"client.id": "skiff-compat-security-rdk", "socket.timeout.ms": 10000, "broker.address.family": "v4"}
TLS = {"ssl.ca.location": f"{CERTS}/ca.pem"}


def sasl(mechanism, user, password, protocol="SASL_PLAINTEXT"):
    listener = "SASL_SSL" if protocol == "SASL_SSL" else "SASL_PLAINTEXT"
    return {"bootstrap.servers": LISTENERS[listener], "security.protocol": protocol, "sasl.mechanism": mechanism,
            "sasl.username": user, "sasl.password": password, **(TLS if protocol == "SASL_SSL" else {})}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def produce_consume(conf, topic):
    """Three keyed records in (acks=all), read back with assign() from offset 0."""
    p = Producer({**BASE, **conf, "acks": "all", "linger.ms": 5})
    delivered = []
    for i in range(3):
        p.produce(topic, key=f"k{i}", value=f"v{i}", partition=0,
                  on_delivery=lambda err, msg: delivered.append(err.name() if err else msg.offset()))
    if p.flush(20):
        raise RuntimeError("records not delivered")
    c = Consumer({**BASE, **conf, "group.id": topic, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 20
    while len(got) < 3 and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise KafkaException(m.error())
        got.append([m.offset(), m.key().decode(), m.value().decode()])
    c.close()
    return {"delivered": delivered, "consumed": got}


def first_error(conf):
    """What a client with these settings gets when it asks for metadata: the error's name and text."""
    errors = []
    a = AdminClient({**BASE, **conf, "error_cb": lambda e: errors.append(e)})
    try:
        a.list_topics(timeout=8)
        return {"error": None}
    except KafkaException as e:
        # The authentication error reaches error_cb only through poll().
        deadline = time.time() + 5
        while not [x for x in errors if x.name() != "_TRANSPORT"] and time.time() < deadline:
            a.poll(0.2)
        named = [x for x in errors if x.name() != "_TRANSPORT"]
        err = named[0] if named else e.args[0]
        # librdkafka prefixes the broker's address and appends its timing: keep the broker's words.
        text = err.str().split(": ", 1)[-1].split(" (after ")[0]
        return {"error": err.name(), "message": text.replace(LISTENERS["SASL_PLAINTEXT"], "<bootstrap>")}


def denied():
    p = Producer({**BASE, **sasl("PLAIN", "alice", "alice-secret"), "acks": "all", "message.timeout.ms": 10000})
    out = []
    p.produce("sec-denied", value="v", partition=0, on_delivery=lambda err, msg: out.append(err.name() if err else "delivered"))
    p.flush(15)
    return {"delivery": out}


SCENARIOS = {
    "sec-rdk-plain": lambda: produce_consume(sasl("PLAIN", "alice", "alice-secret"), "sec-rdk-plain"),
    "sec-rdk-scram-sha-256": lambda: produce_consume(sasl("SCRAM-SHA-256", "alice", "alice-secret"), "sec-rdk-scram-256"),
    "sec-rdk-scram-sha-512": lambda: produce_consume(sasl("SCRAM-SHA-512", "alice", "alice-secret"), "sec-rdk-scram-512"),
    "sec-rdk-oauthbearer": lambda: produce_consume(
        {"bootstrap.servers": LISTENERS["SASL_PLAINTEXT"], "security.protocol": "SASL_PLAINTEXT",
         "sasl.mechanism": "OAUTHBEARER", "enable.sasl.oauthbearer.unsecure.jwt": True,
         "sasl.oauthbearer.config": "principal=alice scope=compat"}, "sec-rdk-oauthbearer"),
    "sec-rdk-ssl": lambda: produce_consume({"bootstrap.servers": LISTENERS["SSL"], "security.protocol": "SSL", **TLS}, "sec-rdk-ssl"),
    "sec-rdk-mtls": lambda: produce_consume(
        {"bootstrap.servers": LISTENERS["MTLS"], "security.protocol": "SSL", **TLS,
         "ssl.certificate.location": f"{CERTS}/client-cert.pem", "ssl.key.location": f"{CERTS}/client.key"}, "sec-rdk-mtls"),
    "sec-rdk-sasl-ssl-scram": lambda: produce_consume(sasl("SCRAM-SHA-512", "alice", "alice-secret", "SASL_SSL"), "sec-rdk-sasl-ssl"),
    "sec-rdk-denied-produce": denied,
    "sec-rdk-wrong-password-plain": lambda: first_error(sasl("PLAIN", "alice", "wrong")),
    "sec-rdk-wrong-password-scram": lambda: first_error(sasl("SCRAM-SHA-256", "alice", "wrong")),
    "sec-rdk-unknown-user-scram": lambda: first_error(sasl("SCRAM-SHA-512", "mallory", "x")),
    # Which error librdkafka names first (_SSL, _TRANSPORT, _ALL_BROKERS_DOWN) depends on when the
    # TLS 1.3 alert is read; that the listener refuses the client is what both must agree on.
    "sec-rdk-mtls-without-certificate": lambda: {"refused": first_error(
        {"bootstrap.servers": LISTENERS["MTLS"], "security.protocol": "SSL", **TLS})["error"] is not None},
}


def main():
    emit({"client": CLIENT, "versions": {"confluent-kafka": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}})
    only = os.environ.get("COMPAT_ONLY")
    for name, fn in SCENARIOS.items():
        if only and name not in only.split(","):
            continue
        t0 = time.time()
        try:
            emit({"client": CLIENT, "scenario": name, "ok": True, "result": fn()})
        except Exception as e:  # noqa: BLE001 - reported as the scenario's failure
            emit({"client": CLIENT, "scenario": name, "ok": False, "error": f"{type(e).__name__}: {e}"[:500]})
        print(f"[{CLIENT}@{sys.argv[2]}] {name} {time.time() - t0:.1f} s", file=sys.stderr)


main()
