"""kafka-python (pure-Python protocol stack) scenario program for test-compat/run.mjs.

    python scenarios.py --bootstrap HOST:PORT --scenario NAME --topic T

Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
Partition reads use assign() with group_id=None (no coordinator); group scenarios subscribe.
"""
import argparse
import logging
import sys
import time
import traceback

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import AlterConfigOp, ConfigResource, ConfigResourceType, OffsetSpec
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

logging.basicConfig(level=logging.CRITICAL)
ap = argparse.ArgumentParser()
ap.add_argument('--bootstrap', required=True)
ap.add_argument('--scenario', required=True)
ap.add_argument('--topic', required=True)
opt = ap.parse_args()
T, B = opt.topic, opt.bootstrap
BASE = {'bootstrap_servers': B, 'client_id': 'compat-kafka-python'}


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
    end, last = time.time() + secs, None
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


def b(s):
    return None if s is None else s.encode()


def dec(x):
    return None if x is None else x.decode()


def admin():
    return KafkaAdminClient(**BASE)


def create_topic(a, topic, partitions=1, configs=None):
    r = a.create_topics({topic: {'num_partitions': partitions, 'replication_factor': 1, 'configs': configs or {}}}, wait_for_metadata=True)
    eq(r['topics'][0]['error_code'], 0, 'create_topics error code')


def producer(**conf):
    return KafkaProducer(**BASE, **conf)


def send(p, msgs, partition=0):
    futs = [p.send(T, key=b(m.get('key')), value=m['value'] if isinstance(m.get('value'), bytes) else b(m.get('value')),
                   headers=m.get('headers'), partition=m.get('partition', partition), timestamp_ms=m.get('ts')) for m in msgs]
    p.flush(30)
    return [f.get(30).offset for f in futs]


def send_n(p, n, start=0):
    return send(p, [{'key': f'k-{i}', 'value': f'v-{i}'} for i in range(start, start + n)])


def consumer(**conf):
    c = {'enable_auto_commit': False, 'group_id': None, 'fetch_max_wait_ms': 200, 'consumer_timeout_ms': 1000}
    c.update(conf)
    return KafkaConsumer(**BASE, **c)


def poll_n(c, count, secs=15.0):
    out, end = [], time.time() + secs
    while len(out) < count and time.time() < end:
        for recs in c.poll(timeout_ms=300).values():
            out.extend(recs)
    return sorted(out, key=lambda r: r.offset)


def read(topic, partition, offset, count, **conf):
    c = consumer(**conf)
    try:
        tp = TopicPartition(topic, partition)
        c.assign([tp])
        if offset is None:
            c.seek_to_beginning(tp)
        else:
            c.seek(tp, offset)
        return poll_n(c, count)
    finally:
        c.close()


def triples(rs):
    return [(r.offset, dec(r.key), dec(r.value)) for r in rs]


def exp(a, z):
    return [(i, f'k-{i}', f'v-{i}') for i in range(a, z)]


def s_bootstrap():
    a = admin()
    # kafka-python infers the broker's Kafka version from its ApiVersions ranges; (4, 3) is the newest
    # it knows (DescribeLogDirs v5), which Kafka 4.4 reads as too.
    eq(a._client.check_version(), (4, 3), 'inferred broker version')
    d = a.describe_cluster()
    host, port = B.rsplit(':', 1)
    check(any(x['host'] == host and x['port'] == int(port) for x in d['brokers']), f'{B} not among {d["brokers"]}')
    check(d['cluster_id'], 'no cluster id')


def s_metadata():
    a = admin()
    create_topic(a, T, 3)
    [t] = a.describe_topics([T])
    eq([p['partition_index'] for p in t['partitions']], [0, 1, 2], 'partition ids')
    brokers = {x['broker_id'] for x in a.describe_cluster()['brokers']}
    for p in t['partitions']:
        check(p['leader_id'] in brokers, f'leader {p["leader_id"]} is not a broker')
    check(t['topic_id'] and str(t['topic_id']) != '00000000-0000-0000-0000-000000000000', 'no topic id')
    check(T in a.list_topics(), 'list_topics misses the topic')


def produce_acks(acks):
    create_topic(admin(), T)
    offs = send_n(producer(acks=acks, enable_idempotence=(acks == 'all')), 10)
    if acks != 0:
        eq(offs, list(range(10)), 'returned offsets')
    eq(triples(read(T, 0, None, 10)), exp(0, 10), 'records')


def s_codecs():
    create_topic(admin(), T)
    expected = []
    for c, codec in enumerate(['none', 'gzip', 'snappy', 'lz4', 'zstd']):
        p = producer(compression_type=None if codec == 'none' else codec, linger_ms=50)
        msgs = [{'key': f'{codec}-k{i}', 'value': f'{codec}-{i}-' + 'x' * 100} for i in range(5)]
        eq(send(p, msgs), list(range(c * 5, c * 5 + 5)), f'{codec} offsets')
        p.close()
        expected += [(c * 5 + i, m['key'], m['value']) for i, m in enumerate(msgs)]
    eq(triples(read(T, 0, None, 25)), expected, 'records read back')


def s_records():
    create_topic(admin(), T, 1, {'max.message.bytes': str(2 << 20)})
    payload = bytes(i % 251 for i in range(1 << 20))
    msgs = [
        {'key': 'k0', 'value': 'v0', 'headers': [('h1', b'a'), ('h2', b'b')]},
        {'key': None, 'value': 'v1'},
        {'key': 'k2', 'value': None},
        {'key': 'k3', 'value': b''},
        {'key': 'k4', 'value': payload},
        # kafka-python refuses a null header value on send ("(str, bytes) tuples"), so none here
        {'key': 'k5', 'value': 'v5', 'headers': [('dup', b'1'), ('dup', b'2')]},
    ]
    p = producer(max_request_size=4 << 20)
    for i, m in enumerate(msgs):
        eq(send(p, [m]), [i], f'offset of record {i}')
    got = read(T, 0, None, 6, max_partition_fetch_bytes=4 << 20, fetch_max_bytes=8 << 20)
    eq([r.offset for r in got], list(range(6)), 'offsets')
    eq([dec(r.key) for r in got], ['k0', None, 'k2', 'k3', 'k4', 'k5'], 'keys')
    eq([dec(got[i].value) for i in (0, 1, 2, 3, 5)], ['v0', 'v1', None, '', 'v5'], 'values')
    check(got[4].value == payload, '1 MiB value differs')
    eq(list(got[0].headers), [('h1', b'a'), ('h2', b'b')], 'headers')
    eq(list(got[5].headers), [('dup', b'1'), ('dup', b'2')], 'repeated headers')


def s_consume_beginning():
    a = admin()
    create_topic(a, T)
    send_n(producer(), 10)
    c = consumer()
    tp = TopicPartition(T, 0)
    eq((c.beginning_offsets([tp])[tp], c.end_offsets([tp])[tp]), (0, 10), 'beginning/end offsets')
    c.close()
    eq(a.list_partition_offsets({tp: OffsetSpec.EARLIEST})[tp].offset, 0, 'admin earliest')
    eq(triples(read(T, 0, None, 10)), exp(0, 10), 'records')


def s_consume_end():
    create_topic(admin(), T)
    p = producer()
    send_n(p, 5)
    c = consumer()
    tp = TopicPartition(T, 0)
    c.assign([tp])
    c.seek_to_end(tp)
    eq(c.position(tp), 5, 'position after seek_to_end')
    send_n(p, 5, 5)
    eq(triples(poll_n(c, 5)), exp(5, 10), 'records after the end')
    c.close()


def s_consume_timestamp():
    create_topic(admin(), T)
    t0 = int(time.time()) * 1000 - 60000
    send(producer(), [{'key': f'k-{i}', 'value': f'v-{i}', 'ts': t0 + i * 1000} for i in range(10)])
    c = consumer()
    tp = TopicPartition(T, 0)
    at = c.offsets_for_times({tp: t0 + 4500})[tp]
    check(at is not None, 'offsets_for_times returned None')
    eq((at.offset, at.timestamp), (5, t0 + 5000), 'offset/timestamp for t0+4500')
    eq(c.offsets_for_times({tp: int(time.time() * 1000) + 3600000})[tp], None, 'offset for a future time')
    c.close()
    got = read(T, 0, 5, 5)
    eq(triples(got), exp(5, 10), 'records from t0+4500')
    eq([r.timestamp for r in got], [t0 + i * 1000 for i in range(5, 10)], 'timestamps')


def s_admin_topics():
    a = admin()
    T2 = T + '-b'
    a.create_topics({T: {'num_partitions': 2, 'replication_factor': 1}, T2: {'num_partitions': 1, 'replication_factor': 1}}, wait_for_metadata=True)
    try:
        a.create_topics({T2: {'num_partitions': 1, 'replication_factor': 1}})
        raise AssertionError('creating an existing topic succeeded')
    except TopicAlreadyExistsError:
        pass
    until('both listed', lambda: {T, T2} <= set(a.list_topics()))
    d = {t['name']: len(t['partitions']) for t in a.describe_topics([T, T2])}
    eq(d, {T: 2, T2: 1}, 'describe_topics partitions')
    a.delete_topics([T])
    until('topic gone', lambda: T not in a.list_topics() and T2 in a.list_topics())


def s_admin_configs():
    a = admin()
    create_topic(a, T)

    def describe():
        d = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'retention.ms': None, 'cleanup.policy': None})], config_filter='all')
        c = d['topic'][T]
        return (c['retention.ms']['value'], c['cleanup.policy']['value'])
    eventually(describe, ('604800000', 'delete'), 'defaults')
    a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'retention.ms': '3600000'})], incremental=False)
    eventually(describe, ('3600000', 'delete'), 'after AlterConfigs')
    a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'cleanup.policy': (AlterConfigOp.SET, 'compact'),
                                                                   'retention.ms': (AlterConfigOp.DELETE, None)})], incremental=True)
    eventually(describe, ('604800000', 'compact'), 'after IncrementalAlterConfigs')


def s_admin_partitions():
    a = admin()
    create_topic(a, T)
    a.create_partitions({T: 3})
    until('3 partitions', lambda: len(a.describe_topics([T])[0]['partitions']) == 3)
    p = producer()
    until('producer sees partition 2', lambda: 2 in (p.partitions_for(T) or set()))
    eq(send(p, [{'key': 'k', 'value': 'on-2', 'partition': 2}]), [0], 'offset on partition 2')
    eq(triples(read(T, 2, None, 1)), [(0, 'k', 'on-2')], 'record on partition 2')


def s_admin_delete_records():
    a = admin()
    create_topic(a, T)
    send_n(producer(), 10)
    tp = TopicPartition(T, 0)
    eq(a.delete_records({tp: 4})[tp]['low_watermark'], 4, 'low watermark')
    eq(a.list_partition_offsets({tp: OffsetSpec.EARLIEST})[tp].offset, 4, 'earliest')
    eq(triples(read(T, 0, None, 6)), exp(4, 10), 'records after the low watermark')


def s_idempotent():
    create_topic(admin(), T)
    p = producer(enable_idempotence=True, acks='all', batch_size=200, max_in_flight_requests_per_connection=5)
    eq(send_n(p, 20), list(range(20)), 'returned offsets')
    eq(triples(read(T, 0, None, 20)), exp(0, 20), 'records')


# ---- groups ----
class Member(ConsumerRebalanceListener):
    def __init__(self, name, group, seen, **conf):
        c = {'group_id': group, 'auto_offset_reset': 'earliest', 'enable_auto_commit': False, 'fetch_max_wait_ms': 100,
             'session_timeout_ms': 10000, 'heartbeat_interval_ms': 500}
        c.update(conf)
        self.name, self.seen, self.revoked, self.closed = name, seen, [], False
        self.c = KafkaConsumer(**BASE, **c)
        self.c.subscribe([T], listener=self)

    def on_partitions_revoked(self, revoked):
        if revoked:
            self.revoked.append({tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned):
        pass

    def owned(self):
        return set() if self.closed else {tp.partition for tp in self.c.assignment()}

    def step(self):
        if self.closed:
            return
        for tp, recs in self.c.poll(timeout_ms=50).items():
            for r in recs:
                self.seen[dec(r.value)] = self.seen.get(dec(r.value), 0) + 1
            self.c.commit({tp: OffsetAndMetadata(recs[-1].offset + 1, '', -1)})

    def close(self):
        self.c.close()
        self.closed = True


def run_until(ms, what, fn, secs=60.0):
    end = time.time() + secs
    while not fn():
        if time.time() > end:
            raise AssertionError(f'timed out waiting for {what}: ' + ', '.join(f'{m.name}={sorted(m.owned())}' for m in ms))
        for m in ms:
            m.step()


def produce_spread(prefix, n):
    p = producer()
    send(p, [{'key': v, 'value': v, 'partition': i % 3} for i, v in enumerate(vals(n, prefix))])
    p.close()


def have(seen, prefix, n):
    return all(v in seen for v in vals(n, prefix))


def no_dups(seen, total):
    d = [v for v, n in seen.items() if n > 1]
    check(not d, f'duplicates: {d[:10]}')
    eq(len(seen), total, 'distinct records consumed')


def s_group_rebalance():
    create_topic(admin(), T, 3)
    produce_spread('a', 30)
    G, seen = T + '-g', {}
    conf = {'partition_assignment_strategy': [RangePartitionAssignor]}
    ms = [Member(f'c{i}', G, seen, **conf) for i in (1, 2, 3)]
    run_until(ms, 'one partition each', lambda: all(len(m.owned()) == 1 for m in ms) and len(set().union(*[m.owned() for m in ms])) == 3)
    run_until(ms, '30 records', lambda: have(seen, 'a', 30))
    ms[2].close()
    run_until(ms, 'two members cover 3', lambda: ms[0].owned() | ms[1].owned() == {0, 1, 2} and not ms[0].owned() & ms[1].owned())
    produce_spread('b', 30)
    run_until(ms, '30 more', lambda: have(seen, 'b', 30))
    ms[0].close()
    ms[1].close()
    produce_spread('c', 9)
    m4 = Member('c4', G, seen, **conf)
    run_until([m4], 'resume from commits', lambda: have(seen, 'c', 9))
    end = time.time() + 1
    while time.time() < end:
        m4.step()
    m4.close()
    no_dups(seen, 69)


def s_cooperative_sticky():
    create_topic(admin(), T, 3)
    produce_spread('a', 30)
    G, seen = T + '-g', {}
    conf = {'partition_assignment_strategy': [CooperativeStickyAssignor]}
    A = Member('A', G, seen, **conf)
    run_until([A], 'A owns all', lambda: A.owned() == {0, 1, 2})
    run_until([A], '30 records', lambda: have(seen, 'a', 30))
    Bm = Member('B', G, seen, **conf)
    run_until([A, Bm], 'A and B share', lambda: A.owned() and Bm.owned() and A.owned() | Bm.owned() == {0, 1, 2} and not A.owned() & Bm.owned())
    eq(set().union(*A.revoked) if A.revoked else set(), Bm.owned(), 'A was revoked exactly what moved to B (cooperative)')
    produce_spread('b', 30)
    run_until([A, Bm], '30 more', lambda: have(seen, 'b', 30))
    A.close()
    Bm.close()
    no_dups(seen, 60)


def s_transactions():
    create_topic(admin(), T)
    p = producer(transactional_id=T + '-tx')
    p.init_transactions()
    for prefix, commit in (('t1', True), ('t2', False), ('t3', True)):
        p.begin_transaction()
        send(p, [{'key': v, 'value': v} for v in vals(5, prefix)])
        (p.commit_transaction if commit else p.abort_transaction)()

    def at(prefix, base):
        return [(base + i, v, v) for i, v in enumerate(vals(5, prefix))]
    eq(triples(read(T, 0, None, 10, isolation_level='read_committed')), at('t1', 0) + at('t3', 12), 'read_committed')
    eq(triples(read(T, 0, None, 15, isolation_level='read_uncommitted')), at('t1', 0) + at('t2', 6) + at('t3', 12), 'read_uncommitted')


def s_admin_groups():
    a = admin()
    create_topic(a, T)
    send_n(producer(), 10)
    G = T + '-g'
    c = KafkaConsumer(**BASE, group_id=G, auto_offset_reset='earliest', enable_auto_commit=False)
    c.subscribe([T])
    end, done = time.time() + 30, False
    while not done:
        check(time.time() < end, 'timed out consuming')
        for recs in c.poll(timeout_ms=200).values():
            if any(r.offset == 6 for r in recs) and not done:
                c.commit({TopicPartition(T, 0): OffsetAndMetadata(7, '', -1)})
                done = True
    c.close()
    groups = a.list_groups()
    check(any((g.get('group_id') if isinstance(g, dict) else g[0]) == G for g in groups), f'list_groups misses {G}: {groups}')
    d = a.describe_groups([G])
    d = d[G] if isinstance(d, dict) else d[0]
    eq((d['group_state'] if 'group_state' in d else d.get('state'), len(d['members'])), ('Empty', 0), 'describe_groups')
    offs = a.list_group_offsets({G: None})[G]
    eq({tp.partition: o.offset for tp, o in offs.items()}, {0: 7}, 'committed offsets')
    a.delete_groups([G])
    groups = a.list_groups()
    check(not any((g.get('group_id') if isinstance(g, dict) else g[0]) == G for g in groups), 'group still listed after delete')


SCENARIOS = {
    'bootstrap': s_bootstrap, 'metadata': s_metadata,
    'produce-acks0': lambda: produce_acks(0), 'produce-acks1': lambda: produce_acks(1), 'produce-acksall': lambda: produce_acks('all'),
    'codecs': s_codecs, 'records': s_records, 'consume-beginning': s_consume_beginning, 'consume-end': s_consume_end,
    'consume-timestamp': s_consume_timestamp, 'admin-topics': s_admin_topics, 'admin-configs': s_admin_configs,
    'admin-partitions': s_admin_partitions, 'admin-delete-records': s_admin_delete_records, 'idempotent': s_idempotent,
    'group-rebalance': s_group_rebalance, 'cooperative-sticky': s_cooperative_sticky,
    'transactions': s_transactions, 'admin-groups': s_admin_groups,
}

if __name__ == '__main__':
    try:
        fn = SCENARIOS.get(opt.scenario)
        if fn is None:
            raise Unsupported(f'kafka-python: scenario {opt.scenario} is not implemented')
        fn()
    except Unsupported as e:
        print(f'{opt.scenario}: {e}', file=sys.stderr)
        sys.exit(3)
    except BaseException as e:  # noqa: BLE001 - every failure becomes one reason line
        traceback.print_exc()
        print(f'{opt.scenario}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'[:400], file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
