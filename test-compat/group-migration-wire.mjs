#!/usr/bin/env node
// Not part of the matrix: the KIP-848 migration as raw requests (the codec's encoder, no client
// library), the same sequence to odradek and to Apache Kafka 4.4, answers compared step by step:
// a classic group upgraded by a ConsumerGroupHeartbeat, its classic member revoking through
// JoinGroup/SyncGroup, errors a classic member gets inside a consumer group, the admin views, the
// downgrade when the consumer-protocol member leaves, and the refusals (another protocol type, another
// epoch). Assignments are compared by size (the two brokers' uniform assignors may pick other
// partitions). Prints one line per step, `same` or both answers; exit 1 on a difference not listed
// in KNOWN (differences of odradek's consumer groups in general, not of the migration).
//
//   node test-compat/group-migration-wire.mjs            # starts both brokers itself
//   node test-compat/group-migration-wire.mjs --odradek-only
//   node test-compat/group-migration-wire.mjs --config group.consumer.assignment.interval.ms=0   # both brokers
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiKey, ErrorCode, FrameDecoder, Reader, Writer, decodeResponse, encodeRequest, readConsumerProtocolAssignment, writeConsumerProtocolAssignment, writeConsumerProtocolSubscription } from '../packages/codec/dist/index.js';
import { startKafka, startOdradek } from './brokers.mjs';

/**
 * Steps where odradek answers otherwise, and why (none today). Timing: both brokers run with
 * group.consumer.assignment.interval.ms at its default (1000 ms) unless --config sets it, and the
 * sequence runs well within that interval, so on both the classic member's join into 'wire-static'
 * leaves the target stale and the static replacement downgrades with a rebalance (joiner generation 0).
 */
const KNOWN = {};

const errName = new Map(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const TOPIC = 'wire-mt';

class Client {
  static connect(hostPort) {
    const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  constructor(socket) {
    this.socket = socket;
    this.decoder = new FrameDecoder(1 << 30);
    this.pending = new Map();
    this.next = 1;
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) {
        const p = this.pending.get(frame.readInt32BE(0));
        this.pending.delete(frame.readInt32BE(0));
        p.resolve(decodeResponse(p.apiKey, p.version, frame).body);
      }
    });
  }
  request(apiKey, version, body) {
    const correlationId = this.next++;
    const frame = encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'wire' }, body);
    return new Promise((resolve) => {
      this.pending.set(correlationId, { apiKey, version, resolve });
      const size = Buffer.alloc(4);
      size.writeInt32BE(frame.length);
      this.socket.write(Buffer.concat([size, frame]));
    });
  }
  close() { this.socket.end(); }
}

function subscription(owned) {
  const w = new Writer(64);
  w.int16(1);
  writeConsumerProtocolSubscription(w, 1, { topics: [TOPIC], userData: null, ownedPartitions: owned.length ? [{ topic: TOPIC, partitions: owned }] : [] });
  return w.toBuffer();
}
function assignment(partitions) {
  const w = new Writer(64);
  w.int16(1);
  writeConsumerProtocolAssignment(w, 1, { assignedPartitions: [{ topic: TOPIC, partitions }], userData: null });
  return w.toBuffer();
}
function partitionsOf(bytes) {
  if (!bytes || bytes.length === 0) return [];
  const r = new Reader(Buffer.from(bytes));
  const v = r.int16();
  return readConsumerProtocolAssignment(r, v).assignedPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the sequence on one broker; returns [step, observed] pairs. */
async function scenario(bootstrap) {
  const c = await Client.connect(bootstrap);
  const out = [];
  const note = (step, v) => out.push([step, JSON.stringify(v)]);
  const group = 'wire-g';
  await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1 }], timeoutMs: 10000 });
  for (let i = 0; i < 100; i++) {
    const f = await c.request(ApiKey.FindCoordinator, 6, { keyType: 0, coordinatorKeys: [group, 'wire-connect', 'wire-empty'] });
    if (f.coordinators.every((x) => x.errorCode === 0)) break;
    await sleep(200);
  }
  const classic = { memberId: '', gen: -1, owned: [] };
  const join = async (owned, groupId = group, m = classic, protocolType = 'consumer') => {
    for (;;) {
      const r = await c.request(ApiKey.JoinGroup, 9, { groupId, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: m.memberId, groupInstanceId: null, protocolType, protocols: [{ name: 'cooperative-sticky', metadata: subscription(owned) }], reason: null });
      if (r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.NOT_COORDINATOR) { await sleep(200); continue; }
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) { m.memberId = r.memberId; continue; }
      if (r.errorCode === 0) { m.memberId = r.memberId; m.gen = r.generationId; }
      return { error: errName.get(r.errorCode), generation: r.generationId, protocol: r.protocolName, leaderIsMe: r.leader === m.memberId, leaderEmpty: r.leader === '', members: r.members.length };
    }
  };
  const sync = async (assignments = [], groupId = group, m = classic) => {
    const r = await c.request(ApiKey.SyncGroup, 5, { groupId, generationId: m.gen, memberId: m.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments });
    if (r.errorCode === 0) m.owned = partitionsOf(r.assignment);
    return { error: errName.get(r.errorCode), protocol: r.protocolName, partitions: m.owned.length };
  };
  const heartbeat = async (gen = classic.gen, memberId = classic.memberId, groupId = group) => errName.get((await c.request(ApiKey.Heartbeat, 4, { groupId, generationId: gen, memberId, groupInstanceId: null })).errorCode);
  const consumer = { id: 'wire-consumer-member-0001', epoch: 0, owned: [] };
  let topicId = '';
  const cgh = async (epoch = consumer.epoch, groupId = group, memberId = consumer.id) => {
    const r = await c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId, memberId, memberEpoch: epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: epoch === 0 ? 30000 : -1,
      subscribedTopicNames: epoch === 0 ? [TOPIC] : null, subscribedTopicRegex: null, serverAssignor: null,
      topicPartitions: epoch === 0 ? [] : epoch < 0 ? null : [{ topicId, partitions: consumer.owned }],
    });
    if (r.errorCode === 0 && epoch >= 0 && memberId === consumer.id) {
      consumer.epoch = r.memberEpoch;
      if (r.assignment) {
        consumer.owned = r.assignment.topicPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b);
        topicId = r.assignment.topicPartitions[0]?.topicId ?? topicId;
      }
    }
    return { error: errName.get(r.errorCode), epoch: r.memberEpoch, partitions: memberId === consumer.id ? consumer.owned.length : null };
  };
  const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  topicId = md.topics[0].topicId;

  note('classic join (leader, generation 1)', await join([]));
  note('classic sync (all 4)', await sync([{ memberId: classic.memberId, assignment: assignment([0, 1, 2, 3]) }]));
  note('consumer heartbeat epoch 0: upgrade', await cgh(0));
  note('classic heartbeat after upgrade', await heartbeat());
  note('classic rejoin owning 4', await join(classic.owned));
  note('classic sync', await sync());
  note('classic heartbeat while revoking', await heartbeat());
  note('consumer heartbeat (partitions not released)', await cgh());
  note('classic rejoin owning what it kept', await join(classic.owned));
  note('classic sync', await sync());
  note('classic heartbeat', await heartbeat());
  note('consumer heartbeat (gets the rest)', await cgh());
  note('all partitions owned once', [...classic.owned, ...consumer.owned].sort().join(','));
  const d = (await c.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false })).groups[0];
  note('ConsumerGroupDescribe', { error: errName.get(d.errorCode), state: d.groupState, groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, memberTypes: d.members.map((m) => m.memberType).sort(), epochs: d.members.map((m) => m.memberEpoch).sort() });
  const dg = (await c.request(ApiKey.DescribeGroups, 6, { groups: [group], includeAuthorizedOperations: false })).groups[0];
  note('DescribeGroups v6 on the consumer group', { error: errName.get(dg.errorCode), message: dg.errorMessage, state: dg.groupState });
  const lg = (await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })).groups.find((g) => g.groupId === group);
  note('ListGroups', lg && { type: lg.groupType, state: lg.groupState, protocolType: lg.protocolType });
  const commit = async (gen) => errName.get((await c.request(ApiKey.OffsetCommit, 8, { groupId: group, generationIdOrMemberEpoch: gen, memberId: classic.memberId, groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: classic.owned[0], committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] })).topics[0].partitions[0].errorCode);
  note('classic OffsetCommit v8 at its epoch', await commit(classic.gen));
  note('classic OffsetCommit v8 at an old generation', await commit(classic.gen - 1));
  note('classic heartbeat at an old generation', await heartbeat(classic.gen - 1));
  note('Heartbeat naming the consumer member', await heartbeat(consumer.epoch, consumer.id));
  const bad = await c.request(ApiKey.SyncGroup, 5, { groupId: group, generationId: classic.gen, memberId: classic.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  note('SyncGroup with another protocol name', errName.get(bad.errorCode));
  const r = await c.request(ApiKey.JoinGroup, 9, { groupId: group, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription([]) }], reason: null });
  note('JoinGroup with a protocol the classic members lack', errName.get(r.errorCode));
  note('consumer leaves (-1): downgrade', await cgh(-1));
  const lg2 = (await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })).groups.find((g) => g.groupId === group);
  note('ListGroups after the downgrade', lg2 && { type: lg2.groupType, state: lg2.groupState, protocolType: lg2.protocolType });
  note('classic heartbeat after the downgrade', await heartbeat());
  note('classic rejoin (sole member)', await join(classic.owned));
  note('classic sync (leader assigns all 4)', await sync([{ memberId: classic.memberId, assignment: assignment([0, 1, 2, 3]) }]));
  const dg2 = (await c.request(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
  note('DescribeGroups v5 after the downgrade', { state: dg2.groupState, protocolType: dg2.protocolType, protocol: dg2.protocolData, members: dg2.members.length });
  const cd2 = (await c.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false })).groups[0];
  note('ConsumerGroupDescribe after the downgrade', errName.get(cd2.errorCode));

  const connect = { memberId: '', gen: -1, owned: [] };
  note('classic join, protocol type connect', await join([], 'wire-connect', connect, 'connect'));
  note('consumer heartbeat epoch 0 on it', (await cgh(0, 'wire-connect', 'wire-other-member-0001')).error);
  note('consumer heartbeat epoch 3 on a classic consumer group', (await cgh(3, group, 'wire-other-member-0002')).error);
  const empty = { memberId: '', gen: -1, owned: [] };
  await join([], 'wire-empty', empty);
  await sync([{ memberId: empty.memberId, assignment: assignment([0, 1, 2, 3]) }], 'wire-empty', empty);
  const lv = await c.request(ApiKey.LeaveGroup, 5, { groupId: 'wire-empty', members: [{ memberId: empty.memberId, groupInstanceId: null, reason: null }] });
  note('leave: the classic group is empty', errName.get(lv.members[0].errorCode));
  note('consumer heartbeat epoch 0 on the empty classic group', await cgh(0, 'wire-empty', 'wire-other-member-0003'));
  const lg3 = (await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })).groups.find((g) => g.groupId === 'wire-empty');
  note('ListGroups: the empty group', lg3 && { type: lg3.groupType, protocolType: lg3.protocolType });

  // A static consumer-protocol member restarted as a classic one (same instance id) replaces itself: the last
  // consumer-protocol member is gone, so the group is downgraded at once.
  const sg = 'wire-static';
  await c.request(ApiKey.FindCoordinator, 6, { keyType: 0, coordinatorKeys: [sg] });
  const sc = await c.request(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: sg, memberId: 'wire-static-member-0001', memberEpoch: 0, instanceId: 'wire-instance', rackId: null, rebalanceTimeoutMs: 30000, subscribedTopicNames: [TOPIC], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
  note('static consumer member joins', { error: errName.get(sc.errorCode), epoch: sc.memberEpoch });
  const k1 = { memberId: '', gen: -1, owned: [] };
  note('classic member joins it', await join([], sg, k1));
  const replacing = { memberId: '', gen: -1, owned: [] };
  const sj = await c.request(ApiKey.JoinGroup, 9, { groupId: sg, sessionTimeoutMs: 30000, rebalanceTimeoutMs: 30000, memberId: '', groupInstanceId: 'wire-instance', protocolType: 'consumer', protocols: [{ name: 'cooperative-sticky', metadata: subscription([]) }], reason: null });
  if (sj.errorCode === 0) { replacing.memberId = sj.memberId; replacing.gen = sj.generationId; }
  note('classic static member replaces it', { error: errName.get(sj.errorCode), generation: sj.generationId, leaderEmpty: sj.leader === '', members: sj.members.length });
  const lg4 = (await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })).groups.find((g) => g.groupId === sg);
  note('ListGroups after the replacement', lg4 && { type: lg4.groupType, state: lg4.groupState });
  const ss = await c.request(ApiKey.SyncGroup, 5, { groupId: sg, generationId: replacing.gen, memberId: replacing.memberId, groupInstanceId: 'wire-instance', protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments: [] });
  note('its SyncGroup', { error: errName.get(ss.errorCode), partitions: partitionsOf(ss.assignment).length });
  c.close();
  return out;
}

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-migration-wire-'));
const config = process.argv.filter((a, i) => process.argv[i - 1] === '--config');
const odradek = await startOdradek(logDir, { set: config });
let results;
try {
  results = [await scenario(odradek.bootstrap)];
} finally {
  await odradek.stop();
}
if (!process.argv.includes('--odradek-only')) {
  const kafka = await startKafka(logDir, { config });
  try {
    results.push(await scenario(kafka.bootstrap));
  } finally {
    await kafka.stop();
  }
}
let diffs = 0;
let unexplained = 0;
for (let i = 0; i < results[0].length; i++) {
  const [step, o] = results[0][i];
  const k = results[1]?.[i]?.[1];
  if (k === undefined) console.log(`${step}: ${o}`);
  else if (k === o) console.log(`same  ${step}: ${o}`);
  else {
    diffs++;
    if (!KNOWN[step]) unexplained++;
    console.log(`${KNOWN[step] ? 'KNOWN' : 'DIFF '} ${step}:\n        odradek ${o}\n        kafka   ${k}${KNOWN[step] ? `\n        (${KNOWN[step]})` : ''}`);
  }
}
console.log(results[1] ? `${results[0].length - diffs} of ${results[0].length} steps answered the same, ${diffs - unexplained} known differences, ${unexplained} others; logs in ${logDir}` : `logs in ${logDir}`);
process.exit(unexplained ? 1 : 0);
