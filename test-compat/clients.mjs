// The client catalogue of the compatibility matrix: how each real client is installed (pinned, from
// its own registry, into the cache) and how one scenario is run. Used by run.mjs.
//
// Contract of every scenario program:
//   <program> --bootstrap HOST:PORT --scenario NAME --topic T
// exit 0 = PASS; anything else = FAIL, with the reason on the last line of stderr.
// Exit code 3 = the client cannot do this scenario (shown as SKIP with the reason).
//
// Every download lands under the cache (default test-compat/.cache/compat, env COMPAT_CACHE):
// the clients and the registries' own caches (npm, pip, Maven repository, Go modules and build
// cache), so a fresh cache measures a fresh machine and CI can cache that one directory.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const CORE = [
  'bootstrap', 'metadata', 'produce-acks0', 'produce-acks1', 'produce-acksall', 'codecs', 'records',
  'consume-beginning', 'consume-end', 'consume-timestamp', 'admin-topics', 'admin-configs',
  'admin-partitions', 'admin-delete-records', 'idempotent',
];
const GROUPS = ['group-rebalance', 'cooperative-sticky', 'kip848', 'transactions', 'admin-groups'];
/** Share groups (KIP-932): java's KafkaShareConsumer scenarios (ShareScenarios.java). */
const SHARE_JAVA = ['share-implicit', 'share-explicit', 'share-consumer-kill', 'share-release-archive', 'share-read-committed', 'share-record-limit'];

/** Runs a command; resolves with {code, out} (stdout+stderr interleaved). Never rejects. */
export function sh(cmd, args, { env, cwd, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      resolve({ code: -1, out: String(err) });
      return;
    }
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (err) => { clearTimeout(timer); resolve({ code: -1, out: out + String(err) }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 : -1), out }); });
  });
}

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) { h.update(f); h.update(fs.readFileSync(f)); }
  return h.digest('hex');
}
function stampOk(stamp, want) {
  try { return fs.readFileSync(stamp, 'utf8') === want; } catch { return false; }
}
function lastLines(text, n = 6) {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 600);
}
async function need(cmd, args = ['--version']) {
  const r = await sh(cmd, args, { timeoutMs: 30_000 });
  return r.code === 0;
}

/**
 * Builds a Maven module of test-compat (`<src>/pom.xml`, sources under `<src>/src/main/java`) into
 * `$cache/<name>`: `libs/` (mvn dependency:copy-dependencies, Maven repository in the cache) and
 * `classes/` (javac). A stamp of the pom's and sources' hash skips both when nothing changed.
 */
export async function javaBuild(cache, name, src) {
  if (!(await need('mvn', ['-v']))) return { ok: false, reason: 'mvn not found' };
  if (!(await need('javac', ['-version']))) return { ok: false, reason: 'javac (JDK 17+) not found' };
  const dir = path.join(cache, name);
  const pom = path.join(src, 'pom.xml');
  const sources = fs.readdirSync(path.join(src, 'src', 'main', 'java'), { recursive: true })
    .filter((f) => f.endsWith('.java')).sort().map((f) => path.join(src, 'src', 'main', 'java', f));
  const want = hashFiles([pom, ...sources]);
  const stamp = path.join(dir, '.installed');
  if (stampOk(stamp, want) && fs.existsSync(path.join(dir, 'classes'))) return { ok: true, cached: true };
  const libs = path.join(dir, 'libs');
  let r = await sh('mvn', ['-q', '-B', '-f', pom, `-Dmaven.repo.local=${path.join(cache, 'tool', 'm2')}`,
    'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`], { env: { MAVEN_OPTS: '-Xmx512m' } });
  if (r.code !== 0) return { ok: false, reason: `mvn dependency:copy-dependencies failed: ${lastLines(r.out)}` };
  fs.rmSync(path.join(dir, 'classes'), { recursive: true, force: true });
  r = await sh('javac', ['-J-Xmx512m', '-nowarn', '-d', path.join(dir, 'classes'), '-cp', `${libs}/*`, ...sources]);
  if (r.code !== 0) return { ok: false, reason: `javac failed: ${lastLines(r.out)}` };
  fs.writeFileSync(stamp, want);
  return { ok: true };
}

/** Tool-cache environment: registries' caches inside the compat cache. */
export function toolEnv(cache) {
  return {
    npm_config_cache: path.join(cache, 'tool', 'npm'),
    PIP_CACHE_DIR: path.join(cache, 'tool', 'pip'),
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    GOMODCACHE: path.join(cache, 'tool', 'gomod'),
    GOCACHE: path.join(cache, 'tool', 'gobuild'),
    GOFLAGS: '-modcacherw',
    // a local Go older than a go.mod's `go` line fetches that toolchain (a module on the Go proxy) into GOMODCACHE
    GOTOOLCHAIN: 'auto',
  };
}

export function clients(here, cache) {
  const env = toolEnv(cache);
  // PyPI packages go to a venv $cache/<venv> from <dir>/requirements.txt.
  async function venvInstall(venvName, dir) {
    if (!(await need('python3'))) return { ok: false, reason: 'python3 not found' };
    const venv = path.join(cache, venvName);
    const req = path.join(here, dir, 'requirements.txt');
    const want = hashFiles([req]);
    const stamp = path.join(venv, '.installed');
    if (stampOk(stamp, want) && fs.existsSync(path.join(venv, 'bin', 'python'))) return { ok: true, cached: true };
    let r = await sh('python3', ['-m', 'venv', venv], { env });
    if (r.code !== 0) return { ok: false, reason: `python3 -m venv failed (apt-get install python3-venv?): ${lastLines(r.out, 2)}` };
    r = await sh(path.join(venv, 'bin', 'pip'), ['install', '-q', '-r', req], { env });
    if (r.code !== 0) return { ok: false, reason: `pip install failed: ${lastLines(r.out)}` };
    fs.writeFileSync(stamp, want);
    return { ok: true };
  }
  // Go modules in <name>/ are built once to $cache/<name>/compat-<name>.
  async function goBuild(name) {
    if (!(await need('go', ['version']))) return { ok: false, reason: 'go not found' };
    const src = path.join(here, name);
    const files = fs.readdirSync(src).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f)).sort().map((f) => path.join(src, f));
    const want = hashFiles(files);
    const bin = path.join(cache, name, `compat-${name}`);
    const stamp = path.join(cache, name, '.installed');
    if (stampOk(stamp, want) && fs.existsSync(bin)) return { ok: true, cached: true };
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const r = await sh('go', ['build', '-o', bin, '.'], { cwd: src, env });
    if (r.code !== 0) return { ok: false, reason: `go build failed: ${lastLines(r.out)}` };
    fs.writeFileSync(stamp, want);
    return { ok: true };
  }
  // npm packages go to $cache/<name> with `npm install --prefix`, from <name>/npm-deps.json.
  async function npmInstall(name, main) {
    if (!(await need('npm'))) return { ok: false, reason: 'npm not found' };
    const dir = path.join(cache, name);
    const src = path.join(here, name, 'npm-deps.json');
    const want = hashFiles([src]);
    const stamp = path.join(dir, '.installed');
    if (stampOk(stamp, want) && fs.existsSync(path.join(dir, 'node_modules', main))) return { ok: true, cached: true };
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(src, path.join(dir, 'package.json'));
    const r = await sh('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts'], { env });
    if (r.code !== 0) return { ok: false, reason: `npm install failed: ${lastLines(r.out)}` };
    fs.writeFileSync(stamp, want);
    return { ok: true };
  }
  const all = {
    kafkajs: {
      registry: 'npm',
      pin: 'kafkajs 2.2.4 (+ kafkajs-snappy, lz4js, @bokuweb/zstd-wasm codecs)',
      scenarios: [...CORE, 'group-rebalance', 'transactions', 'admin-groups'],
      // cooperative-sticky and KIP-848 do not exist in kafkajs.
      async install() { return npmInstall('kafkajs', 'kafkajs'); },
      command: () => ['node', [path.join(here, 'kafkajs', 'scenarios.mjs'), '--deps', path.join(cache, 'kafkajs')]],
    },

    platformatic: {
      registry: 'npm',
      pin: '@platformatic/kafka 2.12.1',
      scenarios: [...CORE, 'kip848', 'transactions', 'admin-groups'],
      // Its consumer always joins a group, so partition reads use Consumer.fetch. Not group-rebalance: with the
      // classic protocol a commit requested during a rebalance is queued and sent after the rejoin, so the next
      // owner re-reads what was processed (duplicates against Kafka too); cooperative-sticky not written.
      async install() { return npmInstall('platformatic', '@platformatic/kafka'); },
      command: () => ['node', [path.join(here, 'platformatic', 'scenarios.mjs'), '--deps', path.join(cache, 'platformatic')]],
    },

    kcat: {
      registry: 'Debian',
      pin: 'kcat (Debian package, whatever the distribution ships)',
      scenarios: ['bootstrap', 'metadata', 'produce-acks0', 'produce-acks1', 'produce-acksall', 'codecs', 'records',
        'consume-beginning', 'consume-end', 'consume-timestamp', 'idempotent'],
      // kcat has no admin API (topics come from auto-creation) and no group/transaction commands we can assert on.
      async install() {
        if (await need('kcat', ['-V'])) return { ok: true, cached: true };
        if (!(await need('apt-get'))) return { ok: false, reason: 'kcat not installed and no apt-get' };
        let r = await sh('apt-get', ['install', '-y', '-q', 'kcat'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
        if (r.code !== 0) {
          await sh('apt-get', ['update', '-q'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
          r = await sh('apt-get', ['install', '-y', '-q', 'kcat'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
        }
        if (r.code !== 0) return { ok: false, reason: `apt-get install kcat failed: ${lastLines(r.out, 2)}` };
        return { ok: true };
      },
      async version() {
        const r = await sh('kcat', ['-V']);
        const m = /Version (\S+).*?librdkafka (\S+)/s.exec(r.out);
        return m ? `kcat ${m[1]}, librdkafka ${m[2]}` : '';
      },
      command: () => ['node', [path.join(here, 'kcat', 'scenarios.mjs')]],
    },

    'confluent-kafka': {
      registry: 'PyPI',
      pin: 'confluent-kafka 2.16.1 (bundled librdkafka 2.x)',
      scenarios: [...CORE, 'record-errors', ...GROUPS, 'share-consume'],
      async install() { return venvInstall('venv', 'confluent-kafka'); },
      command: () => [path.join(cache, 'venv', 'bin', 'python'), [path.join(here, 'confluent-kafka', 'scenarios.py')]],
    },

    'kafka-python': {
      registry: 'PyPI',
      pin: 'kafka-python 3.0.12 (+ python-snappy, lz4, zstandard)',
      scenarios: [...CORE, 'group-rebalance', 'cooperative-sticky', 'transactions', 'admin-groups'],
      // no KIP-848 consumer protocol in kafka-python.
      async install() { return venvInstall('venv-kafka-python', 'kafka-python'); },
      command: () => [path.join(cache, 'venv-kafka-python', 'bin', 'python'), [path.join(here, 'kafka-python', 'scenarios.py')]],
    },

    aiokafka: {
      registry: 'PyPI',
      pin: 'aiokafka 0.14.0 (+ cramjam codecs)',
      scenarios: [...CORE, 'group-rebalance', 'transactions', 'admin-groups'],
      // asyncio client with its own protocol stack; its admin has no IncrementalAlterConfigs and no DeleteGroups;
      // no cooperative protocol and no KIP-848 in aiokafka.
      async install() { return venvInstall('venv-aiokafka', 'aiokafka'); },
      command: () => [path.join(cache, 'venv-aiokafka', 'bin', 'python'), [path.join(here, 'aiokafka', 'scenarios.py')]],
    },

    java: {
      registry: 'Maven Central',
      pin: 'org.apache.kafka:kafka-clients 4.4.0 (producer, consumer, AdminClient, KafkaShareConsumer)',
      scenarios: [...CORE, ...GROUPS, 'group-migration', 'txn-timeout', ...SHARE_JAVA],
      install: () => javaBuild(cache, 'java', path.join(here, 'java')),
      command: () => ['java', ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
        '-cp', `${path.join(cache, 'java', 'classes')}:${path.join(cache, 'java', 'libs')}/*`, 'odradek.compat.Scenarios']],
    },

    'franz-go': {
      registry: 'Go module proxy',
      pin: 'github.com/twmb/franz-go v1.22.3 (kgo) + pkg/kadm v1.20.0',
      scenarios: [...CORE, 'group-rebalance', 'cooperative-sticky', 'transactions', 'admin-groups', 'admin-plane', 'admin-broker-configs', 'admin-log-dirs'],
      // KIP-848 in franz-go is a hidden opt-in, not part of its public API.
      async install() { return goBuild('franz-go'); },
      command: () => [path.join(cache, 'franz-go', 'compat-franz-go'), []],
    },

    sarama: {
      registry: 'Go module proxy',
      pin: 'github.com/IBM/sarama v1.61.1 (config.Version 4.0)',
      scenarios: [...CORE, 'group-rebalance', 'transactions', 'admin-groups'],
      // sarama's ConsumerGroup has no cooperative protocol and no KIP-848.
      async install() { return goBuild('sarama'); },
      command: () => [path.join(cache, 'sarama', 'compat-sarama'), []],
    },

    'kafka-go': {
      registry: 'Go module proxy',
      pin: 'github.com/segmentio/kafka-go v0.4.51 (kafka.Client)',
      scenarios: [...CORE.filter((s) => s !== 'admin-delete-records' && s !== 'idempotent'), 'group-rebalance', 'admin-groups'],
      // kafka-go has no DeleteRecords, no idempotent or transactional producer, no cooperative protocol, no KIP-848.
      async install() { return goBuild('kafka-go'); },
      command: () => [path.join(cache, 'kafka-go', 'compat-kafka-go'), []],
    },

    'confluent-kafka-go': {
      registry: 'Go module proxy',
      pin: 'github.com/confluentinc/confluent-kafka-go/v2 v2.11.1 (cgo, bundled static librdkafka)',
      scenarios: [...CORE, ...GROUPS],
      // links the librdkafka_glibc_linux_amd64.a the module ships (needs gcc for cgo, no system librdkafka).
      async install() {
        if (!(await need('gcc'))) return { ok: false, reason: 'gcc not found (cgo links the bundled librdkafka)' };
        return goBuild('confluent-kafka-go');
      },
      async version() {
        const r = await sh(path.join(cache, 'confluent-kafka-go', 'compat-confluent-kafka-go'), ['--version']);
        return r.code === 0 ? `librdkafka ${r.out.trim()}` : '';
      },
      command: () => [path.join(cache, 'confluent-kafka-go', 'compat-confluent-kafka-go'), []],
    },

    'kafka-tools': {
      registry: 'Maven Central',
      pin: 'Apache Kafka 4.4.0 command-line tools (kafka-tools jar, via scripts/kafka/tool.sh)',
      scenarios: [...CORE, 'admin-groups', 'admin-elect-reassign', 'admin-kraft', 'api-versions', 'transactions', 'share-verifiable', 'share-admin', 'group-configs', 'log-dirs', 'broker-configs'],
      async install() {
        const r = await sh(path.join(here, '..', 'scripts', 'kafka', 'fetch.sh'), [], { env: { MAVEN_OPTS: '-Xmx512m' } });
        return r.code === 0 ? { ok: true, cached: !/resolving/.test(r.out) } : { ok: false, reason: `scripts/kafka/fetch.sh failed: ${lastLines(r.out)}` };
      },
      command: () => ['node', [path.join(here, 'kafka-tools', 'scenarios.mjs')]],
    },
  };
  // the five priority clients first, then the others
  const order = ['kafkajs', 'kcat', 'confluent-kafka', 'java', 'franz-go', 'platformatic', 'kafka-python', 'aiokafka', 'sarama', 'kafka-go', 'confluent-kafka-go', 'kafka-tools'];
  return Object.fromEntries(order.map((n) => [n, all[n]]));
}
