import type { ApiSchemas, Collection, CollectionInput, Provider } from '@evalhub/core';

type EvalHubProvider = ApiSchemas['EvalHubProvider'];
type EvalHubCollection = ApiSchemas['EvalHubCollection'];
export type CollectionRequest = ApiSchemas['EvalHubCollectionRequest'];
export type CollectionPatch = ApiSchemas['EvalHubCollectionPatch'];

/** The category an eval-hub client sees for a collection created through our own API (it has none). */
export const DEFAULT_COLLECTION_CATEGORY = 'general';

/** Our provider in eval-hub's catalog shape (`benchmarks[].category` included). */
export function toProviderView(p: Provider): EvalHubProvider {
  return {
    resource: { id: p.id, owner: 'system' },
    name: p.id,
    title: p.name,
    ...(p.description ? { description: p.description } : {}),
    tags: [],
    benchmarks: p.benchmarks.map((b) => ({
      id: b.id,
      provider_id: b.provider_id,
      name: b.name,
      ...(b.description ? { description: b.description } : {}),
      category: b.category,
      metrics: b.metrics,
      num_few_shot: 0,
      dataset_size: 0,
      tags: [],
      ...(b.primary_metric ? { primary_score: { metric: b.primary_metric, lower_is_better: false } } : {}),
    })),
  };
}

/** Our collection in eval-hub's shape; what eval-hub adds (category, weights, …) comes from `eval_hub`. */
export function toCollectionView(c: Collection): EvalHubCollection {
  const ext = c.eval_hub ?? {};
  return {
    resource: {
      id: c.id,
      owner: c.builtin ? 'system' : 'tenant',
      ...(c.created_at ? { created_at: c.created_at } : {}),
      ...(c.updated_at ? { updated_at: c.updated_at } : {}),
    },
    name: c.name,
    description: c.description ?? '',
    category: ext.category ?? DEFAULT_COLLECTION_CATEGORY,
    tags: ext.tags ?? [],
    custom: ext.custom ?? {},
    ...(ext.pass_criteria ? { pass_criteria: ext.pass_criteria } : {}),
    benchmarks: c.benchmarks.map((b, i) => {
      const own = ext.benchmarks?.[i] ?? {};
      return {
        id: b.benchmark_id,
        provider_id: b.provider_id,
        weight: own.weight && own.weight > 0 ? own.weight : 1,
        parameters: b.config ?? {},
        ...(own.primary_score ? { primary_score: own.primary_score } : {}),
        ...(own.pass_criteria ? { pass_criteria: own.pass_criteria } : {}),
      };
    }),
  };
}

/** An eval-hub collection body (schema-valid) → our CollectionInput with the given id. */
export function toCollectionInput(id: string, body: CollectionRequest): CollectionInput {
  return {
    id,
    name: body.name,
    ...(body.description !== undefined ? { description: body.description } : {}),
    benchmarks: body.benchmarks.map((b) => ({
      benchmark_id: b.id,
      provider_id: b.provider_id,
      config: structuredClone(b.parameters ?? {}),
    })),
    eval_hub: {
      category: body.category,
      ...(body.tags?.length ? { tags: body.tags } : {}),
      ...(body.pass_criteria ? { pass_criteria: body.pass_criteria } : {}),
      ...(body.custom ? { custom: body.custom } : {}),
      benchmarks: body.benchmarks.map((b) => ({
        ...(b.weight !== undefined ? { weight: b.weight } : {}),
        ...(b.primary_score ? { primary_score: b.primary_score } : {}),
        ...(b.pass_criteria ? { pass_criteria: b.pass_criteria } : {}),
      })),
    },
  };
}

/** A merge patch (the SDK's `collections.patch` sends a JSON object) applied to the collection's view. */
export function patchedRequest(current: EvalHubCollection, patch: CollectionPatch): CollectionRequest {
  return {
    name: patch.name ?? current.name,
    description: patch.description ?? current.description ?? '',
    category: patch.category ?? current.category,
    tags: patch.tags ?? current.tags ?? [],
    benchmarks:
      patch.benchmarks ??
      current.benchmarks.map((b) => ({
        id: b.id,
        provider_id: b.provider_id,
        weight: b.weight,
        parameters: b.parameters ?? {},
        ...(b.primary_score ? { primary_score: b.primary_score } : {}),
        ...(b.pass_criteria ? { pass_criteria: b.pass_criteria } : {}),
      })),
    ...(patch.pass_criteria
      ? { pass_criteria: patch.pass_criteria }
      : current.pass_criteria
        ? { pass_criteria: current.pass_criteria }
        : {}),
    custom: patch.custom ?? current.custom ?? {},
  };
}
