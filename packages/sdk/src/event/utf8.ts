/**
 * Exact UTF-8 byte length of a string, platform-neutral (Buffer.byteLength is Node-only). Input comes from
 * JSON.stringify, which escapes lone surrogates, so a high surrogate here is always followed by its low half.
 */
export function utf8Length(s: string): number {
  const len = s.length;
  let bytes = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // the pair is 2 UTF-16 units and 4 UTF-8 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
