"""Golden-frame capture program for librdkafka, through confluent-kafka-python.

Driven by test-compat/capture/run.sh:
  python capture.py --bootstrap HOST:PORT --client-id ID --topic T --group G
                    --records records.json (--phase produce --codec C | --phase consume --expect N
                    | --phase admin --admin-topic T2
                    | --phase txn --transactional-id X --txn-group G2 --txn-offset N)
Prints one line `RESULT {json}` on success.
"""
import argparse
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

ap = argparse.ArgumentParser()
for name in ("bootstrap", "client-id", "topic", "group", "records", "phase", "codec",
             "admin-topic", "transactional-id", "txn-group"):
    ap.add_argument("--" + name)
ap.add_argument("--txn-offset", type=int, default=0)
ap.add_argument("--expect", type=int, default=0)
opt = ap.parse_args()
spec = json.load(open(opt.records))
partition = spec["partition"]


def produce(txn=False):
    conf = {
        "bootstrap.servers": opt.bootstrap,
        "client.id": opt.client_id,
        "compression.codec": opt.codec or "none",
        "acks": "all",
        # one batch: hold the records until flush() instead of sending the first alone
        "linger.ms": 1000,
        "enable.idempotence": False,
        "log_level": 4,
    }
    if txn:
        del conf["enable.idempotence"]  # implied by transactional.id
        conf["transactional.id"] = opt.transactional_id
    p = Producer(conf)
    if txn:
        p.init_transactions(30)
        p.begin_transaction()
    reports = []

    def on_delivery(err, msg):
        reports.append({"error": str(err) if err else None, "offset": msg.offset()})

    for r in spec["records"]:
        value = None if r["value"] is None else r["value"].encode()
        headers = [(h["key"], None if h["value"] is None else h["value"].encode()) for h in r["headers"]]
        p.produce(opt.topic, key=r["key"].encode(), value=value, partition=partition,
                  headers=headers or None, on_delivery=on_delivery)
    left = p.flush(30)
    if left or any(x["error"] for x in reports):
        raise SystemExit(f"produce failed: {left} left, reports {reports}")
    if txn:
        # group metadata for the offsets: a consumer of the txn group that never subscribes
        c = Consumer({"bootstrap.servers": opt.bootstrap, "client.id": opt.client_id, "group.id": opt.txn_group})
        p.send_offsets_to_transaction([TopicPartition(opt.topic, partition, opt.txn_offset)],
                                      c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        c.close()
    return {"produced": len(reports), "codec": opt.codec, "reports": reports, "transactional": txn}


def admin():
    a = AdminClient({"bootstrap.servers": opt.bootstrap, "client.id": opt.client_id, "log_level": 4})
    for f in a.create_topics([NewTopic(opt.admin_topic, num_partitions=3, replication_factor=1)]).values():
        f.result(30)
    configs = {}
    for f in a.describe_configs([ConfigResource("topic", opt.admin_topic)]).values():
        configs = f.result(30)
    groups = a.list_consumer_groups().result(30)
    described = a.describe_consumer_groups([opt.group])[opt.group].result(30)
    for f in a.delete_topics([opt.admin_topic]).values():
        f.result(30)
    return {"created": opt.admin_topic, "configs": len(configs), "groups": len(groups.valid),
            "groupState": str(described.state)}


def consume():
    c = Consumer({
        "bootstrap.servers": opt.bootstrap,
        "client.id": opt.client_id,
        "group.id": opt.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 500,
        "log_level": 4,
    })
    c.subscribe([opt.topic])
    got = []
    deadline = time.time() + 60
    while len(got) < opt.expect:
        if time.time() > deadline:
            raise SystemExit(f"timeout: {len(got)}/{opt.expect} records")
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            print("consumer error:", m.error(), file=sys.stderr)
            continue
        got.append({
            "partition": m.partition(), "offset": m.offset(),
            "key": None if m.key() is None else m.key().decode(),
            "value": None if m.value() is None else m.value().decode(),
            "headers": [{"key": k, "value": None if v is None else v.decode()} for k, v in (m.headers() or [])],
        })
    last = got[-1]["offset"]
    c.commit(offsets=[TopicPartition(opt.topic, partition, last + 1)], asynchronous=False)
    # Stay in the group a little so at least one Heartbeat goes out.
    end = time.time() + 2.5
    while time.time() < end:
        c.poll(0.2)
    committed = c.committed([TopicPartition(opt.topic, partition)], timeout=10)
    c.close()
    return {"consumed": len(got), "records": got,
            "committed": [{"partition": tp.partition, "offset": tp.offset} for tp in committed]}


phases = {"produce": produce, "txn": lambda: produce(txn=True), "admin": admin, "consume": consume}
result = phases[opt.phase]()
result["client"] = {"confluent_kafka": confluent_kafka.__version__, "librdkafka": confluent_kafka.libversion()[0]}
print("RESULT " + json.dumps(result))
