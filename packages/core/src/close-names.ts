/** Levenshtein distance (iterative, two rows). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * Up to `max` known names close to `name`, nearest first, to suggest a fix ("Did you mean …?"):
 * by edit distance (case-insensitive), or one containing the other.
 */
export function closestNames(name: string, known: readonly string[], max = 3): string[] {
  const lower = name.toLowerCase();
  return known
    .map((k) => {
      const kl = k.toLowerCase();
      let score = editDistance(lower, kl);
      if (kl.includes(lower) || lower.includes(kl)) score = Math.min(score, 1);
      return { k, score };
    })
    .filter(({ k, score }) => score <= Math.max(2, Math.floor(Math.max(name.length, k.length) / 3)))
    .sort((x, y) => x.score - y.score || x.k.localeCompare(y.k))
    .slice(0, max)
    .map(({ k }) => k);
}
