#!/usr/bin/env node
// The structure check (part of `pnpm lint`, so of `pnpm test` and CI): reads every hand-written file of
// packages/*/{src,test,scripts,bin} and fails, naming file and line, on
//   1. an import against the arrows codec ← storage ← broker ← cli: a package's own code (src/, scripts/,
//      bin/; tests aside) imports only the workspace packages below it (storage: codec; broker: codec and
//      storage; the CLI: the broker alone, which re-exports what the CLI needs); its tests (*.test.ts,
//      test/, src/test-support/) may also import itself and anything below, never a package above;
//   2. a relative import that leaves its package: into another package's src/ or dist/ from anywhere
//      (use the package's name and its exports map), or into another package at all from its own code;
//   3. a file over 500 lines (a test over 1,500, as STYLE.md says; generated code aside), except the
//      known offenders below, each held at the length it had when it was listed: the list only shrinks;
//   4. the broker's own code (tests aside) naming a concrete storage class instead of the storage port
//      (storage's port.ts): UnifiedLog, LogManager, MetadataStore, NodeFileSystem, MemoryFileSystem
//      anywhere, and the backends `fileStorage` / `memoryStorage` outside the composition root
//      (start-broker.ts), which picks one; a namespace import of storage counts as naming them all;
//   5. the broker's own code importing broker.ts (the Broker) anywhere but the composition root
//      (start-broker.ts) and the package's index.ts, and a handler (src/handlers/) reaching for a
//      `broker` property (`ctx.broker`, `const { broker } = ctx`): handlers get the services they use
//      from their RequestContext (services.ts), coordinators a Pick of them.
// Import specifiers come from TypeScript's own pre-processor (imports, `export … from`, import(),
// require()), so an import quoted in a comment does not count.
//
//   node scripts/check-boundaries.mjs
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Directory → package name and layer, lowest first. */
const PACKAGES = [
  { dir: "codec", name: "@odradek/codec" },
  { dir: "storage", name: "@odradek/storage" },
  { dir: "broker", name: "@odradek/broker" },
  { dir: "cli", name: "odradek" },
];
/** What a package's own code may import, beyond its own files. */
const ALLOWED = {
  codec: [],
  storage: ["@odradek/codec"],
  broker: ["@odradek/codec", "@odradek/storage"],
  cli: ["@odradek/broker"],
};

const MAX_LINES = 500;
const MAX_TEST_LINES = 1500;
/** Files over MAX_LINES today, with their length when listed: split them and remove them here; never raise a figure. */
const KNOWN_LONG = {};

/** Rule 4: storage names only the broker's composition root may import, and those none may. */
const COMPOSITION_ROOT = "packages/broker/src/start-broker.ts";
const STORAGE_BACKENDS = new Set(["fileStorage", "memoryStorage"]);
const CONCRETE_STORAGE = new Set(["UnifiedLog", "LogManager", "MetadataStore", "NodeFileSystem", "MemoryFileSystem"]);

/** Rule 5: who may import the Broker, and where handlers live. */
const BROKER_MODULE = "packages/broker/src/broker";
const BROKER_IMPORTERS = new Set([COMPOSITION_ROOT, "packages/broker/src/index.ts"]);
const HANDLERS_DIR = "packages/broker/src/handlers/";

/** Positions of `<expr>.broker` and of a `broker` binding destructured from an object, in a file. */
function brokerReaches(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === "broker") out.push(node.name.getStart(sf));
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent) && (node.propertyName ?? node.name).getText(sf) === "broker") out.push(node.getStart(sf));
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The names a file imports or re-exports from `module` ("*" for a namespace import or `export *`), with their positions. */
function namesImportedFrom(file, text, module) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out = [];
  for (const st of sf.statements) {
    const spec = st.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || spec.text !== module) continue;
    if (ts.isImportDeclaration(st)) {
      const b = st.importClause?.namedBindings;
      if (b && ts.isNamespaceImport(b)) out.push({ name: "*", pos: st.getStart(sf) });
      else if (b) for (const e of b.elements) out.push({ name: (e.propertyName ?? e.name).text, pos: e.getStart(sf) });
    } else if (ts.isExportDeclaration(st)) {
      if (!st.exportClause || ts.isNamespaceExport(st.exportClause)) out.push({ name: "*", pos: st.getStart(sf) });
      else for (const e of st.exportClause.elements) out.push({ name: (e.propertyName ?? e.name).text, pos: e.getStart(sf) });
    }
  }
  return out;
}

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const isGenerated = (rel) => rel.split("/").includes("generated");
const isTest = (rel) => /\.test\.[cm]?[jt]s$/.test(rel) || /^packages\/[^/]+\/test\//.test(rel) || rel.includes("/src/test-support/");

function* walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (SOURCE.test(e.name)) yield p;
  }
}

const problems = [];
const notes = [];
const workspaceName = new Set(PACKAGES.map((p) => p.name));
const layerOf = new Map(PACKAGES.map((p, i) => [p.name, i]));

for (const [layer, pkg] of PACKAGES.entries()) {
  const pkgRoot = join(root, "packages", pkg.dir);
  for (const sub of ["src", "test", "scripts", "bin"]) {
    for (const file of walk(join(pkgRoot, sub))) {
      const rel = relative(root, file).split(sep).join("/");
      const text = readFileSync(file, "utf8");
      const test = isTest(rel);
      const lineAt = (pos) => text.slice(0, pos).split("\n").length;

      // 3. length
      if (!isGenerated(rel)) {
        const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
        const max = test ? MAX_TEST_LINES : KNOWN_LONG[rel] ?? MAX_LINES;
        if (lines > max) {
          problems.push(KNOWN_LONG[rel] !== undefined
            ? `${rel}: ${lines} lines, more than the ${max} it had when listed as too long: split it, do not grow it`
            : `${rel}: ${lines} lines (at most ${max}${test ? " for a test" : ""}): split it by concern`);
        }
      }

      // 4. the broker sees storage through its port
      if (pkg.dir === "broker" && !test) {
        for (const { name, pos } of namesImportedFrom(file, text, "@odradek/storage")) {
          const allowed = !CONCRETE_STORAGE.has(name) && name !== "*" && (rel === COMPOSITION_ROOT || !STORAGE_BACKENDS.has(name));
          if (!allowed) {
            problems.push(`${rel}:${lineAt(pos)}: imports ${name === "*" ? "all of @odradek/storage" : name} from @odradek/storage: the broker uses the storage port's interfaces (LogStore, PartitionLog, BrokerMetadataStore, StorageBackend)` +
              (STORAGE_BACKENDS.has(name) ? `; only ${COMPOSITION_ROOT} picks a backend` : ""));
          }
        }
      }

      // 5. handlers see services, not the Broker
      if (rel.startsWith(HANDLERS_DIR)) {
        for (const pos of brokerReaches(file, text)) {
          problems.push(`${rel}:${lineAt(pos)}: a handler reaches for \`broker\`: use the RequestContext's services (services.ts)`);
        }
      }

      // 1 and 2. imports
      const { importedFiles } = ts.preProcessFile(text, true, true);
      for (const { fileName: spec, pos } of importedFiles) {
        const where = `${rel}:${lineAt(pos)}`;
        if (spec.startsWith(".")) {
          const target = relative(root, resolve(dirname(file), spec)).split(sep).join("/");
          if (pkg.dir === "broker" && !test && !BROKER_IMPORTERS.has(rel) && target.replace(/\.[jt]s$/, "") === BROKER_MODULE) {
            problems.push(`${where}: imports the Broker (broker.ts): only ${[...BROKER_IMPORTERS].join(" and ")} may; take the services you use (services.ts)`);
          }
          const m = /^packages\/([^/]+)\/([^/]+)/.exec(target);
          if (!m || m[1] === pkg.dir) continue;
          if (m[2] === "src" || m[2] === "dist") problems.push(`${where}: "${spec}" reaches into packages/${m[1]}/${m[2]}/ by path: import the package by its name`);
          else if (!test) problems.push(`${where}: "${spec}" leaves packages/${pkg.dir}/`);
          continue;
        }
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
        if (!workspaceName.has(name)) continue;
        if (spec !== name) problems.push(`${where}: "${spec}" imports a path inside ${name}: use what its exports map exports`);
        if (name === pkg.name) continue;
        const ok = test ? layerOf.get(name) <= layer : ALLOWED[pkg.dir].includes(name);
        if (!ok) {
          problems.push(`${where}: ${pkg.name} imports ${name}, against codec ← storage ← broker ← cli` +
            (test ? "" : ` (its own code may import: ${ALLOWED[pkg.dir].join(", ") || "no workspace package"})`));
        }
      }
    }
  }
}

for (const [rel, was] of Object.entries(KNOWN_LONG)) {
  let lines = 0;
  try {
    if (statSync(join(root, rel)).isFile()) lines = readFileSync(join(root, rel), "utf8").split("\n").length - 1;
  } catch {}
  if (lines <= MAX_LINES) notes.push(`${rel} is ${lines ? `${lines} lines now` : "gone"}: remove it from KNOWN_LONG in scripts/check-boundaries.mjs (listed at ${was})`);
}

for (const n of notes) console.log(`check-boundaries: note: ${n}`);
if (problems.length) {
  for (const p of problems) console.error(`check-boundaries: ${p}`);
  console.error(`check-boundaries: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log("check-boundaries: imports follow codec ← storage ← broker ← cli; the broker sees storage through its port; only the composition root sees the Broker; no file over its length limit");
