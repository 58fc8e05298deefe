/** Short, safe description of any value for error messages; never calls user code (no toString, no getters). */
export function describeValue(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return v.length > 40 ? `string of ${v.length} characters` : `string ${JSON.stringify(v)}`;
    case 'number':
      return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? `number ${v}` : String(v);
    case 'boolean':
      return `boolean ${v}`;
    case 'bigint':
      return 'bigint';
    case 'symbol':
      return 'symbol';
    case 'function':
      return 'function';
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'array';
      if (v instanceof Set) return 'Set';
      if (v instanceof Date) return 'Date';
      return 'object';
  }
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** `data.price`, or `data["my key"]` when the key would be ambiguous in dotted form. */
export function fieldPath(prefix: string, key: string): string {
  return PLAIN_KEY.test(key)
    ? `${prefix}.${key}`
    : `${prefix}[${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)}]`;
}
