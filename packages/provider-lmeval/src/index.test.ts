import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPlugin } from '@evalhub/core';
import type { HubInfo } from '@evalhub/core';
import { createTestPluginContext } from '@evalhub/core/testing';
import plugin, { LMEVAL_CATALOG, LmEvalProvider, optionsSchema } from './index.js';
import { benchmarkConfigSchema } from './options.js';
import { task } from './task.test-support.js';

// The hub facts the plugin sees (createTestPluginContext records the provider it adds).
const HUB = { version: '0.1.0', dataDir: '/state', configDir: '/etc/evalhub', dataRoot: '/data' };
const context = (hub: Partial<HubInfo> = {}) =>
  createTestPluginContext({ kind: 'provider', hub: { ...HUB, ...hub } });

describe('plugin manifest', () => {
  it('is a branded provider plugin with an options schema', () => {
    expect(isPlugin(plugin)).toBe(true);
    expect(plugin).toMatchObject({ name: '@evalhub/provider-lmeval', kind: 'provider', apiVersion: 1 });
    expect(Object.keys((optionsSchema.properties as object) ?? {})).toEqual(
      expect.arrayContaining([
        'python',
        'lm_eval_command',
        'data_root',
        'tasks_dir',
        'concurrency',
        'max_retries',
        'tokenizer_backend',
        'tokenizer',
        'batch_size',
        'default_limit',
        'request_timeout_seconds',
      ]),
    );
  });

  it('registers one provider with the hub defaults, options winning', async () => {
    const ctx = context({ python: '/venv/bin/python' });
    const { providers } = ctx;
    await plugin.register(ctx, {});
    expect(providers).toHaveLength(1);
    const provider = providers[0] as LmEvalProvider;
    expect(provider).toBeInstanceOf(LmEvalProvider);
    expect(await provider.health()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('/venv/bin/python'),
    });

    const second = context({ python: '/venv/bin/python' });
    await plugin.register(second, { python: 'python3' });
    expect(await (second.providers[0] as LmEvalProvider).health()).toMatchObject({ ok: true });
  });
});

describe('describe()', () => {
  it('lists the common lm-eval tasks with metrics and primary metric under provider lm_evaluation_harness', () => {
    const descriptor = new LmEvalProvider().describe();
    expect(descriptor.id).toBe('lm_evaluation_harness');
    const ids = descriptor.benchmarks.map((b) => b.id);
    for (const id of [
      'arc_easy',
      'arc_challenge',
      'hellaswag',
      'mmlu',
      'gsm8k',
      'winogrande',
      'truthfulqa_mc2',
      'piqa',
      'boolq',
      'lambada_openai',
    ]) {
      expect(ids).toContain(id);
    }
    const arc = descriptor.benchmarks.find((b) => b.id === 'arc_easy');
    expect(arc).toMatchObject({
      metrics: ['acc', 'acc_norm'],
      primary_metric: 'acc',
      output_type: 'multiple_choice',
      category: 'reasoning',
    });
    const gsm8k = LMEVAL_CATALOG.find((b) => b.id === 'gsm8k');
    expect(gsm8k?.metrics).toEqual(['exact_match_strict-match', 'exact_match_flexible-extract']);
    expect(gsm8k?.needs_loglikelihood).toBe(false);
  });
});

describe('validate()', () => {
  const provider = new LmEvalProvider({ data_root: '/nonexistent-root' });
  it('reports bad settings with pointers into the benchmark config', () => {
    expect(
      provider.validate(task('arc_easy', { num_fewshot: -1, limit: 2.5, chat: true, colour: 'red' })),
    ).toEqual([
      { pointer: '/colour', message: expect.stringContaining('not a known field') },
      { pointer: '/num_fewshot', message: 'Must be >= 0.' },
      { pointer: '/limit', message: expect.stringContaining('whole number') },
      { pointer: '/chat', message: expect.stringContaining('loglikelihoods') },
    ]);
    expect(provider.validate(task('hellaswag', { dataset_path: 'x.jsonl' }))).toEqual([
      { pointer: '/dataset_path', message: expect.stringContaining('Python preprocessing') },
    ]);
    expect(
      provider.validate(task('gsm8k', { chat: true, num_fewshot: 0, gen_kwargs: { max_gen_toks: 64 } })),
    ).toEqual([]);
  });
  it('refuses settings outside the schema bounds, naming the field (issue: 1e9 shots, 1e6 batch, 200 KB instruction)', () => {
    const issues = provider.validate(
      task('arc_easy', { num_fewshot: 1e9, batch_size: 1e6, system_instruction: 'x'.repeat(200_000) }),
    );
    expect(issues).toEqual([
      { pointer: '/num_fewshot', message: 'Must be <= 100.' },
      { pointer: '/batch_size', message: 'Must be <= 1024.' },
      { pointer: '/system_instruction', message: 'Must be at most 16384 characters.' },
    ]);
    expect(provider.validate(task('gsm8k', { gen_kwargs: { until: 'a,b' } }))).toEqual([
      { pointer: '/gen_kwargs/until', message: expect.stringContaining('format') },
    ]);
    expect(provider.validate(task('gsm8k', { seed: -1, limit: 0 })).map((i) => i.pointer)).toEqual([
      '/limit',
      '/seed',
    ]);
  });
  it('publishes the schema it checks against in every benchmark of its catalog', () => {
    for (const b of provider.describe().benchmarks) expect(b.config_schema).toBe(benchmarkConfigSchema);
    const schema = benchmarkConfigSchema.properties as Record<string, Record<string, unknown>>;
    expect(schema.num_fewshot).toMatchObject({ minimum: 0, maximum: 100 });
    expect(schema.batch_size).toMatchObject({ minimum: 1, maximum: 1024 });
    expect(schema.system_instruction).toMatchObject({ maxLength: 16_384 });
  });
  it('names close matches for an unknown task', () => {
    expect(provider.validate(task('hellaswg', {}))[0]?.message).toMatch(/Did you mean 'hellaswag'/);
  });
  it('uses the configured default dataset of a task when the request gives none', () => {
    const root = mkdtempSync(join(tmpdir(), 'evalhub-lmeval-data-'));
    writeFileSync(join(root, 'arc.jsonl'), '{}\n');
    const withDefaults = new LmEvalProvider({
      data_root: root,
      task_data: { arc_easy: 'arc.jsonl', arc_challenge: '../outside.jsonl' },
    });
    expect(withDefaults.validate(task('arc_easy', { num_fewshot: 0 }))).toEqual([]);
    expect(withDefaults.validate(task('arc_challenge', {}))).toEqual([
      { pointer: '/dataset_path', message: expect.stringContaining('outside') },
    ]);
  });
});
