import type { DataValue, StoredEvent } from './store.js';

/**
 * A stored event whose JSON columns are parsed on first read, once. Segment evaluation filters most of a customer's
 * history by type and action and never reads identifiers, yet parsing both columns of every row was the largest cost
 * of a segment query (bench/segments profile). The getters are own enumerable properties, so spreading the event or
 * JSON.stringify still sees identifiers and data.
 */
export function lazyStoredEvent(
  type: string,
  action: string,
  identifiersJson: string,
  dataJson: string,
  receivedAt: number,
): StoredEvent {
  let identifiers: Record<string, string> | undefined;
  let data: Record<string, DataValue> | undefined;
  return {
    type,
    action,
    get identifiers() {
      identifiers ??= JSON.parse(identifiersJson) as Record<string, string>;
      return identifiers;
    },
    get data() {
      data ??= JSON.parse(dataJson) as Record<string, DataValue>;
      return data;
    },
    receivedAt,
  };
}
