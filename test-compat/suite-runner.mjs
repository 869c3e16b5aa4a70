// The command line and run setup shared by the suite runners (franz-go-kgo/run.mjs,
// kafka-python-it/run.mjs): --kafka, --no-odradek, --timeout S, --out DIR, -h, plus each runner's own
// flags; the compat cache, a log dir per run, progress lines tagged with the runner's name.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolEnv } from './clients.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The command line every compat runner shares (run.mjs and the suite runners): --kafka, --no-odradek,
 * --out DIR, -h / --help (the runner's header comment, lines 2..helpLines), plus the runner's own flags.
 * @param tag      short name for messages ("run.mjs", "kgo", "kpit")
 * @param file     the runner's import.meta.url
 * @param defaults the runner's options with their defaults
 * @param flags    the runner's own flags: name → (opts, value()) => void
 * @returns the options and `die(message)` (exit 2)
 */
export function parseRunnerArgs({ tag, file, helpLines, defaults, flags = {} }) {
  const die = (msg) => { console.error(`${tag}: ${msg}`); process.exit(2); };
  const opts = { kafka: false, odradek: true, ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) die(`${a} needs a value`); return argv[++i]; };
    if (a === '--kafka') opts.kafka = true;
    else if (a === '--no-odradek') opts.odradek = false;
    else if (a === '--out') opts.out = path.resolve(val());
    else if (a === '-h' || a === '--help') { console.log(fs.readFileSync(fileURLToPath(file), 'utf8').split('\n').slice(1, helpLines).join('\n')); process.exit(0); }
    else if (flags[a]) flags[a](opts, val);
    else die(`unknown argument ${a}`);
  }
  return { opts, die };
}

/**
 * parseRunnerArgs with --timeout S, then the run setup of a suite runner.
 * @param tag      short name for messages and the log dir ("kgo", "kpit")
 * @param file     the runner's import.meta.url (its header comment, lines 2..helpLines, is the --help text)
 * @param defaults the runner's options with their defaults (timeout and out included)
 * @param flags    the runner's own flags: name → (opts, value()) => void
 */
export function setupSuiteRun({ tag, file, helpLines, defaults, flags = {} }) {
  const { opts, die } = parseRunnerArgs({ tag, file, helpLines, defaults, flags: { '--timeout': (o, val) => { o.timeout = Number(val()); }, ...flags } });
  const brokerNames = [...(opts.odradek ? ['odradek'] : []), ...(opts.kafka ? ['kafka'] : [])];
  if (!brokerNames.length) die('no broker selected');
  const cache = path.resolve(process.env.COMPAT_CACHE ?? path.join(root, 'test-compat', '.cache', 'compat'));
  const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const logDir = path.join(cache, 'logs', `${tag}-${runId}`);
  fs.mkdirSync(logDir, { recursive: true });
  const t0 = Date.now();
  const say = (m) => console.log(`[${tag} ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)}s] ${m}`);
  return { opts, brokerNames, cache, logDir, say, env: toolEnv(cache), die, t0, runId };
}

/** Rows counted: passed and run (not SKIP), skipped. */
export function countStatuses(rows) {
  const run = rows.filter((r) => r.status !== 'SKIP');
  return { passed: run.filter((r) => r.status === 'PASS').length, run: run.length, skipped: rows.length - run.length };
}

/**
 * The allowlist against odradek's results: `notPassing` lists allowlisted tests this run ran that did
 * not pass on odradek, `passingNotListed` tests that passed on odradek without being allowlisted.
 */
export function compareAllowlist(results, allow, odradekRan) {
  if (!odradekRan) return { notPassing: [], passingNotListed: [] };
  const odr = results.filter((r) => r.broker === 'odradek');
  return {
    notPassing: allow.filter((t) => odr.some((r) => r.test === t) && odr.find((r) => r.test === t).status !== 'PASS'),
    passingNotListed: odr.filter((r) => r.status === 'PASS' && !allow.includes(r.test)).map((r) => r.test),
  };
}

/**
 * Writes a suite run's report: a full run to `out`/latest.{json,md} (committed), a partial one (a
 * selection flag given) to results.json in the run's log dir; then says what the allowlist missed.
 */
export function writeSuiteReport({ report, markdown, out, logDir, partialFlag, say }) {
  if (!partialFlag) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(path.join(out, 'latest.md'), markdown(report));
    say(`wrote ${path.relative(process.cwd(), path.join(out, 'latest.md'))} and latest.json; logs in ${logDir}`);
  } else {
    fs.writeFileSync(path.join(logDir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
    say(`${partialFlag} given: results.json in ${logDir} (the committed results are written by full runs only)`);
  }
  const { notPassing, passingNotListed } = report.allowlist;
  if (notPassing.length) say(`allowlisted but not passing on odradek: ${notPassing.join(', ')}`);
  if (passingNotListed.length) say(`passing on odradek but not in allowlist.txt (add them): ${passingNotListed.join(', ')}`);
}
