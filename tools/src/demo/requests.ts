/**
 * The spec's three example requests (mlflow-integration spec, "Payload Examples"), verbatim, except
 * that the collection example gains the `collection_id` the hub needs to know what to run. One source
 * for the demo and the tests that replay the spec.
 */
export const SINGLE_BENCHMARK = {
  model: {
    server: 'vllm',
    name: 'meta-llama/llama-3.1-8b',
    configuration: { temperature: 0.1, max_tokens: 512 },
  },
  benchmarks: [
    { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
  ],
  experiment: { name: 'arc-easy-evaluation', tags: { environment: 'testing', model_family: 'llama-3.1' } },
};

export const MULTI_PROVIDER = {
  model: { server: 'vllm', name: 'meta-llama/llama-3.1-8b' },
  benchmarks: [
    { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
    { benchmark_id: 'faithfulness', provider_id: 'ragas', config: { dataset_path: './data/test.jsonl' } },
  ],
  experiment: {
    name: 'comprehensive-evaluation',
    tags: { evaluation_type: 'comprehensive', model_version: 'v1.0' },
  },
};

export const COLLECTION = {
  model: { server: 'vllm', name: 'meta-llama/llama-3.1-8b' },
  collection_id: 'healthcare-certification',
  experiment: {
    name: 'healthcare-certification',
    tags: { environment: 'production', compliance: 'healthcare', certification_level: 'grade-a' },
  },
};

export const DEMO_REQUESTS: { title: string; body: Record<string, unknown> }[] = [
  { title: 'Single benchmark evaluation', body: SINGLE_BENCHMARK },
  { title: 'Multi-provider evaluation', body: MULTI_PROVIDER },
  { title: 'Collection evaluation', body: COLLECTION },
];
