/** JSON encoding of MLflow doubles: NaN and ±Infinity travel as strings (JSON has no such numbers). */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';

/** Encodes a metric value for the wire: `JSON.stringify(NaN)` would be `null`, which MLflow rejects. */
export function encodeDouble(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/**
 * Decodes a double from a response. Note that MLflow stores ±Infinity as ±1.7976931348623157e308
 * (Number.MAX_VALUE), so an infinity logged is read back as that finite number.
 */
export function decodeDouble(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  throw new TypeError(`not an MLflow double: ${JSON.stringify(value)}`);
}

/** int64 fields arrive as numbers (or strings from some proxies). */
export function decodeInt(value: unknown, fallback = 0): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') return Number(value);
  return fallback;
}

/** Repeated fields are omitted from responses when empty: default them to []. */
export function arr<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** Turns a `{key: value}` record into MLflow's `[{key, value}]` list (MLflow never accepts a map). */
export function toKeyValues(record: Record<string, string> | undefined): { key: string; value: string }[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}
