// Bundle size of what an application pays for each entry of @odpkit/sdk, beside the official Optimizely browser SDK
// and posthog-js, all measured the same way: a small app bundled with esbuild --bundle --minify (ESM, target
// es2022), then gzip -9. Run after `npm run build` (it bundles the built package through its exports):
//   flock /tmp/odpkit-bench.lock node bench/sdk-size/run.mjs
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = new URL('.', import.meta.url).pathname;

const APPS = [
  {
    name: '@odpkit/sdk browser, events only (vuid on)',
    platform: 'browser',
    code: `import { createOdpClient } from '@odpkit/sdk';
      const c = createOdpClient({ odp: { apiKey: 'k', apiHost: 'https://odp.example' }, vuid: true });
      c.sendOdpEvent('page_view', {});`,
  },
  {
    name: '@odpkit/sdk browser, events + segments',
    platform: 'browser',
    code: `import { createOdpClient } from '@odpkit/sdk';
      import { createUserContext } from '@odpkit/sdk/segments';
      const c = createOdpClient({ odp: { apiKey: 'k', apiHost: 'https://odp.example', segmentsToCheck: ['s'] }, vuid: true });
      c.sendOdpEvent('page_view', {});
      const u = createUserContext(c);
      u.fetchQualifiedSegments().then(() => console.log(u.isQualifiedFor('s')));`,
  },
  {
    name: '@odpkit/sdk worker/default, events only',
    platform: 'neutral',
    conditions: ['worker', 'import'],
    code: `import { createOdpClient } from '@odpkit/sdk';
      const c = createOdpClient({ odp: { apiKey: 'k', apiHost: 'https://odp.example' } });
      c.sendOdpEvent('page_view', { fs_user_id: 'u' });`,
  },
  {
    name: '@odpkit/sdk node, events only',
    platform: 'node',
    code: `import { createOdpClient } from '@odpkit/sdk';
      const c = createOdpClient({ odp: { apiKey: 'k', apiHost: 'https://odp.example' } });
      c.sendOdpEvent('page_view', { fs_user_id: 'u' });`,
  },
  {
    name: '@optimizely/optimizely-sdk browser, ODP events (instance + config + ODP + vuid)',
    platform: 'browser',
    code: `import { createInstance, createPollingProjectConfigManager, createOdpManager, createVuidManager } from '@optimizely/optimizely-sdk';
      const o = createInstance({
        projectConfigManager: createPollingProjectConfigManager({ sdkKey: 'k' }),
        odpManager: createOdpManager(),
        vuidManager: createVuidManager({ enableVuid: true }),
      });
      o.onReady().then(() => o.sendOdpEvent('page_view'));`,
  },
  {
    name: 'posthog-js browser, capture only',
    platform: 'browser',
    code: `import posthog from 'posthog-js';
      posthog.init('phc_k', { api_host: 'https://ph.example' });
      posthog.capture('page_view');`,
  },
];

const rows = [];
for (const app of APPS) {
  const result = await build({
    stdin: { contents: app.code, resolveDir: here, sourcefile: 'app.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: app.platform,
    ...(app.conditions ? { conditions: app.conditions, mainFields: ['module', 'main'] } : {}),
    external: app.platform === 'node' ? ['node:*'] : [],
    write: false,
    logLevel: 'error',
    // Resolve the package as an application would (its exports), not through this repository's tsconfig paths.
    tsconfigRaw: '{}',
  });
  const bytes = result.outputFiles[0].contents;
  rows.push({ name: app.name, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
}

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
console.log('| app | minified | gzip |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.name} | ${kb(r.min)} | ${kb(r.gzip)} |`);
