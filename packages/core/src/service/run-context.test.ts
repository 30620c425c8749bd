import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.js';
import type { ExecRequest, ExecResult, Runtime } from '../extension-points/runtime.js';
import { LocalRuntime } from '../runtime/local-runtime.js';
import {
  artifactInfo,
  createRunContext,
  type ProducedArtifact,
  type RunContextOptions,
} from './run-context.js';

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

describe('RunContext exec', () => {
  /** Options of a run context over a runtime that records every ExecRequest it is given. */
  function recording(): { options: RunContextOptions; seen: ExecRequest[] } {
    const seen: ExecRequest[] = [];
    const runtime: Runtime = {
      name: 'recording',
      exec: async (request: ExecRequest): Promise<ExecResult> => {
        seen.push(request);
        return { exitCode: 0, signal: null, aborted: false, durationMs: 0 };
      },
    };
    const options = {
      runtime,
      signal: new AbortController().signal,
      workDir: join(dir, 'work'),
      artifactDir: join(dir, 'artifacts'),
      artifactPrefix: 'arc_easy',
      logFile: join(dir, 'exec.log'),
      logger: silentLogger(),
    };
    return { options, seen };
  }

  it("gives the runtime the benchmark's timeout, or the provider's when it is shorter", async () => {
    const { options, seen } = recording();
    const ctx = await createRunContext({ ...options, timeoutSeconds: 600 });
    await ctx.exec({ command: 'true', args: [] });
    await ctx.exec({ command: 'true', args: [], timeoutSeconds: 30 });
    await ctx.exec({ command: 'true', args: [], timeoutSeconds: 900 });
    const without = await createRunContext(options);
    await without.exec({ command: 'true', args: [] });
    await without.exec({ command: 'true', args: [], timeoutSeconds: 30 });
    expect(seen.map((r) => r.timeoutSeconds)).toEqual([600, 30, 600, undefined, 30]);
  });

  it("gives the runtime the request's resources with every exec that names none of its own", async () => {
    const { options, seen } = recording();
    const gpu = { limits: { 'nvidia.com/gpu': '1' } };
    const ctx = await createRunContext({ ...options, resources: gpu });
    await ctx.exec({ command: 'true', args: [] });
    await ctx.exec({ command: 'true', args: [], resources: { requests: { cpu: '1' } } });
    expect(seen.map((r) => r.resources)).toEqual([gpu, { requests: { cpu: '1' } }]);
  });
});
