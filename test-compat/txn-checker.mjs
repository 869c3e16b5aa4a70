// Issue #16 item 5: the exactly-once checker (test-compat/eos's odradek.eos.Checker, Java client 4.4)
// run after every client's `transactions` scenario, on the broker that scenario used.
//
// Every client library's `transactions` scenario (not kafka-tools', which drives the kafka-transactions tool) writes, to partition 0 of its topic, the values t1-0..t1-4
// (committed), t2-0..t2-4 (aborted) and t3-0..t3-4 (committed). The checker then reads the topic with
// read_committed and proves: t1-* and t3-* each seen exactly once and in that order, no t2-* and no
// other value (a surfaced control record would be one), the last stable offset reaches the high
// watermark (no transaction left open); a second read with read_uncommitted must show all 15.
// A checker failure turns the scenario's PASS into a FAIL with the checker's reasons.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { javaBuild } from './clients.mjs';

const vals = (p) => Array.from({ length: 5 }, (_, i) => `${p}-${i}`);
let build;

function java(cache, args, logFile, timeoutMs) {
  const cp = `${path.join(cache, 'eos', 'classes')}:${path.join(cache, 'eos', 'libs')}/*`;
  const argv = ['-Xmx256m', '-XX:+UseSerialGC', '-cp', cp, 'odradek.eos.Checker', ...args];
  return new Promise((resolve) => {
    let out = '';
    const child = spawn('java', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const done = (code) => {
      clearTimeout(timer);
      fs.writeFileSync(logFile, `$ java ${argv.join(' ')}\n# exit ${code}\n${out}`);
      const m = /^RESULT (.*)$/m.exec(out);
      let result = null;
      try { result = m ? JSON.parse(m[1]) : null; } catch {}
      resolve({ code, out, result });
    };
    child.on('error', (e) => { out += String(e); done(-1); });
    child.on('close', (code) => done(code ?? -1));
  });
}

/**
 * Runs the checker on `topic` at `bootstrap`. Returns { ok, detail } (ok null when the checker
 * cannot run here: no JDK/Maven, reason in detail).
 */
export async function checkTransactions({ here, cache, logDir, bootstrap, topic, tag }) {
  build ??= javaBuild(cache, 'eos', path.join(here, 'eos'));
  const b = await build;
  if (!b.ok) return { ok: null, detail: `checker not run: ${b.reason}` };
  const files = {
    committed: [...vals('t1'), ...vals('t3')].map((v) => `0\t${v}`),
    aborted: vals('t2'),
    all: [...vals('t1'), ...vals('t2'), ...vals('t3')].map((v) => `0\t${v}`),
  };
  const f = (k) => {
    const file = path.join(logDir, `${tag}.checker-${k}.txt`);
    fs.writeFileSync(file, `${files[k].join('\n')}\n`);
    return file;
  };
  const rc = await java(cache, ['--bootstrap', bootstrap, '--topic', topic, '--expect-file', f('committed'), '--forbid-file', f('aborted'), '--wait', '30'],
    path.join(logDir, `${tag}.checker-rc.log`), 120_000);
  const ru = await java(cache, ['--bootstrap', bootstrap, '--topic', topic, '--isolation', 'read_uncommitted', '--expect-file', f('all'), '--wait', '10'],
    path.join(logDir, `${tag}.checker-ru.log`), 120_000);
  const why = (r) => r.result?.failures?.join('; ') || r.out.trim().split('\n').pop()?.slice(0, 300) || `exit ${r.code}`;
  if (rc.code !== 0) return { ok: false, detail: `checker (read_committed): ${why(rc)}` };
  if (ru.code !== 0) return { ok: false, detail: `checker (read_uncommitted): ${why(ru)}` };
  return { ok: true, detail: `checker: read_committed ${rc.result?.seen} of ${ru.result?.seen} records, ${rc.result?.uncommittedOnly} aborted hidden, order kept, LSO = HW` };
}
