import type { Logger } from '@odpkit/sdk';

export interface RecordingLogger extends Logger {
  lines: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; message: string }>;
  errors(): string[];
}

/** A logger that remembers every line, so tests can assert the exact message a user would see. */
export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string) => {
    lines.push({ level, message });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    errors: () => lines.filter((l) => l.level === 'error').map((l) => l.message),
  };
}
