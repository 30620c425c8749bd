import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvaluationProvider } from '../extension-points/provider.js';
import { JsonlTracker } from '../trackers/jsonl-tracker.js';
import { NoneTracker } from '../trackers/none-tracker.js';
import { ConformanceError, verifyProvider, verifyTracker } from './conformance.js';
import { RecordingTracker } from './recording-tracker.js';
import { ScriptedProvider } from './scripted-provider.js';

describe('conformance kit', () => {
  it('passes the scripted provider, including a real run and an already-cancelled run', async () => {
    const checks = await verifyProvider(new ScriptedProvider(), {
      run: {
        benchmark_id: 'ok',
        config: { metrics: { score: 0.5 } },
        model: { server: 'x', name: 'm', url: 'http://127.0.0.1:9/v1', configuration: {} },
      },
    });
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.length).toBeGreaterThan(8);
  });

  it('reports every broken rule of a bad provider', async () => {
    const bad: EvaluationProvider = {
      describe: () => ({
        id: 'bad id',
        name: '',
        benchmarks: [{ id: 'x', name: 'x', category: 'c', metrics: ['acc'], primary_metric: 'f1' }],
      }),
      run: async () => ({ metrics: { 'acc,none': 1 } }),
    };
    const err = await verifyProvider(bad, {
      run: { benchmark_id: 'x', model: { server: 'x', name: 'm', url: 'http://h/v1', configuration: {} } },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConformanceError);
    const failed = (err as ConformanceError).checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual(
      expect.arrayContaining([
        'provider id uses letters, digits, _ - .',
        'provider has a name',
        "benchmark 'x' is well formed",
        'metrics are numbers with tracker-valid names',
        'run() rejects when already cancelled',
      ]),
    );
  });

  it('passes the built-in trackers and the recording tracker', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'evalhub-jsonl-')), 'events.jsonl');
    await verifyTracker(new NoneTracker());
    await verifyTracker(new RecordingTracker());
    await verifyTracker(new JsonlTracker({ path }));
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.event === 'log').metrics['sample.nan']).toBe('NaN');
  });
});
