import { describe, expect, it } from 'vitest';
import { PathMap } from './paths.js';

describe('PathMap', () => {
  const map = new PathMap('/work/root', ['/data/evals/e1/work/0-arc', '/data/sets']);

  it('re-roots the hub folders in arguments and text, longest first, whole segments only', () => {
    expect(map.rewrite('--output_path /data/evals/e1/work/0-arc/out')).toBe(
      '--output_path /work/root/data/evals/e1/work/0-arc/out',
    );
    expect(map.rewrite('"path": "/data/sets/arc.jsonl"')).toBe('"path": "/work/root/data/sets/arc.jsonl"');
    expect(map.rewrite('/data/setsX/other')).toBe('/data/setsX/other');
    expect(map.rewrite('/usr/bin/python')).toBe('/usr/bin/python');
  });

  it('maps back for uploads', () => {
    expect(map.hub(map.local('/data/sets/a.jsonl'))).toBe('/data/sets/a.jsonl');
  });
});
