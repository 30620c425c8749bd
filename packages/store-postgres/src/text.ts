/**
 * Whether PostgreSQL text can hold `s`. It cannot hold U+0000 (sending one fails the statement with
 * 22021, and jsonb refuses `\u0000`), so no stored id, name or tag holds one: a lookup or filter by
 * such a string matches nothing and is answered without a round trip.
 */
export function storableText(s: string): boolean {
  return !s.includes('\u0000');
}
