import type { BenchmarkDescriptor } from '@evalhub/core';

/** Canonical dataset columns (RAGAS `SingleTurnSample` names). */
export type Column = 'user_input' | 'response' | 'retrieved_contexts' | 'reference' | 'reference_contexts';

export const TEXT_COLUMNS: readonly Column[] = ['user_input', 'response', 'reference'];
export const LIST_COLUMNS: readonly Column[] = ['retrieved_contexts', 'reference_contexts'];
const ALL_COLUMNS: readonly Column[] = [...TEXT_COLUMNS, ...LIST_COLUMNS];

/** Legacy RAGAS column names and their canonical names. */
export const LEGACY_COLUMNS: Readonly<Record<string, Column>> = {
  question: 'user_input',
  answer: 'response',
  contexts: 'retrieved_contexts',
  ground_truth: 'reference',
};

export interface MetricInfo {
  /** Benchmark id and metric name. */
  id: string;
  name: string;
  description: string;
  /** Columns every row must have (non-empty). */
  columns: readonly Column[];
  /** Needs an LLM judge. */
  judge: boolean;
  /** Needs an embeddings endpoint. */
  embeddings: boolean;
}

const metric = (
  id: string,
  name: string,
  description: string,
  columns: readonly Column[],
  needs: { judge?: boolean; embeddings?: boolean } = {},
): MetricInfo => ({
  id,
  name,
  description,
  columns,
  judge: needs.judge ?? false,
  embeddings: needs.embeddings ?? false,
});

const QA: readonly Column[] = ['user_input', 'response'];
const REF: readonly Column[] = ['reference', 'response'];

/** Every RAGAS metric this provider runs; each is also a benchmark id. */
export const METRICS: readonly MetricInfo[] = [
  metric(
    'faithfulness',
    'Faithfulness',
    "Share of the response's statements that the retrieved contexts support.",
    ['user_input', 'response', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'answer_relevancy',
    'Answer relevancy',
    'How well the response addresses the question (questions regenerated from the answer, compared by embeddings).',
    QA,
    { judge: true, embeddings: true },
  ),
  metric(
    'context_precision',
    'Context precision',
    'Whether the useful retrieved contexts are ranked first (judged against the reference).',
    ['user_input', 'retrieved_contexts', 'reference'],
    { judge: true },
  ),
  metric(
    'context_utilization',
    'Context utilization',
    'Context precision judged against the response instead of a reference.',
    ['user_input', 'response', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'context_recall',
    'Context recall',
    "Share of the reference's statements attributable to the retrieved contexts.",
    ['user_input', 'retrieved_contexts', 'reference'],
    { judge: true },
  ),
  metric(
    'context_entity_recall',
    'Context entity recall',
    "Share of the reference's entities present in the retrieved contexts.",
    ['reference', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'factual_correctness',
    'Factual correctness',
    'F1 of the claims of the response against those of the reference.',
    REF,
    { judge: true },
  ),
  metric(
    'answer_correctness',
    'Answer correctness',
    'Factual overlap with the reference (weighted 0.75) and semantic similarity (0.25).',
    ['user_input', 'response', 'reference'],
    { judge: true, embeddings: true },
  ),
  metric(
    'noise_sensitivity',
    'Noise sensitivity',
    'How often the response states incorrect claims drawn from relevant contexts (lower is better).',
    ['user_input', 'response', 'reference', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'answer_accuracy',
    'Answer accuracy',
    'Agreement of the response with the reference, rated by two judge prompts.',
    ['user_input', 'response', 'reference'],
    { judge: true },
  ),
  metric(
    'context_relevance',
    'Context relevance',
    'Relevance of the retrieved contexts to the question, rated by two judge prompts.',
    ['user_input', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'response_groundedness',
    'Response groundedness',
    'How well the retrieved contexts support the response, rated by two judge prompts.',
    ['response', 'retrieved_contexts'],
    { judge: true },
  ),
  metric(
    'semantic_similarity',
    'Semantic similarity',
    'Cosine similarity of the response and reference embeddings.',
    REF,
    { embeddings: true },
  ),
  metric('exact_match', 'Exact match', '1 when the response equals the reference.', REF),
  metric('string_presence', 'String presence', '1 when the reference occurs in the response.', REF),
  metric(
    'non_llm_string_similarity',
    'String similarity',
    '1 minus the normalised Levenshtein distance between response and reference.',
    REF,
  ),
  metric('bleu_score', 'BLEU', 'Sentence BLEU of the response against the reference (sacrebleu).', REF),
  metric('rouge_score', 'ROUGE-L', 'ROUGE-L F-measure of the response against the reference.', REF),
  metric(
    'chrf_score',
    'chrF',
    'Character n-gram F-score of the response against the reference (sacrebleu).',
    REF,
  ),
  metric(
    'non_llm_context_recall',
    'Context recall (string similarity)',
    'Share of reference contexts matched (similarity > 0.5) by a retrieved context.',
    ['retrieved_contexts', 'reference_contexts'],
  ),
];

/** Grouped benchmarks: a suite runs several metrics in one RAGAS process. */
export const SUITES: Readonly<
  Record<string, { name: string; description: string; metrics: readonly string[] }>
> = {
  rag_default: {
    name: 'RAG default',
    description:
      'The four core RAG metrics: faithfulness, answer relevancy, context precision, context recall.',
    metrics: ['faithfulness', 'answer_relevancy', 'context_precision', 'context_recall'],
  },
  rag_no_llm: {
    name: 'RAG without a judge',
    description: 'All metrics that need no model: string, n-gram and context-matching scores.',
    metrics: [
      'exact_match',
      'string_presence',
      'non_llm_string_similarity',
      'bleu_score',
      'rouge_score',
      'chrf_score',
      'non_llm_context_recall',
    ],
  },
};

const BY_ID = new Map(METRICS.map((m) => [m.id, m]));

export function metricInfo(id: string): MetricInfo | undefined {
  return BY_ID.get(id);
}

/** Metrics a benchmark id runs, or undefined when the id is unknown. */
export function benchmarkMetrics(benchmarkId: string): readonly string[] | undefined {
  if (BY_ID.has(benchmarkId)) return [benchmarkId];
  return SUITES[benchmarkId]?.metrics;
}

/** Union of the columns the given metrics need, in canonical order. */
export function requiredColumns(metricIds: readonly string[]): Column[] {
  const needed = new Set<Column>();
  for (const id of metricIds) for (const c of metricInfo(id)?.columns ?? []) needed.add(c);
  return ALL_COLUMNS.filter((c) => needed.has(c));
}

const endpointSchema = (what: string): Record<string, unknown> => ({
  type: 'object',
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      pattern: '^https?://\\S+$',
      maxLength: 2048,
      description: `OpenAI-compatible base URL of the ${what}.`,
    },
    model: { type: 'string', minLength: 1, maxLength: 256, description: `Served name of the ${what}.` },
  },
});

/**
 * JSON Schema of a RAGAS benchmark's `config` (documented in the README): the single statement of
 * what a benchmark accepts, with bounds; the provider checks a config against exactly this.
 */
export const CONFIG_SCHEMA: Record<string, unknown> = {
  type: 'object',
  required: ['dataset_path'],
  additionalProperties: false,
  properties: {
    dataset_path: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      pattern: '\\S',
      description: 'JSONL (one object per line) or JSON list, relative to the data root.',
    },
    column_map: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        ALL_COLUMNS.map((c) => [c, { type: 'string', minLength: 1, maxLength: 256 }]),
      ),
      description: 'Canonical column → column name in the dataset, e.g. {"user_input": "prompt"}.',
    },
    limit: { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'Score only the first N rows.' },
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { enum: METRICS.map((m) => m.id) },
      description: "Run these metrics instead of the benchmark's own.",
    },
    judge: {
      ...endpointSchema('judge model'),
      description:
        "Judge model (OpenAI-compatible base URL and served name); defaults to the request's model.",
    },
    embeddings: endpointSchema('embeddings model'),
    json_mode: {
      enum: ['json_object', 'md_json'],
      description: 'md_json for servers without response_format.',
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    timeout_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 86_400,
      description: 'Per judge call.',
    },
  },
};

export function describeBenchmarks(): BenchmarkDescriptor[] {
  const single = METRICS.map((m): BenchmarkDescriptor => ({
    id: m.id,
    name: m.name,
    description: m.description,
    category: m.judge || m.embeddings ? 'rag' : 'rag_no_llm',
    metrics: [m.id, `${m.id}_nan_count`],
    primary_metric: m.id,
    output_type: 'score',
    required_columns: [...m.columns],
    config_schema: CONFIG_SCHEMA,
  }));
  const suites = Object.entries(SUITES).map(([id, s]): BenchmarkDescriptor => ({
    id,
    name: s.name,
    description: s.description,
    category: 'rag_suite',
    metrics: s.metrics.flatMap((m) => [m, `${m}_nan_count`]),
    primary_metric: s.metrics[0]!,
    output_type: 'score',
    required_columns: requiredColumns(s.metrics),
    config_schema: CONFIG_SCHEMA,
  }));
  return [...single, ...suites];
}
