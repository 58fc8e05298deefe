// Markdown rendering and the one place that writes BENCHMARKS.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTmp, log, repoRoot } from './paths.mjs';

export const benchmarksFile = join(repoRoot, 'BENCHMARKS.md');

/** A markdown table: header cells and rows of cells (cells are already text; `|` inside a cell is escaped). */
export function table(headers, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Collects lines; `p()` adds one (or an empty line), `text()` joins them. */
export function lines() {
  const out = [];
  const p = (s = '') => out.push(s);
  p.text = () => out.join('\n');
  return p;
}

/**
 * Replaces only the text between `<!-- name:start -->` and `<!-- name:end -->` (re-reading the file right before
 * writing, so sections written by other benchmarks meanwhile are kept); appends the section when it is new.
 */
export function writeSection(name, markdown) {
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  const block = `${START}\n${markdown}\n${END}`;
  const current = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, 'utf8') : '# Benchmarks\n';
  const s = current.indexOf(START);
  const e = current.indexOf(END);
  const next =
    s >= 0 && e > s
      ? current.slice(0, s) + block + current.slice(e + END.length)
      : `${current.replace(/\n*$/, '\n\n')}${block}\n`;
  writeFileSync(benchmarksFile, next);
  return benchmarksFile;
}

/**
 * The end of a benchmark run: keeps the raw record in bench/.bench-tmp/<name>-results.json (without per-request
 * latency samples, which only serve the percentiles), prints the markdown, writes the section when asked, and logs
 * the run time. Returns the JSON file's path.
 */
export function publish(name, markdown, record, { write, section = name, startedAt }) {
  const file = join(benchTmp, `${name}-results.json`);
  const replacer = (key, value) => (key === 'latencies' ? undefined : value);
  writeFileSync(file, JSON.stringify(record, replacer, 2));
  console.log(markdown);
  if (write) log(`wrote the ${section} section of ${writeSection(section, markdown)}`);
  log(`raw results in ${file}; total ${((Date.now() - startedAt) / 60_000).toFixed(1)} min`);
  return file;
}
