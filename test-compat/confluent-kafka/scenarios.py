"""confluent-kafka (librdkafka) scenario program for test-compat/run.mjs.

    python scenarios.py --bootstrap HOST:PORT --scenario NAME --topic T

Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
Partition reads use assign() without a group.id (no coordinator involved); group scenarios subscribe.
"""
import argparse
import sys
import time
import traceback

from confluent_kafka import (OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException, Producer,
                             TopicCollection, TopicPartition)
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                   NewPartitions, NewTopic, OffsetSpec, ResourceType)
from confluent_kafka import ConsumerGroupTopicPartitions, ConsumerGroupState

ap = argparse.ArgumentParser()
ap.add_argument('--bootstrap', required=True)
ap.add_argument('--scenario', required=True)
ap.add_argument('--topic', required=True)
opt = ap.parse_args()
T = opt.topic
B = opt.bootstrap
BASE = {'bootstrap.servers': B, 'client.id': 'compat-confluent-kafka', 'log_level': 3}


class Unsupported(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: expected {str(expected)[:200]}, got {str(actual)[:200]}')


def eventually(fn, expected, what, secs=10.0):
    """Kafka applies config changes through its metadata log, so a describe may lag an alter."""
    end = time.time() + secs
    while True:
        got = fn()
        if got == expected or time.time() > end:
            return eq(got, expected, what)
        time.sleep(0.2)


def until(what, fn, secs=15.0):
    end = time.time() + secs
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        if time.time() > end:
            raise AssertionError(f'timed out waiting for {what}' + (f' ({last})' if last else ''))
        time.sleep(0.2)


def vals(n, p='v'):
    return [f'{p}-{i}' for i in range(n)]


def big():
    return bytes(i % 251 for i in range(1 << 20))


def admin():
    return AdminClient(dict(BASE))


def result(futures):
    """Waits for a dict of futures; returns {key: result}."""
    return {k: f.result(timeout=30) for k, f in futures.items()}


def create_topic(a, topic, partitions=1, config=None):
    result(a.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
                           operation_timeout=15))
    until(f'{topic} in metadata', lambda: topic in a.list_topics(topic, timeout=5).topics
          and a.list_topics(topic, timeout=5).topics[topic].error is None)


def producer(**conf):
    c = dict(BASE)
    c.update({'linger.ms': 5})
    c.update(conf)
    return Producer(c)


def produce(p, topic, msgs, partition=0):
    """msgs: list of dicts (key, value, headers, timestamp). Returns delivered offsets in order."""
    delivered = []
    errors = []

    def cb(err, msg):
        if err is not None:
            errors.append(err)
        else:
            delivered.append(msg.offset())
    for m in msgs:
        kw = {k: v for k, v in m.items() if k in ('key', 'value', 'headers', 'timestamp')}
        p.produce(topic, partition=partition, on_delivery=cb, **kw)
        p.poll(0)
    left = p.flush(30)
    check(left == 0, f'{left} messages not delivered')
    check(not errors, f'delivery errors: {errors}')
    return delivered


def produce_n(topic, n, prefix='v', partition=0, **conf):
    return produce(producer(**conf), topic, [{'key': f'k-{i}', 'value': v} for i, v in enumerate(vals(n, prefix))], partition)


def consumer(**conf):
    c = dict(BASE)
    c.update({'enable.auto.commit': False, 'enable.partition.eof': False, 'fetch.wait.max.ms': 200,
              'group.id': 'compat-unused', 'enable.auto.offset.store': False})
    c.update(conf)
    return Consumer(c)


def read(topic, partition, offset, count, secs=15.0, **conf):
    c = consumer(**conf)
    try:
        c.assign([TopicPartition(topic, partition, offset)])
        out = []
        end = time.time() + secs
        while len(out) < count and time.time() < end:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                raise AssertionError(f'consume error: {m.error()}')
            out.append(m)
        return out
    finally:
        c.close()


def dec(b):
    return None if b is None else b.decode()


def expect_records(got, expected, what):
    eq([(m.offset(), dec(m.key()), dec(m.value())) for m in got], expected, what)


def s_bootstrap():
    a = admin()
    d = a.describe_cluster(request_timeout=10).result(timeout=30)
    check(d.nodes, 'no brokers')
    host, port = B.rsplit(':', 1)
    check(any(n.host == host and n.port == int(port) for n in d.nodes), f'{B} not among {d.nodes}')
    check(d.cluster_id, 'no cluster id')
    md = a.list_topics(timeout=10)
    check(any(b.host == host and b.port == int(port) for b in md.brokers.values()), 'metadata brokers miss bootstrap')


def s_metadata():
    a = admin()
    create_topic(a, T, 3)
    md = until('3 partitions with leaders', lambda: (lambda t: len(t.partitions) == 3 and all(p.leader >= 0 for p in t.partitions.values()) and t)(
        a.list_topics(T, timeout=5).topics[T]))
    eq(sorted(md.partitions), [0, 1, 2], 'partition ids')
    brokers = a.list_topics(timeout=5).brokers
    for p in md.partitions.values():
        check(p.leader in brokers, f'leader {p.leader} is not a broker')
    desc = a.describe_topics(TopicCollection([T]))[T].result(timeout=30)
    eq([p.id for p in desc.partitions], [0, 1, 2], 'describe_topics partitions')


def produce_acks(acks):
    a = admin()
    create_topic(a, T)
    offs = produce_n(T, 10, acks=acks)
    if acks != 0:
        eq(offs, list(range(10)), 'delivered offsets')
    expect_records(read(T, 0, OFFSET_BEGINNING, 10), [(i, f'k-{i}', f'v-{i}') for i in range(10)], 'records')


def s_codecs():
    a = admin()
    create_topic(a, T)
    expected = []
    for c, codec in enumerate(['none', 'gzip', 'snappy', 'lz4', 'zstd']):
        msgs = [{'key': f'{codec}-k{i}', 'value': f'{codec}-{i}-' + 'x' * 100} for i in range(5)]
        offs = produce(producer(**{'compression.type': codec, 'linger.ms': 50}), T, msgs)
        eq(offs, list(range(c * 5, c * 5 + 5)), f'{codec} offsets')
        expected += [(c * 5 + i, m['key'], m['value']) for i, m in enumerate(msgs)]
    expect_records(read(T, 0, OFFSET_BEGINNING, 25), expected, 'records read back')


def s_records():
    a = admin()
    create_topic(a, T, 1, {'max.message.bytes': str(2 << 20)})
    payload = big()
    msgs = [
        {'key': 'k0', 'value': 'v0', 'headers': [('h1', b'a'), ('h2', b'b')]},
        {'key': None, 'value': 'v1'},
        {'key': 'k2', 'value': None},
        {'key': 'k3', 'value': b''},
        {'key': 'k4', 'value': payload},
        {'key': 'k5', 'value': 'v5', 'headers': [('dup', b'1'), ('dup', b'2'), ('nullh', None)]},
    ]
    p = producer(**{'message.max.bytes': 4 << 20})
    for i, m in enumerate(msgs):
        eq(produce(p, T, [m]), [i], f'offset of record {i}')
    got = read(T, 0, OFFSET_BEGINNING, 6, **{'fetch.max.bytes': 8 << 20, 'receive.message.max.bytes': 9 << 20})
    eq([m.offset() for m in got], list(range(6)), 'offsets')
    eq([dec(m.key()) for m in got], ['k0', None, 'k2', 'k3', 'k4', 'k5'], 'keys')
    eq([dec(got[i].value()) for i in (0, 1, 2, 3, 5)], ['v0', 'v1', None, '', 'v5'], 'values')
    check(got[4].value() == payload, f'1 MiB value differs (length {len(got[4].value() or b"")})')
    eq(got[0].headers(), [('h1', b'a'), ('h2', b'b')], 'headers')
    eq(got[5].headers(), [('dup', b'1'), ('dup', b'2'), ('nullh', None)], 'repeated and null headers')
    eq(got[1].headers(), None, 'no headers')


def s_consume_beginning():
    a = admin()
    create_topic(a, T)
    produce_n(T, 10)
    c = consumer()
    eq(c.get_watermark_offsets(TopicPartition(T, 0), timeout=10), (0, 10), 'watermarks')
    c.close()
    earliest = a.list_offsets({TopicPartition(T, 0): OffsetSpec.earliest()})[TopicPartition(T, 0)].result(timeout=30)
    eq(earliest.offset, 0, 'ListOffsets earliest')
    expect_records(read(T, 0, OFFSET_BEGINNING, 10), [(i, f'k-{i}', f'v-{i}') for i in range(10)], 'records')


def s_consume_end():
    a = admin()
    create_topic(a, T)
    produce_n(T, 5)
    c = consumer()
    try:
        tp = TopicPartition(T, 0, OFFSET_END)
        c.assign([tp])
        # wait until the fetcher runs at the reset offset (cached high watermark comes from Fetch
        # responses) before producing more
        until('fetching at the end', lambda: (c.poll(0.2) or True) and c.get_watermark_offsets(TopicPartition(T, 0), cached=True)[1] == 5)
        time.sleep(0.5)
        produce(producer(), T, [{'key': f'k-{i}', 'value': f'v-{i}'} for i in range(5, 10)])
        out = []
        end = time.time() + 15
        while len(out) < 5 and time.time() < end:
            m = c.poll(0.5)
            if m is not None:
                check(not m.error(), f'consume error {m.error()}')
                out.append(m)
        expect_records(out, [(i, f'k-{i}', f'v-{i}') for i in range(5, 10)], 'records after the end')
    finally:
        c.close()


def s_consume_timestamp():
    a = admin()
    create_topic(a, T)
    t0 = int(time.time()) * 1000 - 60000
    produce(producer(), T, [{'key': f'k-{i}', 'value': f'v-{i}', 'timestamp': t0 + i * 1000} for i in range(10)])
    c = consumer()
    try:
        [at] = c.offsets_for_times([TopicPartition(T, 0, t0 + 4500)], timeout=10)
        eq(at.offset, 5, 'offset for t0+4500')
        [fut] = c.offsets_for_times([TopicPartition(T, 0, int(time.time() * 1000) + 3600000)], timeout=10)
        eq(fut.offset, -1, 'offset for a future time (OFFSET_END)')
    finally:
        c.close()
    got = read(T, 0, 5, 5)
    expect_records(got, [(i, f'k-{i}', f'v-{i}') for i in range(5, 10)], 'records from t0+4500')
    eq([m.timestamp() for m in got], [(1, t0 + i * 1000) for i in range(5, 10)], 'timestamps (CreateTime)')


def s_admin_topics():
    a = admin()
    T2 = T + '-b'
    result(a.create_topics([NewTopic(T, 2, 1), NewTopic(T2, 1, 1)], operation_timeout=15))
    try:
        result(a.create_topics([NewTopic(T2, 1, 1)]))
        raise AssertionError('creating an existing topic succeeded')
    except KafkaException as e:
        eq(e.args[0].name(), 'TOPIC_ALREADY_EXISTS', 'error for an existing topic')
    until('topics listed', lambda: {T, T2} <= set(a.list_topics(timeout=5).topics))
    d = result(a.describe_topics(TopicCollection([T, T2])))
    eq(sorted((n, len(x.partitions)) for n, x in d.items()), sorted([(T, 2), (T2, 1)]), 'describe_topics')
    result(a.delete_topics([T], operation_timeout=15))
    until('topic gone', lambda: T not in a.list_topics(timeout=5).topics and T2 in a.list_topics(timeout=5).topics)


def s_admin_configs():
    a = admin()
    create_topic(a, T)
    res = ConfigResource(ResourceType.TOPIC, T)

    def describe():
        [entries] = result(a.describe_configs([res])).values()
        return {k: entries[k].value for k in ('retention.ms', 'cleanup.policy')}
    eventually(describe, {'retention.ms': '604800000', 'cleanup.policy': 'delete'}, 'default configs')
    result(a.alter_configs([ConfigResource(ResourceType.TOPIC, T, set_config={'retention.ms': '3600000'})]))
    eventually(describe, {'retention.ms': '3600000', 'cleanup.policy': 'delete'}, 'after AlterConfigs')
    result(a.incremental_alter_configs([ConfigResource(ResourceType.TOPIC, T, incremental_configs=[
        ConfigEntry('cleanup.policy', 'compact', incremental_operation=AlterConfigOpType.SET),
        ConfigEntry('retention.ms', None, incremental_operation=AlterConfigOpType.DELETE)])]))
    eventually(describe, {'retention.ms': '604800000', 'cleanup.policy': 'compact'}, 'after IncrementalAlterConfigs')


def s_admin_partitions():
    a = admin()
    create_topic(a, T)
    result(a.create_partitions([NewPartitions(T, 3)], operation_timeout=15))
    until('3 partitions', lambda: len(a.list_topics(T, timeout=5).topics[T].partitions) == 3)
    eq(produce(producer(), T, [{'key': 'k', 'value': 'on-2'}], partition=2), [0], 'offset on partition 2')
    expect_records(read(T, 2, OFFSET_BEGINNING, 1), [(0, 'k', 'on-2')], 'record on partition 2')


def s_admin_delete_records():
    a = admin()
    create_topic(a, T)
    produce_n(T, 10)
    [dr] = result(a.delete_records([TopicPartition(T, 0, 4)])).values()
    eq(dr.low_watermark, 4, 'low watermark from DeleteRecords')
    earliest = a.list_offsets({TopicPartition(T, 0): OffsetSpec.earliest()})[TopicPartition(T, 0)].result(timeout=30)
    eq(earliest.offset, 4, 'ListOffsets earliest')
    expect_records(read(T, 0, OFFSET_BEGINNING, 6), [(i, f'k-{i}', f'v-{i}') for i in range(4, 10)], 'records after the low watermark')


def s_idempotent():
    a = admin()
    create_topic(a, T)
    p = producer(**{'enable.idempotence': True, 'acks': 'all'})
    offs = []
    for b in range(4):
        offs += produce(p, T, [{'key': f'k-{b * 5 + i}', 'value': f'v-{b * 5 + i}'} for i in range(5)])
    eq(offs, list(range(20)), 'delivered offsets')
    expect_records(read(T, 0, OFFSET_BEGINNING, 20), [(i, f'k-{i}', f'v-{i}') for i in range(20)], 'records')


# ---- groups ----
class Member:
    """A group member polled from the main thread; rebalance callbacks run inside poll()."""

    def __init__(self, name, group, seen, **conf):
        c = dict(BASE)
        c.update({'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
        if conf.pop('classic', True):
            c.update({'session.timeout.ms': 10000, 'heartbeat.interval.ms': 500})
        c.update(conf)
        self.name, self.seen, self.owned, self.revoked, self.closed = name, seen, set(), [], False
        self.c = Consumer(c)
        self.cooperative = c.get('partition.assignment.strategy') == 'cooperative-sticky' or c.get('group.protocol') == 'consumer'
        self.c.subscribe([T], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, c, parts):
        ps = {p.partition for p in parts}
        self.owned = self.owned | ps if self.cooperative else ps

    def on_revoke(self, c, parts):
        ps = {p.partition for p in parts}
        self.revoked.append(ps)
        self.owned = self.owned - ps if self.cooperative else set()

    def step(self):
        if self.closed:
            return
        m = self.c.poll(0.05)
        if m is None:
            return
        check(not m.error(), f'{self.name}: {m.error()}')
        v = dec(m.value())
        self.seen[v] = self.seen.get(v, 0) + 1
        self.c.commit(offsets=[TopicPartition(T, m.partition(), m.offset() + 1)], asynchronous=False)

    def close(self):
        self.c.close()
        self.closed = True


def run_until(members, what, fn, secs=40.0):
    end = time.time() + secs
    while not fn():
        if time.time() > end:
            raise AssertionError(f'timed out waiting for {what}: ' + ', '.join(f'{m.name}={sorted(m.owned)}' for m in members if not m.closed))
        for m in members:
            m.step()


def produce_spread(prefix, n):
    p = producer()
    for i, v in enumerate(vals(n, prefix)):
        produce(p, T, [{'key': v, 'value': v}], partition=i % 3)


def no_dups(seen, total):
    dups = [v for v, n in seen.items() if n > 1]
    check(not dups, f'duplicates: {dups[:10]}')
    eq(len(seen), total, 'distinct records consumed')


def have(seen, prefix, n):
    return all(v in seen for v in vals(n, prefix))


def s_group_rebalance():
    a = admin()
    create_topic(a, T, 3)
    produce_spread('a', 30)
    G, seen = T + '-g', {}
    ms = [Member(f'c{i}', G, seen) for i in (1, 2, 3)]
    run_until(ms, 'one partition each', lambda: all(len(m.owned) == 1 for m in ms) and len(set().union(*[m.owned for m in ms])) == 3)
    run_until(ms, '30 records', lambda: have(seen, 'a', 30))
    ms[2].close()
    run_until(ms, 'two members cover 3 partitions', lambda: sorted(ms[0].owned | ms[1].owned) == [0, 1, 2] and not (ms[0].owned & ms[1].owned))
    produce_spread('b', 30)
    run_until(ms, '30 more records', lambda: have(seen, 'b', 30))
    ms[0].close()
    ms[1].close()
    produce_spread('c', 9)
    m4 = Member('c4', G, seen)
    run_until([m4], 'resume from commits', lambda: have(seen, 'c', 9))
    end = time.time() + 1
    while time.time() < end:
        m4.step()
    m4.close()
    no_dups(seen, 69)


def s_cooperative_sticky():
    a = admin()
    create_topic(a, T, 3)
    produce_spread('a', 30)
    G, seen = T + '-g', {}
    conf = {'partition.assignment.strategy': 'cooperative-sticky'}
    A = Member('A', G, seen, **conf)
    run_until([A], 'A owns all', lambda: A.owned == {0, 1, 2})
    run_until([A], '30 records', lambda: have(seen, 'a', 30))
    Bm = Member('B', G, seen, **conf)
    run_until([A, Bm], 'A and B share', lambda: A.owned and Bm.owned and A.owned | Bm.owned == {0, 1, 2} and not A.owned & Bm.owned)
    moved = set().union(*A.revoked) if A.revoked else set()
    eq(moved, Bm.owned, 'A was revoked exactly what moved to B (cooperative)')
    produce_spread('b', 30)
    run_until([A, Bm], '30 more', lambda: have(seen, 'b', 30))
    A.close()
    Bm.close()
    no_dups(seen, 60)


def s_kip848():
    a = admin()
    create_topic(a, T, 3)
    produce_spread('a', 30)
    G, seen = T + '-g', {}
    conf = {'group.protocol': 'consumer', 'classic': False}
    m1 = Member('m1', G, seen, **dict(conf))
    m2 = Member('m2', G, seen, **dict(conf))
    run_until([m1, m2], 'two members share 3 partitions', lambda: m1.owned and m2.owned and m1.owned | m2.owned == {0, 1, 2} and not m1.owned & m2.owned)
    run_until([m1, m2], '30 records', lambda: have(seen, 'a', 30))
    m1.close()
    m2.close()
    produce_spread('c', 9)
    m3 = Member('m3', G, seen, **dict(conf))
    run_until([m3], 'resume from commits', lambda: have(seen, 'c', 9))
    m3.close()
    no_dups(seen, 39)


def s_transactions():
    a = admin()
    create_topic(a, T)
    p = producer(**{'transactional.id': T + '-tx'})
    p.init_transactions(30)
    for prefix, commit in (('t1', True), ('t2', False), ('t3', True)):
        p.begin_transaction()
        for v in vals(5, prefix):
            p.produce(T, key=v, value=v, partition=0)
        p.flush(30)
        (p.commit_transaction if commit else p.abort_transaction)(30)

    def at(prefix, base):
        return [(base + i, v, v) for i, v in enumerate(vals(5, prefix))]
    expect_records(read(T, 0, OFFSET_BEGINNING, 10, **{'isolation.level': 'read_committed'}), at('t1', 0) + at('t3', 12), 'read_committed')
    expect_records(read(T, 0, OFFSET_BEGINNING, 15, **{'isolation.level': 'read_uncommitted'}), at('t1', 0) + at('t2', 6) + at('t3', 12), 'read_uncommitted')


def s_admin_groups():
    a = admin()
    create_topic(a, T)
    produce_n(T, 10)
    G = T + '-g'
    c = Consumer(dict(BASE, **{'group.id': G, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False}))
    c.subscribe([T])
    end = time.time() + 30
    while True:
        check(time.time() < end, 'timed out consuming')
        m = c.poll(0.2)
        if m is not None and not m.error() and m.offset() == 6:
            c.commit(offsets=[TopicPartition(T, 0, 7)], asynchronous=False)
            break
    c.close()
    listed = a.list_consumer_groups().result(timeout=30)
    check(any(g.group_id == G for g in listed.valid), f'list_consumer_groups misses {G}')
    desc = a.describe_consumer_groups([G])[G].result(timeout=30)
    eq((desc.group_id, desc.state, len(desc.members)), (G, ConsumerGroupState.EMPTY, 0), 'describe_consumer_groups')
    offs = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(G)])[G].result(timeout=30)
    eq([(tp.topic, tp.partition, tp.offset) for tp in offs.topic_partitions], [(T, 0, 7)], 'committed offsets')
    result(a.delete_consumer_groups([G]))
    listed = a.list_consumer_groups().result(timeout=30)
    check(not any(g.group_id == G for g in listed.valid), 'group still listed after delete')


def s_record_errors():
    """KIP-467 on a compacted topic: one batch of 100 records, 10 of them keyless. The broker lists the
    10 in record_errors; librdkafka fails exactly those with INVALID_RECORD and the other 90 with
    _INVALID_DIFFERENT_RECORD (not retried, not stored). Sent again, the 90 are stored at 0..89."""
    a = admin()
    create_topic(a, T, config={'cleanup.policy': 'compact'})
    bad = {3, 7, 15, 22, 41, 50, 63, 77, 88, 99}
    failed, delivered = {}, {}

    def cb(err, msg):
        i = int(msg.value().decode().split('-')[1])
        if err is not None:
            failed[i] = err.code()
        else:
            delivered[i] = msg.offset()
    # one batch: all 100 are queued before linger.ms ends (flush sends at once), a batch holds far more
    p = producer(**{'linger.ms': 2000, 'enable.idempotence': False, 'acks': 'all'})
    for i in range(100):
        p.produce(T, key=None if i in bad else f'k-{i}', value=f'v-{i}', partition=0, on_delivery=cb)
    eq(p.flush(30), 0, 'messages not delivered')
    good = [i for i in range(100) if i not in bad]
    eq(sorted(i for i, e in failed.items() if e == KafkaError.INVALID_RECORD), sorted(bad), 'records failed with INVALID_RECORD')
    eq(sorted(i for i, e in failed.items() if e == KafkaError._INVALID_DIFFERENT_RECORD), good,
       'records failed because of another record in the batch')
    eq(delivered, {}, 'records delivered from the rejected batch')
    for i in good:
        p.produce(T, key=f'k-{i}', value=f'v-{i}', partition=0, on_delivery=cb)
    eq(p.flush(30), 0, 'messages not delivered')
    eq(sorted(delivered.items()), [(i, n) for n, i in enumerate(good)], 'the 90 sent again')
    expect_records(read(T, 0, OFFSET_BEGINNING, 90), [(n, f'k-{i}', f'v-{i}') for n, i in enumerate(good)], 'records read back')

def s_share_consume():
    """KIP-932: librdkafka's ShareConsumer (preview): two consumers, explicit ACCEPT, 2,000 records once each."""
    try:
        from confluent_kafka import ShareConsumer, AcknowledgeType
    except ImportError:
        raise Unsupported('this confluent-kafka has no ShareConsumer')
    g = T + '-share'
    a = AdminClient(BASE)
    for f in a.create_topics([NewTopic(T, 2, 1)]).values():
        f.result()
    r = ConfigResource(ResourceType.GROUP, g, incremental_configs=[
        ConfigEntry('share.auto.offset.reset', 'earliest', incremental_operation=AlterConfigOpType.SET)])
    for f in a.incremental_alter_configs([r]).values():
        f.result()
    p = Producer(BASE)
    n = 2000
    for i in range(n):
        p.produce(T, value=b'v%d' % i, partition=i % 2)
    p.flush()
    cs = [ShareConsumer({**BASE, 'group.id': g, 'share.acknowledgement.mode': 'explicit'}) for _ in range(2)]
    for c in cs:
        c.subscribe([T])
    seen = {}
    end = time.time() + 60
    while len(seen) < n and time.time() < end:
        for c in cs:
            for m in c.poll(0.2):
                check(not m.error(), f'share consumer error: {m.error()}')
                k = (m.partition(), m.offset())
                seen[k] = seen.get(k, 0) + 1
                c.acknowledge(m, AcknowledgeType.ACCEPT)
    for c in cs:
        for tp, err in c.commit_sync().items():
            check(err is None, f'commit_sync {tp}: {err}')
        c.close()
    eq(len(seen), n, 'distinct records')
    eq(sum(1 for v in seen.values() if v > 1), 0, 'records delivered twice')


SCENARIOS = {
    'bootstrap': s_bootstrap, 'metadata': s_metadata,
    'produce-acks0': lambda: produce_acks(0), 'produce-acks1': lambda: produce_acks(1), 'produce-acksall': lambda: produce_acks('all'),
    'codecs': s_codecs, 'records': s_records, 'consume-beginning': s_consume_beginning, 'consume-end': s_consume_end,
    'consume-timestamp': s_consume_timestamp, 'admin-topics': s_admin_topics, 'admin-configs': s_admin_configs,
    'admin-partitions': s_admin_partitions, 'admin-delete-records': s_admin_delete_records, 'idempotent': s_idempotent,
    'group-rebalance': s_group_rebalance, 'cooperative-sticky': s_cooperative_sticky, 'kip848': s_kip848,
    'transactions': s_transactions, 'admin-groups': s_admin_groups, 'record-errors': s_record_errors,
    'share-consume': s_share_consume,
}

if __name__ == '__main__':
    try:
        fn = SCENARIOS.get(opt.scenario)
        if fn is None:
            raise Unsupported(f'confluent-kafka: scenario {opt.scenario} is not implemented')
        fn()
    except Unsupported as e:
        print(f'{opt.scenario}: {e}', file=sys.stderr)
        sys.exit(3)
    except BaseException as e:  # noqa: BLE001 - every failure becomes one reason line
        traceback.print_exc()
        print(f'{opt.scenario}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}', file=sys.stderr)
        sys.exit(1)
