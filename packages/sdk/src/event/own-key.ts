/**
 * Writes an own enumerable property. Plain assignment of "__proto__" would replace the object's prototype instead
 * (prototype pollution); defineProperty carries it as an ordinary key, which JSON.stringify then writes like any other.
 */
export function setOwn<V>(target: Record<string, V>, key: string, value: V): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

export function hasOwn(target: object, key: string): boolean {
  return Object.hasOwn(target, key);
}
