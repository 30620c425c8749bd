import type {
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  ProviderDescriptor,
  RunContext,
} from '@evalhub/core';
import { ScriptedProvider } from '@evalhub/core/testing';

/**
 * A provider plugin with a chosen id and benchmark catalog whose benchmarks behave like the scripted
 * provider's (their `config` says ok/fail/slow/command). It lets the HTTP tests use the spec's
 * payloads verbatim (`lm_evaluation_harness`/`arc_easy`, `ragas`/`faithfulness`) without running an
 * evaluation engine.
 */
export class CatalogProvider implements EvaluationProvider {
  private readonly scripted = new ScriptedProvider();
  readonly runs: BenchmarkTask[] = [];

  constructor(
    private readonly id: string,
    private readonly benchmarks: { id: string; category: string }[],
  ) {}

  describe(): ProviderDescriptor {
    return {
      id: this.id,
      name: `${this.id} (catalog)`,
      description: 'Benchmarks that do what their config says.',
      version: '1.0.0',
      benchmarks: this.benchmarks.map((b) => ({
        id: b.id,
        name: b.id,
        description: `${b.id} benchmark`,
        category: b.category,
        metrics: ['score'],
        primary_metric: 'score',
      })),
    };
  }

  run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    this.runs.push(task);
    return this.scripted.run(task, ctx);
  }
}

/** The providers every server test registers: the spec's two, and the scripted one. */
export function specProviders(): EvaluationProvider[] {
  return [
    new CatalogProvider('lm_evaluation_harness', [
      { id: 'arc_easy', category: 'reasoning' },
      { id: 'arc_challenge', category: 'reasoning' },
      { id: 'hellaswag', category: 'language' },
    ]),
    new CatalogProvider('ragas', [
      { id: 'faithfulness', category: 'rag' },
      { id: 'answer_relevancy', category: 'rag' },
    ]),
    new ScriptedProvider(),
  ];
}
