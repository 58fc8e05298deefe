/**
 * An http(s) URL as the transports expect it: the scheme in lower case (URL schemes are case-insensitive, but
 * node:http only knows "http:" and "https:") and no trailing slash, so `${host}/v3/events` has one. Undefined when
 * the value is not an http(s) URL with a host.
 */
export function normaliseHttpUrl(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(https?):\/\/[^/]/i.exec(v);
  if (m === null) return undefined;
  return m[1]!.toLowerCase() + v.slice(m[1]!.length);
}

/** For a host (`apiHost`, the datafile's ODP host): also without trailing slashes. */
export function normaliseHost(v: unknown): string | undefined {
  return normaliseHttpUrl(v)?.replace(/\/+$/, '');
}
