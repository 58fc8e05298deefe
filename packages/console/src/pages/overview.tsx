import { useEffect, useState } from 'preact/hooks';
import { Chart } from '../chart.js';
import type { PageProps } from '../main.js';
import { ErrorNote } from './parts.js';

interface Overview {
  customers: number;
  events: number;
  oldest_event_kept: string | null;
  store: string;
  version: string;
  counted_since: string;
  per_minute: { t: number[]; accepted: number[]; rejected: number[]; duplicates: number[]; merges: number[] };
}

const REFRESH_MS = 15_000;

export function Overview({ api }: PageProps) {
  const [window, setWindow] = useState<'hour' | 'day'>('hour');
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      api<Overview>('GET', `/admin/v1/overview?window=${window}`, undefined, controller.signal)
        .then((d) => {
          setData(d);
          setError(null);
        })
        .catch((e: Error) => controller.signal.aborted || setError(e));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, [api, window]);

  const m = data?.per_minute;
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ErrorNote error={error} />
      {data && (
        <dl class="stats">
          <div>
            <dt>Customers</dt>
            <dd>{data.customers.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Events stored</dt>
            <dd>{data.events.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Oldest event kept</dt>
            <dd>{data.oldest_event_kept ? new Date(data.oldest_event_kept).toLocaleString() : '—'}</dd>
          </div>
          <div>
            <dt>Store</dt>
            <dd>
              {data.store} · v{data.version}
            </dd>
          </div>
        </dl>
      )}
      <fieldset class="row bare">
        <legend class="sr-only">Chart window</legend>
        <button type="button" aria-pressed={window === 'hour'} onClick={() => setWindow('hour')}>
          Last hour
        </button>
        <button type="button" aria-pressed={window === 'day'} onClick={() => setWindow('day')}>
          Last day
        </button>
      </fieldset>
      {m && (
        <Chart
          title="Per minute"
          t={m.t}
          series={[
            { label: 'accepted', color: '#2f80ed', values: m.accepted },
            { label: 'rejected', color: '#eb5757', values: m.rejected },
            { label: 'duplicates', color: '#f2994a', values: m.duplicates },
            { label: 'merges', color: '#27ae60', values: m.merges },
          ]}
        />
      )}
      {data && (
        <p class="muted small">
          Per-minute counts are kept in memory by this server node since {new Date(data.counted_since).toLocaleString()}
          ; rejected counts refused requests.
        </p>
      )}
    </section>
  );
}
