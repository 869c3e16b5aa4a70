"""aiokafka (asyncio, its own protocol stack) scenario program for test-compat/run.mjs.

    python scenarios.py --bootstrap HOST:PORT --scenario NAME --topic T

Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
Partition reads use assign() with group_id=None. aiokafka's admin client has no
IncrementalAlterConfigs (admin-configs uses AlterConfigs twice, like kafkajs) and no DeleteGroups
(admin-groups sends aiokafka's own DeleteGroupsRequest to the coordinator). Group members use the
classic protocol with the range assignor (aiokafka has no cooperative protocol and no KIP-848); each
member processes and commits a batch under a lock that its on_partitions_revoked also takes, so
what was polled is committed before partitions move.
"""
import argparse
import asyncio
import logging
import sys
import time
import traceback

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic, RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.protocol.admin import DeleteGroupsRequest

logging.basicConfig(level=logging.CRITICAL)
ap = argparse.ArgumentParser()
ap.add_argument('--bootstrap', required=True)
ap.add_argument('--scenario', required=True)
ap.add_argument('--topic', required=True)
opt = ap.parse_args()
T, B = opt.topic, opt.bootstrap
BASE = {'bootstrap_servers': B, 'client_id': 'compat-aiokafka'}
CLOSE = []


class Unsupported(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: expected {str(expected)[:200]}, got {str(actual)[:200]}')


async def eventually(fn, expected, what, secs=10.0):
    """Kafka applies config changes through its metadata log, so a describe may lag an alter."""
    end = time.time() + secs
    while True:
        got = await fn()
        if got == expected or time.time() > end:
            return eq(got, expected, what)
        await asyncio.sleep(0.2)


def b(s):
    return None if s is None else (s if isinstance(s, bytes) else s.encode())


def dec(x):
    return None if x is None else x.decode()


async def admin():
    a = AIOKafkaAdminClient(**BASE)
    await a.start()
    CLOSE.append(a.close)
    return a


async def create_topic(a, topic, partitions=1, configs=None):
    r = (await a.create_topics([NewTopic(topic, partitions, 1, topic_configs=configs or {})])).to_object()
    eq(r['topic_errors'][0]['error_code'], 0, 'create_topics error code')
    end = time.time() + 15
    while True:
        t = (await a.describe_topics([topic]))[0]
        if t['error_code'] == 0 and len(t['partitions']) == partitions and all(p['leader'] >= 0 for p in t['partitions']):
            return
        check(time.time() < end, f'{topic} has no leaders')
        await asyncio.sleep(0.2)


async def producer(**conf):
    p = AIOKafkaProducer(**BASE, **conf)
    await p.start()
    CLOSE.append(p.stop)
    return p


async def send(p, msgs, partition=0):
    futs = [await p.send(T, key=b(m.get('key')), value=b(m.get('value')), headers=m.get('headers'),
                         partition=m.get('partition', partition), timestamp_ms=m.get('ts')) for m in msgs]
    # acks=0 delivers no RecordMetadata
    return [md.offset if md is not None else -1 for md in [await f for f in futs]]


async def send_n(p, n, start=0):
    return await send(p, [{'key': f'k-{i}', 'value': f'v-{i}'} for i in range(start, start + n)])


async def consumer(**conf):
    c = AIOKafkaConsumer(**BASE, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=200, **conf)
    await c.start()
    CLOSE.append(c.stop)
    return c


async def poll_n(c, count, secs=15.0):
    out, end = [], time.time() + secs
    while len(out) < count and time.time() < end:
        for recs in (await c.getmany(timeout_ms=300)).values():
            out.extend(recs)
    return sorted(out, key=lambda r: r.offset)


async def read(topic, partition, offset, count, **conf):
    c = await consumer(**conf)
    tp = TopicPartition(topic, partition)
    c.assign([tp])
    if offset is None:
        await c.seek_to_beginning(tp)
    else:
        c.seek(tp, offset)
    return await poll_n(c, count)


def triples(rs):
    return [(r.offset, dec(r.key), dec(r.value)) for r in rs]


def exp(a, z):
    return [(i, f'k-{i}', f'v-{i}') for i in range(a, z)]


async def s_bootstrap():
    d = await (await admin()).describe_cluster()
    host, port = B.rsplit(':', 1)
    check(any(x['host'] == host and x['port'] == int(port) for x in d['brokers']), f'{B} not among {d["brokers"]}')
    check(d['cluster_id'], 'no cluster id')


async def s_metadata():
    a = await admin()
    await create_topic(a, T, 3)
    [t] = await a.describe_topics([T])
    eq([p['partition'] for p in t['partitions']], [0, 1, 2], 'partition ids')
    brokers = {x['node_id'] for x in (await a.describe_cluster())['brokers']}
    for p in t['partitions']:
        check(p['leader'] in brokers, f'leader {p["leader"]} is not a broker')
    check(T in await a.list_topics(), 'list_topics misses the topic')


async def produce_acks(acks):
    await create_topic(await admin(), T)
    offs = await send_n(await producer(acks=acks), 10)
    if acks != 0:
        eq(offs, list(range(10)), 'returned offsets')
    eq(triples(await read(T, 0, None, 10)), exp(0, 10), 'records')


async def s_codecs():
    await create_topic(await admin(), T)
    expected = []
    for c, codec in enumerate(['none', 'gzip', 'snappy', 'lz4', 'zstd']):
        p = await producer(compression_type=None if codec == 'none' else codec, linger_ms=50)
        msgs = [{'key': f'{codec}-k{i}', 'value': f'{codec}-{i}-' + 'x' * 100} for i in range(5)]
        eq(await send(p, msgs), list(range(c * 5, c * 5 + 5)), f'{codec} offsets')
        expected += [(c * 5 + i, m['key'], m['value']) for i, m in enumerate(msgs)]
    eq(triples(await read(T, 0, None, 25)), expected, 'records read back')


async def s_records():
    await create_topic(await admin(), T, 1, {'max.message.bytes': str(2 << 20)})
    payload = bytes(i % 251 for i in range(1 << 20))
    msgs = [
        {'key': 'k0', 'value': 'v0', 'headers': [('h1', b'a'), ('h2', b'b')]},
        {'key': None, 'value': 'v1'},
        {'key': 'k2', 'value': None},
        {'key': 'k3', 'value': b''},
        {'key': 'k4', 'value': payload},
        {'key': 'k5', 'value': 'v5', 'headers': [('dup', b'1'), ('dup', b'2'), ('nullh', None)]},
    ]
    p = await producer(max_request_size=4 << 20)
    for i, m in enumerate(msgs):
        eq(await send(p, [m]), [i], f'offset of record {i}')
    got = await read(T, 0, None, 6, max_partition_fetch_bytes=4 << 20, fetch_max_bytes=8 << 20)
    eq([r.offset for r in got], list(range(6)), 'offsets')
    eq([dec(r.key) for r in got], ['k0', None, 'k2', 'k3', 'k4', 'k5'], 'keys')
    eq([dec(got[i].value) for i in (0, 1, 2, 3, 5)], ['v0', 'v1', None, '', 'v5'], 'values')
    check(got[4].value == payload, '1 MiB value differs')
    eq(list(got[0].headers), [('h1', b'a'), ('h2', b'b')], 'headers')
    eq(list(got[5].headers), [('dup', b'1'), ('dup', b'2'), ('nullh', None)], 'repeated and null headers')


async def s_consume_beginning():
    await create_topic(await admin(), T)
    await send_n(await producer(), 10)
    c = await consumer()
    tp = TopicPartition(T, 0)
    eq(((await c.beginning_offsets([tp]))[tp], (await c.end_offsets([tp]))[tp]), (0, 10), 'beginning/end offsets')
    eq(triples(await read(T, 0, None, 10)), exp(0, 10), 'records')


async def s_consume_end():
    await create_topic(await admin(), T)
    p = await producer()
    await send_n(p, 5)
    c = await consumer()
    tp = TopicPartition(T, 0)
    c.assign([tp])
    await c.seek_to_end(tp)
    eq(await c.position(tp), 5, 'position after seek_to_end')
    await send_n(p, 5, 5)
    eq(triples(await poll_n(c, 5)), exp(5, 10), 'records after the end')


async def s_consume_timestamp():
    await create_topic(await admin(), T)
    t0 = int(time.time()) * 1000 - 60000
    await send(await producer(), [{'key': f'k-{i}', 'value': f'v-{i}', 'ts': t0 + i * 1000} for i in range(10)])
    c = await consumer()
    tp = TopicPartition(T, 0)
    at = (await c.offsets_for_times({tp: t0 + 4500}))[tp]
    check(at is not None, 'offsets_for_times returned None')
    eq((at.offset, at.timestamp), (5, t0 + 5000), 'offset/timestamp for t0+4500')
    eq((await c.offsets_for_times({tp: int(time.time() * 1000) + 3600000}))[tp], None, 'offset for a future time')
    got = await read(T, 0, 5, 5)
    eq(triples(got), exp(5, 10), 'records from t0+4500')
    eq([r.timestamp for r in got], [t0 + i * 1000 for i in range(5, 10)], 'timestamps')


async def s_admin_topics():
    a = await admin()
    T2 = T + '-b'
    r = (await a.create_topics([NewTopic(T, 2, 1), NewTopic(T2, 1, 1)])).to_object()
    eq([e['error_code'] for e in r['topic_errors']], [0, 0], 'create_topics error codes')
    r = (await a.create_topics([NewTopic(T2, 1, 1)])).to_object()
    eq(r['topic_errors'][0]['error_code'], 36, 'error for an existing topic (TOPIC_ALREADY_EXISTS)')
    end = time.time() + 15
    while not {T, T2} <= set(await a.list_topics()):
        check(time.time() < end, 'topics not listed')
        await asyncio.sleep(0.2)
    d = {t['topic']: len(t['partitions']) for t in await a.describe_topics([T, T2])}
    eq(d, {T: 2, T2: 1}, 'describe_topics partitions')
    await a.delete_topics([T])
    end = time.time() + 15
    while True:
        names = set(await a.list_topics())
        if T not in names and T2 in names:
            break
        check(time.time() < end, 'topic still listed after delete')
        await asyncio.sleep(0.2)


async def s_admin_configs():
    a = await admin()
    await create_topic(a, T)

    async def describe():
        [r] = await a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'retention.ms': None, 'cleanup.policy': None})])
        entries = r.to_object()['resources'][0]['config_entries']
        m = {e['config_names']: e['config_value'] for e in entries}
        return (m.get('retention.ms'), m.get('cleanup.policy'))
    await eventually(describe, ('604800000', 'delete'), 'defaults')
    await a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'retention.ms': '3600000'})])
    await eventually(describe, ('3600000', 'delete'), 'after AlterConfigs')
    # no IncrementalAlterConfigs in aiokafka: a second legacy AlterConfigs must drop the override
    await a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, T, {'cleanup.policy': 'compact'})])
    await eventually(describe, ('604800000', 'compact'), 'after AlterConfigs cleanup.policy only')


async def s_admin_partitions():
    a = await admin()
    await create_topic(a, T)
    await a.create_partitions({T: NewPartitions(3)})
    end = time.time() + 15
    while len((await a.describe_topics([T]))[0]['partitions']) != 3:
        check(time.time() < end, 'not 3 partitions')
        await asyncio.sleep(0.2)
    p = await producer()
    end = time.time() + 15
    while 2 not in (await p.partitions_for(T)):
        check(time.time() < end, 'producer does not see partition 2')
        await asyncio.sleep(0.3)
    eq(await send(p, [{'key': 'k', 'value': 'on-2', 'partition': 2}]), [0], 'offset on partition 2')
    eq(triples(await read(T, 2, None, 1)), [(0, 'k', 'on-2')], 'record on partition 2')


async def s_admin_delete_records():
    a = await admin()
    await create_topic(a, T)
    await send_n(await producer(), 10)
    tp = TopicPartition(T, 0)
    eq((await a.delete_records({tp: RecordsToDelete(4)}))[tp], 4, 'low watermark')
    c = await consumer()
    eq((await c.beginning_offsets([tp]))[tp], 4, 'beginning offset')
    eq(triples(await read(T, 0, None, 6)), exp(4, 10), 'records after the low watermark')


async def s_idempotent():
    await create_topic(await admin(), T)
    p = await producer(enable_idempotence=True, acks='all', max_batch_size=200)
    eq(await send_n(p, 20), list(range(20)), 'returned offsets')
    eq(triples(await read(T, 0, None, 20)), exp(0, 20), 'records')


async def s_transactions():
    await create_topic(await admin(), T)
    p = await producer(transactional_id=T + '-tx')
    for prefix, commit in (('t1', True), ('t2', False), ('t3', True)):
        await p.begin_transaction()
        await send(p, [{'key': f'{prefix}-{i}', 'value': f'{prefix}-{i}'} for i in range(5)])
        await (p.commit_transaction() if commit else p.abort_transaction())

    def at(prefix, base):
        return [(base + i, f'{prefix}-{i}', f'{prefix}-{i}') for i in range(5)]
    eq(triples(await read(T, 0, None, 10, isolation_level='read_committed')), at('t1', 0) + at('t3', 12), 'read_committed')
    eq(triples(await read(T, 0, None, 15, isolation_level='read_uncommitted')), at('t1', 0) + at('t2', 6) + at('t3', 12), 'read_uncommitted')


# ---- groups ----
class Member(ConsumerRebalanceListener):
    """A group member with its own task: getmany, count, commit each record, all under a lock that
    on_partitions_revoked takes too (aiokafka awaits it before rejoining)."""

    def __init__(self, name, group, seen):
        self.name, self.group, self.seen, self.owned, self.closed = name, group, seen, set(), False
        self.lock = asyncio.Lock()

    async def on_partitions_revoked(self, revoked):
        async with self.lock:
            self.owned = set()

    async def on_partitions_assigned(self, assigned):
        self.owned = {tp.partition for tp in assigned}

    async def start(self):
        self.c = AIOKafkaConsumer(**BASE, group_id=self.group, auto_offset_reset='earliest', enable_auto_commit=False,
                                  session_timeout_ms=10000, heartbeat_interval_ms=500, fetch_max_wait_ms=100)
        self.c.subscribe([T], listener=self)
        await self.c.start()
        self.task = asyncio.create_task(self.run())
        return self

    async def run(self):
        while not self.closed:
            async with self.lock:
                batch = await self.c.getmany(timeout_ms=100)
                for tp, recs in batch.items():
                    for r in recs:
                        v = dec(r.value)
                        self.seen[v] = self.seen.get(v, 0) + 1
                        await self.c.commit({tp: r.offset + 1})

    async def close(self):
        if self.closed:
            return
        self.closed = True
        await self.task
        await self.c.stop()


async def until(what, fn, members=(), secs=40.0):
    end = time.time() + secs
    while not fn():
        if time.time() > end:
            state = ', '.join(f'{m.name}={sorted(m.owned)}' for m in members if not m.closed)
            raise AssertionError(f'timed out waiting for {what}' + (f': {state}' if state else ''))
        await asyncio.sleep(0.1)


def vals(n, prefix):
    return [f'{prefix}-{i}' for i in range(n)]


async def produce_spread(p, prefix, n):
    await send(p, [{'key': v, 'value': v, 'partition': i % 3} for i, v in enumerate(vals(n, prefix))])


def have(seen, prefix, n):
    return all(v in seen for v in vals(n, prefix))


def no_dups(seen, total):
    dups = [v for v, n in seen.items() if n > 1]
    check(not dups, f'duplicates: {dups[:10]}')
    eq(len(seen), total, 'distinct records consumed')


async def s_group_rebalance():
    await create_topic(await admin(), T, 3)
    p = await producer()
    await produce_spread(p, 'a', 30)
    G, seen = T + '-g', {}
    ms = [await Member(f'c{i}', G, seen).start() for i in (1, 2, 3)]
    try:
        await until('one partition each', lambda: all(len(m.owned) == 1 for m in ms) and set().union(*[m.owned for m in ms]) == {0, 1, 2}, ms)
        await until('30 records', lambda: have(seen, 'a', 30), ms)
        await ms[2].close()
        await until('two members cover 3 partitions', lambda: ms[0].owned | ms[1].owned == {0, 1, 2} and not ms[0].owned & ms[1].owned, ms)
        await produce_spread(p, 'b', 30)
        await until('30 more records', lambda: have(seen, 'b', 30), ms)
        await ms[0].close()
        await ms[1].close()
        await produce_spread(p, 'c', 9)
        m4 = await Member('c4', G, seen).start()
        ms.append(m4)
        await until('resume from commits', lambda: have(seen, 'c', 9), ms)
        await asyncio.sleep(1)
    finally:
        for m in ms:
            await m.close()
    no_dups(seen, 69)


async def s_admin_groups():
    a = await admin()
    await create_topic(a, T)
    await send_n(await producer(), 10)
    G = T + '-g'
    c = AIOKafkaConsumer(**BASE, group_id=G, auto_offset_reset='earliest', enable_auto_commit=False)
    c.subscribe([T])
    await c.start()
    try:
        end = time.time() + 30
        done = False
        while not done:
            check(time.time() < end, 'timed out consuming')
            for tp, recs in (await c.getmany(timeout_ms=200)).items():
                if any(r.offset == 6 for r in recs):
                    await c.commit({tp: 7})
                    done = True
    finally:
        await c.stop()

    async def listed():
        return any(g[0] == G for g in await a.list_consumer_groups())
    check(await listed(), f'list_consumer_groups misses {G}')
    [resp] = await a.describe_consumer_groups([G])
    [g] = resp.to_object()['groups']
    eq((g['error_code'], g['group'], g['state'], len(g['members'])), (0, G, 'Empty', 0), 'describe_consumer_groups')
    offs = await a.list_consumer_group_offsets(G)
    eq({(tp.topic, tp.partition): o.offset for tp, o in offs.items()}, {(T, 0): 7}, 'committed offsets')
    r = await a._send_request(DeleteGroupsRequest([G]), await a.find_coordinator(G))
    eq([tuple(x) for x in r.results], [(G, 0)], 'DeleteGroups results')
    check(not await listed(), 'group still listed after delete')


SCENARIOS = {
    'bootstrap': s_bootstrap, 'metadata': s_metadata,
    'produce-acks0': lambda: produce_acks(0), 'produce-acks1': lambda: produce_acks(1), 'produce-acksall': lambda: produce_acks('all'),
    'codecs': s_codecs, 'records': s_records, 'consume-beginning': s_consume_beginning, 'consume-end': s_consume_end,
    'consume-timestamp': s_consume_timestamp, 'admin-topics': s_admin_topics, 'admin-configs': s_admin_configs,
    'admin-partitions': s_admin_partitions, 'admin-delete-records': s_admin_delete_records, 'idempotent': s_idempotent,
    'group-rebalance': s_group_rebalance, 'transactions': s_transactions, 'admin-groups': s_admin_groups,
}


async def main():
    try:
        fn = SCENARIOS.get(opt.scenario)
        if fn is None:
            raise Unsupported(f'aiokafka: scenario {opt.scenario} is not implemented')
        await fn()
        return 0
    except Unsupported as e:
        print(f'{opt.scenario}: {e}', file=sys.stderr)
        return 3
    except BaseException as e:  # noqa: BLE001 - every failure becomes one reason line
        traceback.print_exc()
        print(f'{opt.scenario}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'[:400], file=sys.stderr)
        return 1
    finally:
        for c in reversed(CLOSE):
            try:
                await c()
            except BaseException:  # noqa: BLE001
                pass


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))
