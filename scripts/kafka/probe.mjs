#!/usr/bin/env node
// Helpers for start.sh (plain Node, no dependencies).
//   node probe.mjs free-ports N          -> N distinct free TCP ports on 127.0.0.1, one per line
//   node probe.mjs api-versions HOST:PORT -> exit 0 once an ApiVersions v0 round trip succeeds
//   node probe.mjs uuid                  -> a random Kafka Uuid (base64url, 22 chars) for a cluster id
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const [cmd, arg] = process.argv.slice(2);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// One ApiVersions v0 request: header v1 (apiKey, apiVersion, correlationId, clientId), empty body.
function apiVersions(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const clientId = Buffer.from('odradek-probe');
    const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
    let o = 0;
    o = frame.writeInt32BE(frame.length - 4, o);
    o = frame.writeInt16BE(18, o); // ApiVersions
    o = frame.writeInt16BE(0, o);
    o = frame.writeInt32BE(0x0dad, o);
    o = frame.writeInt16BE(clientId.length, o);
    clientId.copy(frame, o);
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (ok) => { clearTimeout(timer); sock.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write(frame));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        // response: int32 correlationId, int16 errorCode, ...
        done(buf.readInt32BE(4) === 0x0dad && buf.readInt16BE(8) === 0);
      }
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

if (cmd === 'free-ports') {
  const n = Number(arg ?? 1);
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  console.log([...ports].join('\n'));
} else if (cmd === 'api-versions') {
  const i = arg.lastIndexOf(':');
  const ok = await apiVersions(arg.slice(0, i), Number(arg.slice(i + 1)), 2000);
  process.exit(ok ? 0 : 1);
} else if (cmd === 'uuid') {
  // Kafka rejects the all-zero Uuid and Uuids whose base64 starts with '-'.
  let id;
  do { id = randomBytes(16).toString('base64url'); } while (id.startsWith('-'));
  console.log(id);
} else {
  console.error('usage: probe.mjs free-ports N | api-versions HOST:PORT | uuid');
  process.exit(2);
}
