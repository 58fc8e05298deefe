import type { Logger, LogLevel } from './types.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const noop = () => {};

/**
 * Wraps the caller's logger (or console) so that filtered levels cost one no-op call, and every line carries the
 * `odpkit: ` prefix that makes it attributable in a shared log.
 */
export function createLogger(target: Logger | undefined, level: LogLevel = 'warn'): Logger {
  const sink: Logger = target ?? (console as Logger);
  const min = RANK[level] ?? RANK.warn;
  const at = (lvl: Exclude<LogLevel, 'silent'>) =>
    RANK[lvl] >= min
      ? (message: string, ...args: unknown[]) => {
          try {
            sink[lvl](`odpkit: ${message}`, ...args);
          } catch {
            // A throwing logger must not turn into a throwing sendOdpEvent.
          }
        }
      : noop;
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
