import type { ShellTarget } from '../platform/platform.js';
import type { Logger } from '../types.js';
import type { PendingEvents } from './pending-events.js';

/**
 * A page may go away at any moment after it is hidden (navigation, tab closed, mobile browser discarding it); pagehide
 * is the last reliable signal and visibilitychange to hidden the earliest. On either, what is queued leaves in
 * keepalive requests and what may not arrive is kept for the next page. When the page comes back (visible again, or
 * restored from the back/forward cache), it sends those events itself, so the kept copies are removed.
 */
export function attachPageLifecycle(
  client: ShellTarget,
  pending: PendingEvents | undefined,
  logger: Logger,
): () => void {
  const win = globalThis as unknown as Partial<Window>;
  const doc = win.document;
  if (typeof win.addEventListener !== 'function' || doc === undefined) return () => {};

  const hide = () => {
    const unsent = client.hide();
    if (pending === undefined) return;
    const lost = pending.keep(unsent);
    if (lost > 0) logger.warn(`${lost} event(s) may be lost: not sent before the page went away and not kept`);
  };
  const onVisibility = () => {
    if (doc.visibilityState === 'hidden') hide();
    else pending?.release();
  };
  const onShow = (e: PageTransitionEvent) => {
    if (e.persisted) pending?.release();
  };
  win.addEventListener('pagehide', hide);
  win.addEventListener('pageshow', onShow);
  doc.addEventListener('visibilitychange', onVisibility);
  return () => {
    win.removeEventListener?.('pagehide', hide);
    win.removeEventListener?.('pageshow', onShow);
    doc.removeEventListener('visibilitychange', onVisibility);
  };
}
