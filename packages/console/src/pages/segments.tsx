import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { lineOfError, lineOfSyntaxError, linesByPath } from '../json-lines.js';
import type { PageProps } from '../main.js';
import type { Explanation } from './customers.js';
import { Confirm, ErrorNote } from './parts.js';

interface Segment {
  name: string;
  description?: string;
  condition: unknown;
  updatedAt: number;
  /** 'building' while the server fills a new definition's state from history. */
  state?: 'ready' | 'building';
}
interface Counts {
  segments: Record<string, { members: number }>;
  scanned: number;
  complete: boolean;
  computed_at: string | null;
  running: boolean;
}
const COUNT_POLL_MS = 1_000;

interface Problem {
  line: number | null;
  message: string;
}

const TEMPLATE = JSON.stringify(
  {
    name: 'new_segment',
    description: '',
    condition: { event: { action: 'purchased' }, count: { gte: 1 }, within: '30d' },
  },
  null,
  2,
);

function draftOf(s: Segment): string {
  const { name, description, condition } = s;
  return JSON.stringify(description === undefined ? { name, condition } : { name, description, condition }, null, 2);
}

/** The draft as an object, or the problems that stop it being one (with the line each is on). */
function parseDraft(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; problems: Problem[] } {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, problems: [{ line: 1, message: 'the definition must be a JSON object' }] };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (e) {
    const message = (e as Error).message;
    return { ok: false, problems: [{ line: lineOfSyntaxError(text, message), message }] };
  }
}

export function Segments({ api, params }: PageProps) {
  const [segments, setSegments] = useState<Segment[]>([]);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [text, setText] = useState(TEMPLATE);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<Error | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [previewKey, setPreviewKey] = useState('email');
  const [previewValue, setPreviewValue] = useState('');
  const [preview, setPreview] = useState<Explanation | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLPreElement>(null);
  const countTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = async () => {
    try {
      const list = await api<{ segments: Segment[] }>('GET', '/admin/v1/segments');
      setSegments(list.segments);
      const wanted = params.get('name');
      const chosen = list.segments.find((s) => s.name === wanted);
      if (chosen) setText(draftOf(chosen));
      await loadCounts();
    } catch (e) {
      setError(e as Error);
    }
  };
  /** Counts come from a background count: while one runs, ask again shortly. */
  const loadCounts = async () => {
    const c = await api<Counts>('GET', '/admin/v1/segment-counts');
    setCounts(c);
    if (c.running) countTimer.current = setTimeout(() => loadCounts().catch(setError), COUNT_POLL_MS);
  };
  useEffect(() => {
    load();
    return () => clearTimeout(countTimer.current);
  }, []);

  /** Server validation errors (`path: message`) placed on the line their path starts on. */
  const place = (err: unknown): boolean => {
    if (!(err instanceof ApiError) || err.status !== 400 || !err.body?.detail?.errors) return false;
    const lines = linesByPath(text) ?? new Map<string, number>();
    setProblems(err.body.detail.errors.map((message) => ({ line: lineOfError(message, lines), message })));
    return true;
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    const draft = parseDraft(text);
    if (!draft.ok) return setProblems(draft.problems);
    const name = typeof draft.value['name'] === 'string' ? draft.value['name'] : '';
    if (name === '') return setProblems([{ line: 1, message: 'name: is required' }]);
    try {
      await api('PUT', `/admin/v1/segments/${encodeURIComponent(name)}`, draft.value);
      setProblems([]);
      setNotice(`Saved ${name}.`);
      await load();
    } catch (err) {
      if (!place(err)) setError(err as Error);
    }
  };

  const runPreview = async () => {
    setError(null);
    setPreview(null);
    const draft = parseDraft(text);
    if (!draft.ok) return setProblems(draft.problems);
    try {
      setPreview(
        await api<Explanation>('POST', '/admin/v1/segments/preview', {
          segment: draft.value,
          customer: { key: previewKey, value: previewValue },
        }),
      );
      setProblems([]);
    } catch (err) {
      if (!place(err)) setError(err as Error);
    }
  };

  const remove = async (name: string) => {
    setDeleting(null);
    try {
      await api('DELETE', `/admin/v1/segments/${encodeURIComponent(name)}`);
      setNotice(`Deleted ${name}.`);
      await load();
    } catch (err) {
      setError(err as Error);
    }
  };

  const lineCount = text.split('\n').length;
  const bad = new Set(problems.map((p) => p.line));
  const gutterText = Array.from({ length: lineCount }, (_, i) => `${bad.has(i + 1) ? '●' : ' '}${i + 1}`).join('\n');
  const goTo = (line: number) => {
    const el = editor.current;
    if (el === null) return;
    const offset =
      text
        .split('\n')
        .slice(0, line - 1)
        .join('\n').length + (line > 1 ? 1 : 0);
    el.focus();
    el.setSelectionRange(offset, offset + (text.split('\n')[line - 1]?.length ?? 0));
  };

  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">Segments</h1>
      <ErrorNote error={error} />
      {notice && (
        <p class="ok" role="status">
          {notice}
        </p>
      )}
      <div class="split">
        <div>
          <h2>Defined</h2>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Members</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {segments.map((s) => (
                <tr key={s.name}>
                  <td>
                    <button type="button" class="link" onClick={() => setText(draftOf(s))}>
                      {s.name}
                    </button>
                    {s.description && <div class="muted small">{s.description}</div>}
                    {s.state === 'building' && <div class="muted small">building its state from history…</div>}
                  </td>
                  <td data-testid={`members-${s.name}`}>
                    {counts?.segments[s.name] === undefined
                      ? '…'
                      : `${counts.segments[s.name]?.members.toLocaleString()}${counts.complete ? '' : '+'}`}
                  </td>
                  <td>
                    <button type="button" class="quiet" onClick={() => setDeleting(s.name)}>
                      Delete<span class="sr-only"> {s.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {counts && (
            <p class="muted small">
              {counts.computed_at === null
                ? 'Counting members in the background…'
                : `Counted over ${counts.scanned.toLocaleString()} customers at ${new Date(counts.computed_at).toLocaleTimeString()}${counts.complete ? '' : ' (the count stops there: “+” means at least)'}.`}{' '}
              <button type="button" class="link" onClick={load}>
                Refresh
              </button>
            </p>
          )}
          <button type="button" onClick={() => setText(TEMPLATE)}>
            New segment
          </button>
        </div>
        <form onSubmit={save} class="editor-form">
          <h2>
            <label for="definition">Definition</label>
          </h2>
          <div class="editor">
            <pre ref={gutter} class="gutter" aria-hidden="true">
              {gutterText}
            </pre>
            <textarea
              id="definition"
              ref={editor}
              spellcheck={false}
              rows={18}
              value={text}
              aria-invalid={problems.length > 0}
              aria-describedby="definition-problems"
              onInput={(e) => setText(e.currentTarget.value)}
              onScroll={(e) => {
                if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
              }}
            />
          </div>
          <ul id="definition-problems" class="problems" aria-live="polite">
            {problems.map((p) => (
              <li key={p.message}>
                {p.line !== null && (
                  <button type="button" class="link" onClick={() => goTo(p.line as number)}>
                    Line {p.line}
                  </button>
                )}{' '}
                {p.message}
              </li>
            ))}
          </ul>
          <fieldset>
            <legend>Preview against a customer</legend>
            <div class="row wrap">
              <label>
                Identifier type
                <input value={previewKey} onInput={(e) => setPreviewKey(e.currentTarget.value)} />
              </label>
              <label class="grow">
                Value
                <input value={previewValue} onInput={(e) => setPreviewValue(e.currentTarget.value)} />
              </label>
              <button type="button" onClick={runPreview}>
                Preview
              </button>
            </div>
            {preview && (
              <p role="status">
                {preview.qualified ? 'In the segment' : 'Not in the segment'}, decided by{' '}
                <code>{preview.deciding}</code>
                {` (${preview.events_examined} events examined${preview.truncated ? ', the newest only' : ''}).`}
              </p>
            )}
          </fieldset>
          <div class="row">
            <button type="submit">Save</button>
          </div>
        </form>
      </div>
      <Confirm
        open={deleting !== null}
        title={`Delete segment ${deleting ?? ''}?`}
        confirmLabel="Delete"
        onConfirm={() => deleting && remove(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>GraphQL stops answering it at once.</p>
      </Confirm>
    </section>
  );
}
