import type { ApiSchemas as Schemas, Evaluation } from '@evalhub/core';

export type PrimaryScore = Schemas['EvalHubPrimaryScore'];
export type PassCriteria = Schemas['EvalHubPassCriteria'];

/** What an eval-hub job says per benchmark beyond our `{benchmark_id, provider_id, config}`. */
export interface BenchmarkExtra {
  weight?: number;
  primary_score?: PrimaryScore;
  pass_criteria?: PassCriteria;
}

/**
 * The fields of an eval-hub job that our evaluation has no place for. They travel with the evaluation
 * as experiment tags (so MLflow has them too and GET /api/v1/evaluations/{id} returns them), never in
 * a second store: `eval_hub.job_name` in plain text, the rest as JSON in `eval_hub.job`.
 */
export interface JobExtension {
  description?: string;
  tags?: string[];
  pass_criteria?: PassCriteria;
  /** Same order as the evaluation's benchmarks; resolved at submission (a collection's weights included). */
  benchmarks?: BenchmarkExtra[];
  /** The eval-hub collection the job came from (also when it was expanded for overrides). */
  collection?: string;
  custom?: Record<string, unknown>;
  /** Fields accepted without effect here, said in the job's status message. */
  notes?: string[];
}

export const NAME_TAG = 'eval_hub.job_name';
export const EXTENSION_TAG = 'eval_hub.job';
/** MLflow's limit on a tag value. */
export const TAG_VALUE_LIMIT = 5000;

/** True for the tags this module adds (hidden from the job's `experiment.tags`). */
export function isExtensionTag(key: string): boolean {
  return key === NAME_TAG || key === EXTENSION_TAG;
}

export function encodeExtension(ext: JobExtension): string | undefined {
  const clean = Object.fromEntries(
    Object.entries(ext).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
  if (Array.isArray(clean.benchmarks) && clean.benchmarks.every((b) => Object.keys(b as object).length === 0))
    delete clean.benchmarks;
  return Object.keys(clean).length > 0 ? JSON.stringify(clean) : undefined;
}

/** The job extension of an evaluation (empty for evaluations submitted through our own API). */
export function readExtension(e: Evaluation): { name?: string; ext: JobExtension } {
  const tags = e.experiment?.tags ?? {};
  let ext: JobExtension = {};
  const raw = tags[EXTENSION_TAG];
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) ext = parsed as JobExtension;
    } catch {
      // A hand-edited tag that is not JSON: the job view shows what it can without it.
    }
  }
  return { ...(tags[NAME_TAG] ? { name: tags[NAME_TAG] } : {}), ext };
}
