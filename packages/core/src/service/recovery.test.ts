import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging.js';
import { MemoryStore } from '../stores/memory-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import type { BenchmarkRun, Evaluation } from '../types.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations, type LiveEvaluation } from './live-evaluations.js';
import { ProviderRegistry } from './provider-registry.js';
import { prepareResume, recoverUnfinished } from './recovery.js';

const providers = new ProviderRegistry();
providers.add(new ScriptedProvider());

const run = (benchmark_id: string, patch: Partial<BenchmarkRun> = {}): BenchmarkRun => ({
  benchmark_id,
  provider_id: 'scripted',
  config: {},
  status: 'running',
  progress: { fraction: 0.5 },
  attempts: 1,
  ...patch,
});

const unfinished = (benchmarks: BenchmarkRun[], patch: Partial<Evaluation> = {}): Evaluation =>
  sampleEvaluation({ status: 'running', benchmarks, ...patch });

describe('prepareResume', () => {
  it('runs interrupted benchmarks again and fails those it cannot, keeping finished results', () => {
    const e = unfinished([
      run('ok', { status: 'completed', progress: { fraction: 1 }, results: { metrics: { score: 1 } } }),
      run('ok2'),
      run('slow', { attempts: 3 }),
      run('noop', { provider_id: 'gone', status: 'pending', attempts: 0 }),
    ]);
    expect(prepareResume(e, providers, { maxAttempts: 3 })).toBe(true);
    expect(e.benchmarks.map((b) => [b.status, b.error?.code])).toEqual([
      ['completed', undefined],
      ['pending', undefined],
      ['failed', 'interrupted'],
      ['failed', 'provider_missing'],
    ]);
    expect(e.benchmarks[0]!.results).toEqual({ metrics: { score: 1 } });
    expect(e.benchmarks[1]!.progress).toEqual({ fraction: 0 });
    expect(e.benchmarks[3]!.error!.message).toMatch(/Provider 'gone' is not installed/);

    const nothingLeft = unfinished([run('ok', { attempts: 3 })]);
    expect(prepareResume(nothingLeft, providers, { maxAttempts: 3 })).toBe(false);
  });

  it('does not count the attempt a resumable runtime still runs', () => {
    const e = unfinished([run('ok', { attempts: 3 })]);
    expect(prepareResume(e, providers, { maxAttempts: 3, resumable: true })).toBe(true);
    expect(e.benchmarks[0]).toMatchObject({ status: 'pending', attempts: 2 });
  });
});

describe('recoverUnfinished', () => {
  it('makes every unfinished evaluation live, queues those with work left and closes the rest', async () => {
    const store = new MemoryStore();
    const resumable = unfinished([run('ok')], { id: 'resumable' });
    const exhausted = unfinished([run('ok', { attempts: 3 })], { id: 'exhausted' });
    const alreadyLive = unfinished([run('ok')], { id: 'already-live' });
    const done = sampleEvaluation({ id: 'done', status: 'completed' });
    for (const e of [resumable, exhausted, alreadyLive, done]) await store.createEvaluation(e);
    const live = new LiveEvaluations(store, new EventHub());
    live.add(alreadyLive);
    const finished: string[] = [];

    const result = await recoverUnfinished({
      store,
      live,
      runner: { finish: async (l: LiveEvaluation) => void finished.push(l.evaluation.id) },
      providers,
      logger: silentLogger(),
      options: { maxAttempts: 3 },
    });

    expect(result).toEqual({ resume: ['resumable'], failed: 1 });
    expect(finished).toEqual(['exhausted']);
    expect(['resumable', 'exhausted', 'already-live', 'done'].map((id) => live.has(id))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    await store.close();
  });
});
