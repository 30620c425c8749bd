import {
  ValidationError,
  type ApiSchemas,
  type BenchmarkSpec,
  type Collection,
  type EvaluationRequest,
  type ModelServerConfig,
} from '@evalhub/core';
import {
  encodeExtension,
  EXTENSION_TAG,
  NAME_TAG,
  TAG_VALUE_LIMIT,
  type BenchmarkExtra,
  type JobExtension,
} from './job-extension.js';

export type JobRequest = ApiSchemas['EvalHubJobRequest'];
type JobBenchmark = ApiSchemas['EvalHubBenchmarkConfig'];

export interface MappingContext {
  /** The hub's configured model servers: a job whose model URL is one of them uses its name (and API key). */
  modelServers: Readonly<Record<string, ModelServerConfig>>;
  /** The collection a job names (already known to exist), for its weights and overrides. */
  collection?: Collection;
}

/** Our experiment name for a job without one: the job's name, made valid. */
export function experimentNameFor(jobName: string): string {
  // eslint-disable-next-line no-control-regex
  const name = jobName.replace(/[/\u0000-\u001f]/g, '-').slice(0, 200);
  return name.trim() ? name : 'eval-hub-job';
}

function serverFor(url: string, servers: Readonly<Record<string, ModelServerConfig>>): string {
  const norm = (u: string): string => u.replace(/\/+$/, '');
  const match = Object.entries(servers).find(([, s]) => norm(s.url) === norm(url));
  return match ? match[0] : 'eval-hub';
}

function extraOf(b: {
  weight?: number;
  primary_score?: BenchmarkExtra['primary_score'];
  pass_criteria?: BenchmarkExtra['pass_criteria'];
}): BenchmarkExtra {
  return {
    ...(b.weight !== undefined ? { weight: b.weight } : {}),
    ...(b.primary_score ? { primary_score: b.primary_score } : {}),
    ...(b.pass_criteria ? { pass_criteria: b.pass_criteria } : {}),
  };
}

/** Fields of a job that have no meaning here; each becomes a sentence of the job's status message. */
function ignoredFields(job: JobRequest): string[] {
  const notes: string[] = [];
  if (job.exports)
    notes.push(
      "'exports' (OCI export) is not supported here: the results are in MLflow and in GET /api/v1/evaluations/{id}.",
    );
  if (job.queue) {
    const name = typeof job.queue.name === 'string' ? ` '${job.queue.name}'` : '';
    notes.push(`'queue'${name} has no meaning here: the hub schedules evaluations itself.`);
  }
  if (job.hardware_config || job.benchmarks?.some((b) => b.hardware_config))
    notes.push("'hardware_config' has no meaning here: benchmarks run as local processes of the hub.");
  if (job.model.auth)
    notes.push(
      "'model.auth' is ignored: API keys are configured per model server on the hub (EVALHUB_MODEL_SERVER_<NAME>_API_KEY).",
    );
  if (job.model.card_url) notes.push("'model.card_url' is ignored.");
  if (job.benchmarks?.some((b) => b.test_data_ref))
    notes.push(
      "'test_data_ref' is ignored: benchmarks read their data as their provider documents (e.g. parameters.dataset_path).",
    );
  if (job.experiment?.artifact_location)
    notes.push(
      "'experiment.artifact_location' is ignored: artifacts go where the MLflow server stores them.",
    );
  return notes;
}

/**
 * An eval-hub job request (already schema-valid) → our EvaluationRequest. Their richer fields
 * (job name, description, tags, weights, primary scores, pass criteria, custom) ride along in the
 * experiment tags `eval_hub.job_name` / `eval_hub.job`; fields without meaning here are listed in
 * `notes`. Throws a ValidationError naming the job's own field when the job cannot map.
 */
export function toEvaluationRequest(
  job: JobRequest,
  context: MappingContext,
): { request: EvaluationRequest; notes: string[] } {
  const problems: { pointer: string; message: string }[] = [];
  const url = job.model.url ?? '';
  if (!url) {
    problems.push({
      pointer: '/model/url',
      message:
        "'model.url' is required: the model server's OpenAI-compatible base URL, e.g. http://vllm:8000/v1.",
    });
  } else if (!/^https?:\/\/[^\s/]+/.test(url)) {
    problems.push({
      pointer: '/model/url',
      message: 'Must be an http:// or https:// URL such as http://vllm:8000/v1.',
    });
  }
  if (job.benchmarks && job.collection) {
    problems.push({ pointer: '/collection', message: "Give either 'benchmarks' or 'collection', not both." });
  } else if (!job.benchmarks && !job.collection) {
    problems.push({
      pointer: '',
      message:
        "Say what to evaluate: add 'benchmarks' ([{id, provider_id, parameters}]) or 'collection' ({id}); see GET /api/v1/evaluations/providers and /api/v1/evaluations/collections.",
    });
  }

  const notes = ignoredFields(job);
  const userTags: Record<string, string> = {};
  for (const t of job.experiment?.tags ?? []) userTags[t.key] = t.value;
  for (const key of Object.keys(userTags)) {
    if (key === NAME_TAG || key === EXTENSION_TAG) {
      problems.push({
        pointer: '/experiment/tags',
        message: `The tag key '${key}' is reserved for the job's own fields; use another key.`,
      });
    }
  }

  let benchmarks: BenchmarkSpec[] | undefined;
  let extras: BenchmarkExtra[] = [];
  let collectionId: string | undefined;
  if (job.benchmarks) {
    benchmarks = job.benchmarks.map((b: JobBenchmark) => ({
      benchmark_id: b.id,
      provider_id: b.provider_id,
      config: structuredClone(b.parameters ?? {}),
    }));
    extras = job.benchmarks.map(extraOf);
  } else if (job.collection && context.collection) {
    const c = context.collection;
    const own = c.eval_hub?.benchmarks ?? [];
    extras = c.benchmarks.map((_, i) => extraOf(own[i] ?? {}));
    const overrides = job.collection.benchmarks ?? [];
    if (overrides.length === 0) {
      collectionId = c.id;
    } else {
      // eval-hub's rule: overrides matched by provider_id add parameters, the collection's values win.
      benchmarks = c.benchmarks.map((b) => {
        const extra = Object.assign(
          {},
          ...overrides
            .filter((o) => o.provider_id === b.provider_id && (!o.id || o.id === b.benchmark_id))
            .map((o) => o.parameters ?? {}),
        ) as Record<string, unknown>;
        return { ...b, config: { ...extra, ...(b.config ?? {}) } };
      });
    }
  }

  const ext: JobExtension = {
    ...(job.description !== undefined ? { description: job.description } : {}),
    ...(job.tags?.length ? { tags: job.tags } : {}),
    ...(job.pass_criteria
      ? { pass_criteria: job.pass_criteria }
      : context.collection?.eval_hub?.pass_criteria && job.collection
        ? { pass_criteria: context.collection.eval_hub.pass_criteria }
        : {}),
    ...(extras.some((e) => Object.keys(e).length > 0) ? { benchmarks: extras } : {}),
    ...(job.collection ? { collection: job.collection.id } : {}),
    ...(job.custom ? { custom: job.custom } : {}),
    ...(notes.length ? { notes } : {}),
  };
  const encoded = encodeExtension(ext);
  if (encoded !== undefined && encoded.length > TAG_VALUE_LIMIT) {
    problems.push({
      pointer: '',
      message: `The job's description, tags, custom fields, weights and pass criteria take ${encoded.length} characters as JSON; at most ${TAG_VALUE_LIMIT} fit (they are kept as one MLflow tag). Shorten 'description' or 'custom'.`,
    });
  }
  if (Object.keys(userTags).length + 2 > 100) {
    problems.push({ pointer: '/experiment/tags', message: 'Must have at most 98 tags.' });
  }
  if (problems.length > 0) {
    throw new ValidationError(`The job cannot run: ${problems[0]!.message}`, problems, {
      code: 'request_validation_failed',
    });
  }

  const configuration = job.model.parameters ?? {};
  const request: EvaluationRequest = {
    model: {
      server: serverFor(url, context.modelServers),
      name: job.model.name,
      url,
      ...(Object.keys(configuration).length ? { configuration } : {}),
    },
    ...(benchmarks ? { benchmarks } : {}),
    ...(collectionId ? { collection_id: collectionId } : {}),
    experiment: {
      name: job.experiment?.name ?? experimentNameFor(job.name),
      tags: {
        ...userTags,
        [NAME_TAG]: job.name,
        ...(encoded !== undefined ? { [EXTENSION_TAG]: encoded } : {}),
      },
    },
  };
  return { request, notes };
}
