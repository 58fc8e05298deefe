// Summaries of V8 CPU profiles (node --cpu-prof): where a server's time went, by frame and by origin.

import { readFileSync } from 'node:fs';
import { repoRoot } from './paths.mjs';

/** Self-time shares of a .cpuprofile: top frames (of non-idle samples) and the share of GC. */
export function summariseProfile(file, top = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    self.set(n, (self.get(n) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const frames = new Map();
  let busy = 0;
  for (const [n, us] of self) {
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    busy += us;
    const file = !f.url
      ? ''
      : /-server-\d+\/[^/]+\.js$/.test(f.url)
        ? `server bundle/${f.url.split('/').pop()}`
        : f.url
            .replace(/^file:\/\//, '')
            .replace(/.*node_modules\//, '')
            .replace(`${repoRoot}/`, '');
    const key =
      `${f.functionName || '(anonymous)'} ${file ? `${file.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`.trim();
    frames.set(key, (frames.get(key) ?? 0) + us);
  }
  const total = p.endTime - p.startTime;
  const list = [...frames.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  // Coarse buckets by origin.
  const buckets = new Map();
  for (const [n, us] of self) {
    const f = n.callFrame;
    if (f.functionName === '(idle)') continue;
    const u = f.url || '';
    const b =
      /^\(/.test(f.functionName) && !u
        ? f.functionName
        : /better-sqlite3/.test(u)
          ? 'better-sqlite3'
          : /node_modules\/pg/.test(u)
            ? 'pg (driver)'
            : /node_modules\/graphql/.test(u)
              ? 'graphql-js'
              : /node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify)/.test(u)
                ? 'fastify'
                : /node_modules/.test(u)
                  ? 'other node_modules'
                  : /-server-\d+\/[^/]+\.js|packages\/server/.test(u)
                    ? 'odpkit server code'
                    : u.startsWith('node:')
                      ? 'node core JS'
                      : !u
                        ? 'native C++ (socket writes, SQLite statements, JSON.parse, …)'
                        : 'other';
    buckets.set(b, (buckets.get(b) ?? 0) + us);
  }
  return {
    seconds: total / 1e6,
    busyShare: busy / total,
    top: list.map(([k, us]) => ({ frame: k, share: us / busy })),
    buckets: [...buckets.entries()].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ bucket: k, share: us / busy })),
  };
}

/** "by origin — a 60%, b 19%, …; top frames — `f` 39.4%, …" of a summariseProfile() result. */
export function profileText(summary, { origins = 8, frames = 10 } = {}) {
  const byOrigin = summary.buckets
    .slice(0, origins)
    .map((b) => `${b.bucket} ${(b.share * 100).toFixed(0)}%`)
    .join(', ');
  const top = summary.top
    .slice(0, frames)
    .map((f) => `\`${f.frame}\` ${(f.share * 100).toFixed(1)}%`)
    .join(', ');
  return `by origin — ${byOrigin}; top frames — ${top}`;
}
