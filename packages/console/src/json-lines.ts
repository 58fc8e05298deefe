/**
 * Where each value of a JSON text starts (1-based line), by the path notation the server's validation errors use:
 * `condition.and[1].count.gte`, `where["odd key"]`. Lets the editor show an error next to the line it is about.
 * Returns null for text that is not JSON (JSON.parse reports those).
 */
export function linesByPath(text: string): Map<string, number> | null {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const child = (path: string, key: string) => {
    const step = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    return path === '' ? step.replace(/^\./, '') : path + step;
  };
  const value = (path: string): void => {
    ws();
    lines.set(path, line);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        const keyLine = line;
        const key = string();
        ws();
        i++; // :
        const p = child(path, key);
        value(p);
        lines.set(p, keyLine);
        ws();
        if (text[i++] === '}') return;
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        if (text[i++] === ']') return;
      }
    } else if (c === '"') {
      string();
    } else {
      while (i < text.length && /[^\s,\]}]/.test(text[i] as string)) i++;
    }
  };
  try {
    JSON.parse(text);
    value('');
    return lines;
  } catch {
    return null;
  }
}

/** The line a validation error (`path: message`) is about: its path, or the nearest enclosing path that is written. */
export function lineOfError(error: string, lines: Map<string, number>): number | null {
  const colon = error.indexOf(': ');
  let path = colon === -1 ? '' : error.slice(0, colon);
  while (path !== '') {
    const found = lines.get(path);
    if (found !== undefined) return found;
    const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
    path = cut <= 0 ? '' : path.slice(0, cut);
  }
  return lines.get('') ?? null;
}

/** The line of a JSON.parse syntax error, from the position engines put in the message. */
export function lineOfSyntaxError(text: string, message: string): number | null {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(message);
  if (!pos) return null;
  return text.slice(0, Number(pos[1])).split('\n').length;
}
