// Starting and stopping the two brokers for run.mjs and the suite runners (franz-go-kgo/, kafka-python-it/):
// odradek in memory on a free port (its "ready on HOST:PORT" line), Apache Kafka 4.4 through
// scripts/kafka/start.sh, and a connection-counting TCP relay to put in front of either.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './clients.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * odradek --memory --port 0 [--set k=v ...]; its stdout and stderr go to logDir/odradek.log. `preload`
 * modules are loaded with node's --import before the broker (diagnostics subscribers), `env` is added.
 * With `dataDir` it keeps its data there instead (and appends to its log), on `port` when given, so
 * test-compat/eos/ can SIGKILL it (`kill()`) and start it again on the same directory and address.
 */
export async function startOdradek(logDir, { set = [], preload = [], env = {}, dataDir = null, port = 0 } = {}) {
  if (!fs.existsSync(path.join(root, 'packages', 'cli', 'dist', 'main.js'))) {
    throw new Error('packages/cli/dist is missing: run `pnpm install` at the repo root first');
  }
  const log = fs.openSync(path.join(logDir, 'odradek.log'), dataDir ? 'a' : 'w');
  const storage = dataDir ? ['--data-dir', dataDir] : ['--memory'];
  const child = spawn(process.execPath, [...preload.flatMap((m) => ['--import', m]), path.join(root, 'packages', 'cli', 'bin', 'odradek.js'), ...storage, '--port', String(port), ...set.flatMap((c) => ['--set', c])],
    { cwd: root, stdio: ['ignore', 'pipe', log], env: { ...process.env, ...env } });
  const bootstrap = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('odradek did not print its ready line within 30 s')), 30_000);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`odradek exited with ${code} before ready (${logDir}/odradek.log)`)); });
    child.stdout.on('data', (d) => {
      fs.writeSync(log, d);
      buf += d;
      const m = /ready\b.*?(\d+\.\d+\.\d+\.\d+|localhost|\[[^\]]+\]):(\d+)/.exec(buf);
      if (m) { clearTimeout(timer); resolve(`${m[1]}:${m[2]}`); }
    });
  });
  child.stdout.removeAllListeners('data');
  child.stdout.on('data', (d) => fs.writeSync(log, d));
  return {
    name: 'odradek', bootstrap, version: `odradek (${dataDir ? 'data dir' : '--memory'})`, pid: child.pid,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

/**
 * Apache Kafka 4.4 (KRaft, one node) in a fresh temp dir; kafka.log is copied to logDir on stop.
 * `restartOf` (a previous result, killed) starts it again on its data directory and ports.
 */
export async function startKafka(logDir, { heap = '-Xms256m -Xmx768m', config = [], restartOf = null } = {}) {
  const scripts = path.join(root, 'scripts', 'kafka');
  const dataDir = restartOf?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'compat-kafka-'));
  const ports = restartOf ? ['--port', restartOf.bootstrap.split(':')[1], '--controller-port', restartOf.controllerPort] : [];
  const args = ['--data-dir', dataDir, ...ports, ...config.flatMap((c) => ['--config', c])];
  if (restartOf) { try { fs.appendFileSync(path.join(logDir, 'kafka.log'), fs.readFileSync(path.join(dataDir, 'kafka.log'))); } catch {} }
  const r = await sh(path.join(scripts, 'start.sh'), args, { env: { KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? heap }, timeoutMs: 300_000 });
  fs.appendFileSync(path.join(logDir, 'kafka-start.log'), r.out);
  const m = /^ready (\S+)$/m.exec(r.out);
  if (r.code !== 0 || !m) throw new Error(`scripts/kafka/start.sh failed (exit ${r.code}): ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
  const pid = Number(fs.readFileSync(path.join(dataDir, 'kafka.pid'), 'utf8'));
  const controllerPort = /^KAFKA_CONTROLLER_PORT=(\d+)$/m.exec(fs.readFileSync(path.join(dataDir, 'kafka.env'), 'utf8'))?.[1];
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  return {
    name: 'kafka', bootstrap: m[1], version: 'Apache Kafka 4.4.0 (KRaft, single node)', dataDir, controllerPort, pid,
    alive,
    /** SIGKILL of the JVM (kill -9), resolved once it is gone. */
    kill: async () => {
      try { process.kill(pid, 'SIGKILL'); } catch {}
      while (alive()) await new Promise((r) => setTimeout(r, 100));
    },
    stop: async () => {
      try { fs.appendFileSync(path.join(logDir, 'kafka.log'), fs.readFileSync(path.join(dataDir, 'kafka.log'))); } catch {}
      await sh(path.join(scripts, 'stop.sh'), ['--data-dir', dataDir, '--clean'], { timeoutMs: 90_000 });
    },
  };
}

/**
 * A TCP relay on 127.0.0.1:0 forwarding to target (HOST:PORT) that counts the connections it
 * accepted. Used as a suite's seed address: a test that never connected did not use the broker.
 */
export async function relay(target) {
  const i = target.lastIndexOf(':');
  const host = target.slice(0, i);
  const port = Number(target.slice(i + 1));
  const sockets = new Set();
  const state = { connections: 0, address: '', close: async () => {} };
  const server = net.createServer((c) => {
    state.connections++;
    const u = net.connect(port, host);
    sockets.add(c);
    sockets.add(u);
    c.pipe(u).pipe(c);
    const end = () => { c.destroy(); u.destroy(); sockets.delete(c); sockets.delete(u); };
    for (const s of [c, u]) { s.on('error', end); s.on('close', end); }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.address = `127.0.0.1:${server.address().port}`;
  state.close = () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); });
  return state;
}
