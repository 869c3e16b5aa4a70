// Two kafka-tools scenarios (issue #18), imported by scenarios.mjs:
//   log-dirs        kafka-log-dirs --describe, and kafka-reassign-partitions moving a partition to
//                   another log dir (to the same dir when the broker has only one), --verify, the
//                   partition's records unchanged; a move to a path that is not a log dir is refused.
//   broker-configs  kafka-configs --entity-type brokers --alter / --describe / --delete-config, for
//                   the node (--entity-name) and the cluster default (--entity-default): a dynamic
//                   change acts on a topic without an override; a read-only config is refused.
// Each prints RESULT lines (the tools' normalized answers) that kafka-tools/log-dirs-run.mjs
// compares between odradek and Kafka 4.4.
import fs from 'node:fs';
import path from 'node:path';

export function adminDirScenarios({ tool, create, produce, consume, offsetAt, check, eq, eventually, tmp, T }) {
  const result = (what, value) => process.stdout.write(`RESULT ${JSON.stringify({ what, value })}\n`);
  async function describeDirs() {
    const { out } = await tool('LogDirsCommand', ['--describe', '--topic-list', T]);
    const json = out.split('\n').find((l) => l.startsWith('{'));
    check(json, `kafka-log-dirs printed no JSON: ${out.trim().slice(-300)}`);
    const brokers = JSON.parse(json).brokers;
    check(brokers.length === 1, `expected one broker, got ${brokers.length}`);
    return { broker: brokers[0].broker, dirs: brokers[0].logDirs };
  }
  const where = (dirs, partition) => dirs.filter((d) => d.partitions.some((p) => p.partition === `${T}-${partition}` && !p.isFuture)).map((d) => d.logDir);
  const reassign = (args, o) => tool('reassign.ReassignPartitionsCommand', args, o);

  async function logDirs() {
    await create(T, 4);
    const { broker, dirs } = await describeDirs();
    check(dirs.every((d) => d.error === null), `a log dir reports an error: ${JSON.stringify(dirs).slice(0, 300)}`);
    for (let p = 0; p < 4; p++) eq(where(dirs, p).length, 1, `${T}-${p} is in exactly one log dir`);
    const spread = dirs.map((d) => d.partitions.filter((p) => p.partition.startsWith(`${T}-`)).length);
    if (dirs.length === 2) eq(spread, [2, 2], 'partitions per log dir');
    result('log dirs and partitions per dir', { dirs: dirs.length, spread });
    await produce(Array.from({ length: 40 }, (_, i) => `k-${i}:v-${i}`));
    const end = await offsetAt(-1);
    const before = await consume(end);
    const from = where(dirs, 0)[0];
    const to = dirs.map((d) => d.logDir).find((d) => d !== from) ?? from;
    const plan = path.join(tmp, 'move.json');
    fs.writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: T, partition: 0, replicas: [broker], log_dirs: [to] }] }));
    const exec = await reassign(['--execute', '--reassignment-json-file', plan]);
    check(exec.out.includes(`Successfully started moving log directory to ${to} for replica ${T}-0 with broker ${broker}`), `--execute: ${exec.out.trim().slice(-300)}`);
    const verify = async () => /Reassignment of replica \S+ completed successfully\./.test((await reassign(['--verify', '--reassignment-json-file', plan])).out);
    await eventually(verify, true, '--verify reports the log dir move completed', 30000);
    const after = await describeDirs();
    eq(where(after.dirs, 0), [to], `${T}-0's log dir after the move`);
    check(after.dirs.every((d) => d.partitions.every((p) => !p.isFuture)), 'a future replica is left after the move');
    eq(await offsetAt(-1), end, `${T}-0's end offset after the move`);
    eq(await consume(end), before, `${T}-0's records after the move`);
    result('move to another dir', { moved: to !== from, verified: true, records: before.length });
    fs.writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: T, partition: 1, replicas: [broker], log_dirs: ['/nonexistent/log-dir'] }] }));
    const bad = await reassign(['--execute', '--reassignment-json-file', plan], { ok: false });
    const said = `${bad.out}\n${bad.err}`;
    check(bad.code !== 0 && /LogDirNotFoundException/.test(said), `a move to a path that is not a log dir: exit ${bad.code}: ${said.trim().slice(-300)}`);
    result('move to a path that is not a log dir', { refused: true, error: /LogDirNotFoundException: ([^\n]*)/.exec(said)?.[1]?.trim() });
  }

  const configs = (args, o) => tool('ConfigCommand', ['--entity-type', 'brokers', ...args], o);
  const dynamicLines = (out) => out.split('\n').filter((l) => /^\s+\S+=/.test(l)).map((l) => l.trim());

  async function brokerConfigs() {
    const { out: ids } = await tool('BrokerApiVersionsCommand', []);
    const id = /\(id: (\d+)/.exec(ids)?.[1];
    check(id, `no broker id in kafka-broker-api-versions: ${ids.slice(0, 200)}`);
    await create(T, 1);
    const set = await configs(['--entity-name', id, '--alter', '--add-config', 'log.retention.ms=123456789']);
    check(set.out.includes(`Completed updating config for broker ${id}.`), `--alter: ${set.out.trim()}`);
    const perBroker = async () => dynamicLines((await configs(['--entity-name', id, '--describe'])).out);
    await eventually(async () => (await perBroker()).some((l) => l.startsWith('log.retention.ms=123456789 ')), true, 'per-broker dynamic config described');
    result('per-broker describe', await perBroker());
    const def = await configs(['--entity-default', '--alter', '--add-config', 'log.segment.bytes=1048576,log.retention.ms=1000']);
    check(def.out.includes('Completed updating default config for brokers in the cluster.'), `--entity-default --alter: ${def.out.trim()}`);
    // Only what this scenario sets: Kafka 4.4 formats its storage with min.insync.replicas as a cluster default (ELR).
    const clusterDefault = async () => dynamicLines((await configs(['--entity-default', '--describe'])).out).filter((l) => /^log\.(segment\.bytes|retention\.ms)=/.test(l));
    await eventually(async () => (await clusterDefault()).length, 2, 'cluster-default dynamic configs described');
    result('cluster-default describe', await clusterDefault());
    const topicValue = async (k) => new RegExp(`^\\s*${k.replace(/\./g, '\\.')}=(\\S*)`, 'm').exec((await tool('ConfigCommand', ['--entity-type', 'topics', '--entity-name', T, '--describe', '--all'])).out)?.[1];
    await eventually(() => topicValue('retention.ms'), '123456789', `${T}'s retention.ms follows the per-broker value`);
    await eventually(() => topicValue('segment.bytes'), '1048576', `${T}'s segment.bytes follows the cluster default`);
    await configs(['--entity-name', id, '--alter', '--delete-config', 'log.retention.ms']);
    await eventually(() => topicValue('retention.ms'), '1000', `${T}'s retention.ms back to the cluster default`);
    const ro = await configs(['--entity-name', id, '--alter', '--add-config', 'log.retention.hours=1'], { ok: false });
    const said = `${ro.out}\n${ro.err}`;
    check(ro.code !== 0 && said.includes('Cannot update these configs dynamically: [log.retention.hours]'), `a read-only config: exit ${ro.code}: ${said.trim().slice(-300)}`);
    result('read-only refused', /InvalidRequestException: ([^\n]*)/.exec(said)?.[1]?.trim() ?? said.trim().split('\n').slice(-1)[0]);
    await configs(['--entity-default', '--alter', '--delete-config', 'log.segment.bytes,log.retention.ms']);
    await eventually(async () => (await clusterDefault()).length, 0, 'cluster-default dynamic configs deleted');
  }

  return { 'log-dirs': logDirs, 'broker-configs': brokerConfigs };
}
