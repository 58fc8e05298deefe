import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, session } from '../api.js';
import type { PageProps } from '../main.js';
import { readEventStream } from '../sse.js';

type DataValue = string | number | boolean | null;
interface LiveEvent {
  type: string;
  action: string;
  identifiers: Record<string, string>;
  data: Record<string, DataValue>;
}
type Entry =
  | { id: number; kind: 'event'; at: string; event: LiveEvent; duplicateBatch: boolean }
  | { id: number; kind: 'rejected'; at: string; status: number; reasons: string[] }
  | { id: number; kind: 'dropped'; messages: number };

/** Entries kept on screen; older ones scroll away. */
const MAX_ENTRIES = 500;
const RETRY_MS = 3_000;

function reasonsOf(detail: unknown): string[] {
  const d = detail as { message?: string; invalids?: { event: number; message: string }[] } | null;
  if (d?.invalids) return d.invalids.map((i) => `event ${i.event}: ${i.message}`);
  return [d?.message ?? 'refused'];
}

export function Live(_props: PageProps) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState(0);
  const [status, setStatus] = useState('connecting');
  const [action, setAction] = useState('');
  const [identifier, setIdentifier] = useState('');
  const pausedRef = useRef(false);
  const pending = useRef<Entry[]>([]);
  pausedRef.current = paused;

  useEffect(() => {
    const controller = new AbortController();
    let nextId = 0;
    const add = (list: Entry[]) => {
      if (pausedRef.current) {
        pending.current = [...list.reverse(), ...pending.current].slice(0, MAX_ENTRIES);
        setHeld(pending.current.length);
        return;
      }
      setEntries((old) => [...list.reverse(), ...old].slice(0, MAX_ENTRIES));
    };
    const connect = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        try {
          const res = await fetch('/admin/v1/live', {
            headers: { authorization: `Bearer ${session.get() ?? ''}`, accept: 'text/event-stream' },
            signal: controller.signal,
          });
          if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
          setStatus('live');
          await readEventStream(res, (event, data) => {
            const body = JSON.parse(data);
            if (event === 'accepted') {
              add(
                (body.events as LiveEvent[]).map((e) => ({
                  id: nextId++,
                  kind: 'event',
                  at: body.received_at,
                  event: e,
                  duplicateBatch: body.duplicates > 0,
                })),
              );
            } else if (event === 'rejected') {
              add([
                {
                  id: nextId++,
                  kind: 'rejected',
                  at: body.received_at,
                  status: body.status,
                  reasons: reasonsOf(body.detail),
                },
              ]);
            } else if (event === 'dropped') {
              add([{ id: nextId++, kind: 'dropped', messages: body.messages }]);
            }
          });
          if (!controller.signal.aborted) setStatus('reconnecting');
        } catch (err) {
          if (controller.signal.aborted) return;
          setStatus(err instanceof ApiError ? `refused: ${err.message}` : 'reconnecting');
        }
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    };
    connect();
    return () => controller.abort();
  }, []);

  const togglePause = () => {
    if (paused) {
      setEntries((old) => [...pending.current, ...old].slice(0, MAX_ENTRIES));
      pending.current = [];
      setHeld(0);
    }
    setPaused(!paused);
  };

  const wantAction = action.trim();
  const wantId = identifier.trim().toLowerCase();
  const shown = entries.filter((e) => {
    if (e.kind !== 'event') return wantAction === '' && wantId === '';
    if (wantAction !== '' && e.event.action !== wantAction) return false;
    if (wantId !== '' && !Object.values(e.event.identifiers).some((v) => String(v).toLowerCase().includes(wantId)))
      return false;
    return true;
  });

  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <div class="row wrap">
        <p class="status" role="status">
          Stream: <strong>{status}</strong>
          {held > 0 && ` · ${held} held while paused`}
        </p>
        <button type="button" onClick={togglePause} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <div class="row wrap filters">
        <label>
          Action
          <input value={action} onInput={(e) => setAction(e.currentTarget.value)} placeholder="e.g. purchased" />
        </label>
        <label>
          Identifier
          <input
            value={identifier}
            onInput={(e) => setIdentifier(e.currentTarget.value)}
            placeholder="email, vuid, …"
          />
        </label>
      </div>
      <ol class="feed" aria-live="off">
        {shown.length === 0 && <li class="muted">Waiting for events…</li>}
        {shown.map((e) =>
          e.kind === 'event' ? (
            <li key={e.id} class="event">
              <time>{new Date(e.at).toLocaleTimeString()}</time>
              <span class="tag">
                {e.event.type}/{e.event.action}
              </span>
              <span class="ids">
                {Object.entries(e.event.identifiers)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(' ')}
              </span>
              {Object.keys(e.event.data).length > 0 && <code class="data">{JSON.stringify(e.event.data)}</code>}
            </li>
          ) : e.kind === 'rejected' ? (
            <li key={e.id} class="rejected">
              <time>{new Date(e.at).toLocaleTimeString()}</time>
              <span class="tag bad">rejected {e.status}</span>
              <ul>
                {e.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </li>
          ) : (
            <li key={e.id} class="muted">
              {e.messages} batches were not shown: the page read too slowly.
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
