// Preloaded into odradek by run.mjs (`node --import test-compat/versions-seen.mjs`): records which API
// versions clients used, from the broker's `odradek:request` diagnostics channel. On SIGUSR2 it
// appends the window since the last one to the file named by ODRADEK_VERSIONS_SEEN, as one JSON line
// `{ "<apiKey>": [versions...] , ... , "software": [names...] }`, and starts a new window. run.mjs
// runs one scenario at a time, so each window is one (client, scenario).
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const out = process.env.ODRADEK_VERSIONS_SEEN;
let seen = new Map();
let software = new Set();
subscribe('odradek:request', (t) => {
  let s = seen.get(t.apiKey);
  if (!s) seen.set(t.apiKey, (s = new Set()));
  s.add(t.apiVersion);
  if (t.clientSoftwareName) software.add(`${t.clientSoftwareName} ${t.clientSoftwareVersion ?? ''}`.trim());
});
process.on('SIGUSR2', () => {
  const w = Object.fromEntries([...seen].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
  w.software = [...software];
  if (out) appendFileSync(out, JSON.stringify(w) + '\n');
  seen = new Map();
  software = new Set();
});
