import { randomUUID } from 'node:crypto';
import { assertValid } from '../contract/validator.js';
import { ValidationError, type ErrorDetail } from '../errors.js';
import type { ExecResources, Runtime } from '../extension-points/runtime.js';
import type { Baseline, BenchmarkRun, BenchmarkSpec, Evaluation, EvaluationRequest } from '../types.js';
import { benchmarkTask } from './benchmark-task.js';
import type { CollectionCatalog } from './collection-catalog.js';
import { now } from './live-evaluations.js';
import { resolvePassCriterion } from './pass-criteria.js';
import type { ModelResolver } from './model-resolver.js';
import { closestNames } from '../close-names.js';
import type { ProviderRegistry } from './provider-registry.js';

export interface RequestPreparerDeps {
  models: ModelResolver;
  collections: CollectionCatalog;
  providers: ProviderRegistry;
  trackerName: string;
  trackingEnabled: boolean;
  defaultTimeoutSeconds: number;
  /** Finds an earlier evaluation (a request's `baseline`). */
  findEvaluation: (id: string) => Promise<Evaluation | undefined>;
  /** The latest completed evaluation of an experiment whose experiment tags include `tags`. */
  findLatest: (experiment: string, tags: Record<string, string>) => Promise<Evaluation | undefined>;
  /** Run by a request that names neither `benchmarks` nor `collection_id` (config `evaluation.default_collection`). */
  defaultCollection?: string;
  /** The hub's runtime: it says whether it can give the resources a benchmark asks for. */
  runtime: Pick<Runtime, 'name' | 'checkResources'>;
}

/**
 * Request semantics: turns a request body into the evaluation it asks for, or refuses it with every
 * problem found (schema, selector, model, collection, providers, benchmark ids, each benchmark's
 * config against its schema, the providers' own checks). Stores nothing.
 */
export class RequestPreparer {
  constructor(private readonly deps: RequestPreparerDeps) {}

  async prepare(body: unknown): Promise<Evaluation> {
    const { models, collections, providers } = this.deps;
    const request = { ...assertValid<EvaluationRequest>('EvaluationRequest', body) };
    if (
      request.benchmarks === undefined &&
      request.collection_id === undefined &&
      this.deps.defaultCollection
    )
      request.collection_id = this.deps.defaultCollection;
    const hasBenchmarks = request.benchmarks !== undefined;
    const hasCollection = request.collection_id !== undefined;
    if (hasBenchmarks === hasCollection) {
      const message = hasBenchmarks
        ? "Give either 'benchmarks' or 'collection_id', not both."
        : "Say what to evaluate: add 'benchmarks' (a list of {benchmark_id, provider_id, config}) or 'collection_id' (see GET /api/v1/collections), or have the operator set evaluation.default_collection.";
      throw new ValidationError(message, [{ pointer: hasBenchmarks ? '/collection_id' : '', message }], {
        code: hasBenchmarks ? 'benchmarks_and_collection' : 'nothing_to_evaluate',
      });
    }

    const { model } = models.resolve(request.model);
    let specs: BenchmarkSpec[];
    let pointerOf: (i: number) => string;
    let passThreshold = request.pass_threshold;
    if (hasCollection) {
      const collection = await collections.resolveForRequest(request.collection_id!);
      specs = structuredClone(collection.benchmarks);
      passThreshold ??= collection.pass_threshold;
      pointerOf = () => '/collection_id';
    } else {
      specs = request.benchmarks!;
      pointerOf = (i) => `/benchmarks/${i}`;
    }

    const details: ErrorDetail[] = [];
    const baseline = request.baseline ? await this.resolveBaseline(request, details) : undefined;
    const seen = new Map<string, number>();
    const benchmarks: BenchmarkRun[] = specs.map((s) => ({
      benchmark_id: s.benchmark_id,
      provider_id: s.provider_id,
      config: structuredClone(s.config ?? {}),
      status: 'pending',
      progress: { fraction: 0 },
      attempts: 0,
      ...(s.pass_criteria ? { pass_criteria: { ...s.pass_criteria } } : {}),
      ...(s.weight !== undefined ? { weight: s.weight } : {}),
      ...(s.resources ? { resources: structuredClone(s.resources) } : {}),
    }));
    benchmarks.forEach((b, i) => {
      const at = pointerOf(i);
      const where = hasCollection ? ` (benchmark ${i} of collection '${request.collection_id}')` : '';
      if (!providers.has(b.provider_id)) {
        const known = providers.ids();
        details.push({
          pointer: hasCollection ? at : `${at}/provider_id`,
          message: `Unknown provider '${b.provider_id}'${where}. Installed providers: ${known.join(', ') || 'none'}.`,
        });
        return;
      }
      if (!providers.benchmark(b.provider_id, b.benchmark_id)) {
        const known = providers.benchmarkIds(b.provider_id);
        const close = closestNames(b.benchmark_id, known);
        details.push({
          pointer: hasCollection ? at : `${at}/benchmark_id`,
          message: `Provider '${b.provider_id}' has no benchmark '${b.benchmark_id}'${where}.${
            close.length ? ` Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : ''
          } See GET /api/v1/benchmarks?provider=${b.provider_id}.`,
        });
        return;
      }
      const configProblems = providers.checkConfig(b.provider_id, b.benchmark_id, b.config);
      if (configProblems.length > 0) {
        for (const d of configProblems)
          details.push({
            pointer: hasCollection ? at : `${at}/config${d.pointer}`,
            message: `${hasCollection ? `${b.benchmark_id}${d.pointer ? ` ${d.pointer}` : ''}: ` : ''}${d.message}`,
          });
        return;
      }
      if (b.pass_criteria) {
        const checked = resolvePassCriterion(
          b.pass_criteria,
          providers.benchmark(b.provider_id, b.benchmark_id)!,
        );
        if ('criterion' in checked) b.pass_criteria = checked.criterion;
        else {
          details.push({
            pointer: hasCollection ? at : `${at}/pass_criteria${checked.pointer}`,
            message: `${hasCollection ? `${b.benchmark_id}: ` : ''}${checked.message}`,
          });
          return;
        }
      }
      if (b.resources) {
        const problems = this.resourceProblems(b.resources);
        if (problems.length > 0) {
          for (const message of problems)
            details.push({
              pointer: hasCollection ? at : `${at}/resources`,
              message: `${hasCollection ? `${b.benchmark_id}: ` : ''}${message}`,
            });
          return;
        }
      }
      const first = seen.get(b.benchmark_id);
      if (first !== undefined) {
        details.push({
          pointer: hasCollection ? at : `${at}/benchmark_id`,
          message: `Benchmark '${b.benchmark_id}' is already requested at index ${first}; each benchmark may appear once per evaluation (its metrics are named '${b.benchmark_id}.<metric>').`,
        });
        return;
      }
      seen.set(b.benchmark_id, i);
    });

    const evaluation: Evaluation = {
      id: randomUUID(),
      status: 'pending',
      model,
      ...(request.experiment
        ? { experiment: { name: request.experiment.name, tags: { ...(request.experiment.tags ?? {}) } } }
        : {}),
      ...(request.collection_id ? { collection_id: request.collection_id } : {}),
      benchmarks,
      ...(request.timeout_seconds ? { timeout_seconds: request.timeout_seconds } : {}),
      ...(passThreshold !== undefined ? { pass_threshold: passThreshold } : {}),
      ...(baseline ? { baseline } : {}),
      tracking: {
        tracker: this.deps.trackerName,
        state: this.deps.trackingEnabled ? 'pending' : 'disabled',
      },
      created_at: now(),
      updated_at: now(),
    };

    if (details.length === 0) {
      await Promise.all(
        benchmarks.map(async (b, i) => {
          const provider = providers.get(b.provider_id)!;
          if (!provider.validate) return;
          const task = benchmarkTask(evaluation, i, models, this.deps.defaultTimeoutSeconds);
          for (const issue of await provider.validate(task)) {
            details.push({
              pointer: hasCollection
                ? pointerOf(i)
                : `${pointerOf(i)}/config${issue.pointer === '/' ? '' : issue.pointer}`,
              message: hasCollection ? `${b.benchmark_id}: ${issue.message}` : issue.message,
            });
          }
        }),
      );
    }
    if (details.length > 0) {
      throw new ValidationError(
        `The evaluation request cannot run: ${details[0]!.message}${details.length > 1 ? ` (and ${details.length - 1} more)` : ''}`,
        details,
      );
    }
    return evaluation;
  }

  /** Why the hub's runtime cannot give a benchmark these resources (empty when it can). */
  private resourceProblems(resources: ExecResources): string[] {
    const { runtime } = this.deps;
    if (!runtime.checkResources)
      return [
        `The '${runtime.name}' runtime runs benchmarks where the hub runs and takes no resources; remove 'resources', or run the hub with a runtime that places benchmarks (runtime: kubernetes).`,
      ];
    return runtime.checkResources(resources);
  }

  /** The request's baseline with its evaluation id resolved, or undefined with the problem in `details`. */
  private async resolveBaseline(
    request: EvaluationRequest,
    details: ErrorDetail[],
  ): Promise<Baseline | undefined> {
    const b = request.baseline!;
    if ((b.evaluation_id === undefined) === (b.latest_with_tags === undefined)) {
      details.push({
        pointer: '/baseline',
        message: "Name the baseline by 'evaluation_id' or by 'latest_with_tags' (one of them).",
      });
      return undefined;
    }
    if (b.evaluation_id !== undefined) {
      if (await this.deps.findEvaluation(b.evaluation_id)) return { ...b };
      details.push({
        pointer: '/baseline/evaluation_id',
        message: `There is no evaluation '${b.evaluation_id}' to compare with: use the id of an earlier evaluation (GET /api/v1/evaluations).`,
      });
      return undefined;
    }
    if (!request.experiment) {
      details.push({
        pointer: '/baseline/latest_with_tags',
        message: "A baseline chosen by tags is looked up in the request's experiment: add 'experiment.name'.",
      });
      return undefined;
    }
    const latest = await this.deps.findLatest(request.experiment.name, b.latest_with_tags!);
    if (latest) return { ...b, evaluation_id: latest.id };
    details.push({
      pointer: '/baseline/latest_with_tags',
      message: `No completed evaluation of experiment '${request.experiment.name}' has the tags ${JSON.stringify(b.latest_with_tags)}.`,
    });
    return undefined;
  }
}
