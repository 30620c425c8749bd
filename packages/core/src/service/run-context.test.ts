import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.js';
import { LocalRuntime } from '../runtime/local-runtime.js';
import { artifactInfo, createRunContext, type ProducedArtifact } from './run-context.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-run-context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RunContext artifacts', () => {
  it('reports each stored artifact once, in the TypeScript spelling; the document lists it as content_type', async () => {
    const produced: ProducedArtifact[] = [];
    const ctx = await createRunContext({
      runtime: new LocalRuntime(),
      signal: new AbortController().signal,
      workDir: join(dir, 'work'),
      artifactDir: join(dir, 'artifacts'),
      artifactPrefix: 'arc_easy',
      logFile: join(dir, 'run.log'),
      logger: silentLogger(),
      onArtifact: (a) => produced.push(a),
    });
    await ctx.artifact({ name: 'results.json', content: '{"acc":1}', contentType: 'application/json' });
    await ctx.artifact({ name: 'notes.txt', content: 'plain' });

    const path = join(dir, 'artifacts', 'results.json');
    expect(produced).toEqual([
      { name: 'arc_easy/results.json', path, size: 9, contentType: 'application/json' },
      { name: 'arc_easy/notes.txt', path: join(dir, 'artifacts', 'notes.txt'), size: 5 },
    ]);
    expect(readFileSync(path, 'utf8')).toBe('{"acc":1}');
    expect(produced.map(artifactInfo)).toEqual([
      { name: 'arc_easy/results.json', size: 9, content_type: 'application/json' },
      { name: 'arc_easy/notes.txt', size: 5 },
    ]);
  });
});
