/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, a plain line every few seconds
 * otherwise (logs, CI), and always a final line.
 */
export interface ProgressState {
  events: number;
  rejected: number;
  /** Bytes of the input read so far, and its size (0 when unknown). */
  bytes: number;
  totalBytes: number;
}

const WIDTH = 24;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function describeProgress(p: ProgressState, elapsedMs: number, bar: boolean): string {
  const rate = elapsedMs > 0 ? (p.events * 1000) / elapsedMs : 0;
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
  const eta = fraction > 0 ? (elapsedMs / 1000) * ((1 - fraction) / fraction) : Number.POSITIVE_INFINITY;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const parts = [
    `${n(p.events)} events`,
    `${n(rate)} events/s`,
    `${(fraction * 100).toFixed(1)}%`,
    `ETA ${clock(eta)}`,
    `rejected ${n(p.rejected)}`,
  ];
  if (!bar) return parts.join(', ');
  const filled = Math.round(fraction * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${parts.join('  ')}`;
}

export function startProgress(state: ProgressState, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const started = Date.now();
  const draw = () => {
    const text = describeProgress(state, Date.now() - started, tty);
    stream.write(tty ? `\r${text}\u001b[K` : `${text}\n`);
  };
  const timer = setInterval(draw, tty ? 200 : 5_000).unref();
  return {
    elapsedMs: () => Date.now() - started,
    done() {
      clearInterval(timer);
      if (tty) {
        draw();
        stream.write('\n');
      }
    },
  };
}
