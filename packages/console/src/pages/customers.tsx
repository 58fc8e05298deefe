import { useEffect, useState } from 'preact/hooks';
import { query } from '../api.js';
import type { PageProps } from '../main.js';
import { Confirm, ErrorNote } from './parts.js';

interface CustomerEvent {
  type: string;
  action: string;
  identifiers: Record<string, string>;
  data: Record<string, unknown>;
  received_at: string;
}
interface Customer {
  customer_id: string;
  identifiers: Record<string, string[]>;
  event_count: number;
  recent_events: CustomerEvent[];
  segments: string[];
  /** Present when the server pages the timeline. */
  next_cursor?: string | null;
}
export interface Explanation {
  qualified: boolean;
  deciding: string;
  conditions: { path: string; result: boolean; count?: number }[];
  events_examined: number;
  truncated: boolean;
}

export function Customers({ api, params }: PageProps) {
  const [key, setKey] = useState(params.get('key') ?? 'email');
  const [value, setValue] = useState(params.get('value') ?? '');
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [events, setEvents] = useState<CustomerEvent[]>([]);
  const [why, setWhy] = useState<Record<string, Explanation>>({});
  const [error, setError] = useState<Error | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const lookup = async (k: string, v: string) => {
    setError(null);
    setNotice(null);
    setCustomer(null);
    setWhy({});
    try {
      const c = await api<Customer>('GET', `/admin/v1/customers?${query({ key: k, value: v })}`);
      setCustomer(c);
      setEvents(c.recent_events);
      const explained = await Promise.all(
        c.segments.map((s) =>
          api<Explanation>('GET', `/admin/v1/segments/${encodeURIComponent(s)}/explain?${query({ key: k, value: v })}`)
            .then((e) => [s, e] as const)
            .catch(() => null),
        ),
      );
      setWhy(Object.fromEntries(explained.filter((e) => e !== null)));
    } catch (e) {
      setError(e as Error);
    }
  };
  useEffect(() => {
    if (params.get('value')) lookup(key, value);
  }, []);

  const older = async () => {
    if (!customer?.next_cursor) return;
    try {
      const page = await api<Customer>(
        'GET',
        `/admin/v1/customers?${query({ key, value, cursor: customer.next_cursor })}`,
      );
      setEvents([...events, ...page.recent_events]);
      setCustomer({ ...customer, next_cursor: page.next_cursor ?? null });
    } catch (e) {
      setError(e as Error);
    }
  };

  const remove = async () => {
    setConfirming(false);
    try {
      await api('DELETE', `/admin/v1/customers?${query({ key, value })}`);
      setCustomer(null);
      setNotice(`Customer with ${key} = ${value} deleted.`);
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">Customers</h1>
      <form
        class="row wrap"
        onSubmit={(e) => {
          e.preventDefault();
          location.hash = `#/customers?${query({ key, value })}`;
          lookup(key, value);
        }}
      >
        <label>
          Identifier type
          <input value={key} onInput={(e) => setKey(e.currentTarget.value)} list="identifier-types" required />
          <datalist id="identifier-types">
            <option value="email" />
            <option value="vuid" />
            <option value="fs_user_id" />
          </datalist>
        </label>
        <label class="grow">
          Value
          <input value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
        </label>
        <button type="submit">Find</button>
      </form>
      <ErrorNote error={error} />
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      {customer && (
        <article class="customer">
          <div class="row wrap">
            <h2>Customer {customer.customer_id}</h2>
            <button type="button" class="danger" onClick={() => setConfirming(true)}>
              Delete customer…
            </button>
          </div>
          <h3>Identifiers</h3>
          <table>
            <tbody>
              {Object.entries(customer.identifiers).map(([type, values]) => (
                <tr key={type}>
                  <th scope="row">{type}</th>
                  <td>{values.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Segments</h3>
          {customer.segments.length === 0 ? (
            <p class="muted">In no segment.</p>
          ) : (
            <ul class="segments-in">
              {customer.segments.map((s) => (
                <li key={s}>
                  <a href={`#/segments?${query({ name: s })}`}>{s}</a>
                  {why[s] && (
                    <span class="muted">
                      {' '}
                      — decided by <code>{why[s].deciding}</code>
                      {why[s].truncated && ' (over the newest events only)'}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h3>Events ({customer.event_count.toLocaleString()})</h3>
          <ol class="timeline">
            {events.map((e, i) => (
              <li key={`${e.received_at}-${i}`}>
                <time>{new Date(e.received_at).toLocaleString()}</time>
                <span class="tag">
                  {e.type}/{e.action}
                </span>
                {Object.keys(e.data).length > 0 && <code class="data">{JSON.stringify(e.data)}</code>}
              </li>
            ))}
          </ol>
          {customer.next_cursor && (
            <button type="button" onClick={older}>
              Older events
            </button>
          )}
        </article>
      )}
      <Confirm
        open={confirming}
        title="Delete this customer?"
        confirmLabel="Delete"
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Deletes customer {customer?.customer_id}, every identifier stitched to it and all its events. This cannot be
          undone.
        </p>
      </Confirm>
    </section>
  );
}
