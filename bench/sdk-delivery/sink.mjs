// The sink: one plain node:http server on 127.0.0.1 that every SDK under test delivers to.
// It runs in its own child process (forked by run.mjs) so that its CPU is never charged to an SDK.
//
// It understands the body format of each SDK:
//   POST /v3/events  (odpkit, @optimizely/optimizely-sdk)  JSON array of events, `data.seq`
//   POST /v1/batch   (@segment/analytics-node)             {batch:[…]}, `properties.seq`
//   POST /batch/     (posthog-node)                         {api_key, batch:[…]}, `properties.seq`, often gzip
// Every benchmark event carries a sequence number `seq` (0 … events-1), so the sink counts unique events with a
// bitmap: lost = sent − unique received, duplicates = received − unique.
//
// Control is over the IPC channel: {cmd:'reset', events} starts a new run, {cmd:'stats'} answers with the counters.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { gunzipSync, inflateSync } from 'node:zlib';

const now = () => performance.timeOrigin + performance.now();

let run = newRun(0);

function newRun(events) {
  return {
    events,
    seen: new Uint8Array(events),
    unique: 0,
    received: 0, // benchmark events received, duplicates included
    otherEvents: 0, // events without a valid seq (e.g. SDK-generated events)
    requests: 0,
    connections: 0,
    openConnections: 0,
    peakOpenConnections: 0,
    bytes: 0,
    gzipRequests: 0,
    badRequests: 0,
    firstEventAt: 0,
    lastEventAt: 0,
    paths: {},
  };
}

function eventsOf(body) {
  if (Array.isArray(body)) return body; // ODP: odpkit and the official SDK
  if (body && Array.isArray(body.batch)) return body.batch; // Segment and PostHog
  return null;
}

function seqOf(event) {
  if (!event || typeof event !== 'object') return undefined;
  const bag = event.data ?? event.properties;
  return bag && typeof bag === 'object' ? bag.seq : undefined;
}

function record(raw, encoding, url) {
  let buf = raw;
  if (encoding === 'gzip') {
    buf = gunzipSync(raw);
    run.gzipRequests++;
  } else if (encoding === 'deflate') {
    buf = inflateSync(raw);
  }
  const events = eventsOf(JSON.parse(buf.toString('utf8')));
  if (!events) return false;
  const at = now();
  let counted = 0;
  for (const event of events) {
    const seq = seqOf(event);
    if (Number.isInteger(seq) && seq >= 0 && seq < run.events) {
      run.received++;
      counted++;
      if (run.seen[seq] === 0) {
        run.seen[seq] = 1;
        run.unique++;
      }
    } else {
      run.otherEvents++;
    }
  }
  if (counted > 0) {
    if (run.firstEventAt === 0) run.firstEventAt = at;
    run.lastEventAt = at;
  }
  run.paths[url] = (run.paths[url] ?? 0) + 1;
  return true;
}

// What each API answers on success (the SDKs ignore the body, but answer like the real thing).
function reply(url) {
  if (url.startsWith('/v3/events')) return [202, '{"title":"Accepted","status":202}'];
  if (url.startsWith('/v1/batch')) return [200, '{"success":true}'];
  if (url.startsWith('/batch')) return [200, '{"status":"Ok"}'];
  return [200, '{}'];
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    run.requests++;
    const raw = Buffer.concat(chunks);
    run.bytes += raw.length;
    let ok = false;
    if (req.method === 'POST') {
      try {
        ok = record(raw, req.headers['content-encoding'], req.url);
      } catch {
        ok = false;
      }
    }
    if (!ok && req.method === 'POST') run.badRequests++;
    const [status, body] = reply(req.url);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.on('connection', (socket) => {
  const r = run;
  r.connections++;
  r.openConnections++;
  if (r.openConnections > r.peakOpenConnections) r.peakOpenConnections = r.openConnections;
  socket.on('close', () => {
    r.openConnections--;
  });
});

function stats() {
  const { seen: _seen, ...rest } = run;
  return { ...rest, now: now() };
}

process.on('message', (msg) => {
  if (msg.cmd === 'reset') {
    run = newRun(msg.events);
    process.send({ id: msg.id, ok: true });
  } else if (msg.cmd === 'stats') {
    process.send({ id: msg.id, stats: stats() });
  } else if (msg.cmd === 'exit') {
    server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

// Node's defaults apart from the listen backlog, which is raised to the kernel's limit (somaxconn) so that an SDK
// that opens thousands of connections at once is measured, not the sink's accept queue.
server.listen({ host: '127.0.0.1', port: 0, backlog: 65535 }, () => {
  process.send({ ready: true, port: server.address().port });
});
