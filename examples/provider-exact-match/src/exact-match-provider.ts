import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  BenchmarkFailedError,
  type BenchmarkOutcome,
  type BenchmarkTask,
  type EvaluationProvider,
  type ProviderDescriptor,
  type RunContext,
  type ValidationIssue,
} from '@evalhub/core';

export interface ExactMatchOptions {
  /** Folder that dataset paths must stay inside. */
  dataRoot: string;
  /** Questions asked at once. */
  concurrency?: number;
}

interface Row {
  question: string;
  answer: string;
}

/** Lower-case, trim, collapse spaces and drop trailing punctuation: "Paris." matches "paris". */
export function normalize(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.!?]+$/, '');
}

/**
 * Asks the model each question of a JSONL file (`{"question": …, "answer": …}` per line) through its
 * OpenAI-compatible chat endpoint and scores the share of answers that match exactly (normalised).
 */
export class ExactMatchProvider implements EvaluationProvider {
  /** Its requests go to `ctx.gateway.baseUrl` when the hub gives one (docs/model-gateway.md). */
  readonly usesModelGateway = true;

  constructor(private readonly options: ExactMatchOptions) {}

  describe(): ProviderDescriptor {
    return {
      id: 'exact_match_qa',
      name: 'Exact-match QA (example)',
      description: 'Exact match of chat answers against reference answers from a JSONL file.',
      version: '0.1.0',
      benchmarks: [
        {
          id: 'qa_exact_match',
          name: 'QA exact match',
          description: 'config.dataset_path: JSONL of {question, answer}; config.limit: optional row limit.',
          category: 'question_answering',
          metrics: ['exact_match', 'answered'],
          primary_metric: 'exact_match',
          output_type: 'generate_until',
          config_schema: {
            type: 'object',
            required: ['dataset_path'],
            properties: { dataset_path: { type: 'string' }, limit: { type: 'integer', minimum: 1 } },
          },
        },
      ],
    };
  }

  private datasetPath(config: Record<string, unknown>): string | ValidationIssue {
    const raw = config.dataset_path;
    if (typeof raw !== 'string' || raw.length === 0) {
      return { pointer: '/dataset_path', message: 'Required: a JSONL file of {"question", "answer"} lines.' };
    }
    const full = resolve(this.options.dataRoot, raw);
    const rel = relative(this.options.dataRoot, full);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      return {
        pointer: '/dataset_path',
        message: `'${raw}' is outside the data root ${this.options.dataRoot}.`,
      };
    }
    return full;
  }

  private async rows(path: string, limit?: number): Promise<Row[]> {
    const text = await readFile(path, 'utf8');
    const rows: Row[] = [];
    for (const [i, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      let row: Partial<Row>;
      try {
        row = JSON.parse(line) as Partial<Row>;
      } catch {
        throw new Error(`line ${i + 1} is not valid JSON`);
      }
      if (typeof row.question !== 'string' || typeof row.answer !== 'string') {
        throw new Error(`line ${i + 1} needs string fields "question" and "answer"`);
      }
      rows.push(row as Row);
    }
    if (rows.length === 0) throw new Error('the file has no rows');
    return limit ? rows.slice(0, limit) : rows;
  }

  async validate(task: BenchmarkTask): Promise<ValidationIssue[]> {
    const path = this.datasetPath(task.benchmark.config);
    if (typeof path !== 'string') return [path];
    try {
      await this.rows(path);
      return [];
    } catch (err) {
      return [
        {
          pointer: '/dataset_path',
          message: `Cannot use ${String(task.benchmark.config.dataset_path)}: ${(err as Error).message}.`,
        },
      ];
    }
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    ctx.signal.throwIfAborted();
    const path = this.datasetPath(task.benchmark.config);
    if (typeof path !== 'string') throw new BenchmarkFailedError(path.message);
    const limit = typeof task.benchmark.config.limit === 'number' ? task.benchmark.config.limit : undefined;
    const rows = await this.rows(path, limit);
    const { temperature = 0, max_tokens = 64 } = task.model.configuration as {
      temperature?: number;
      max_tokens?: number;
    };
    // Through the hub's model gateway when it routes this benchmark: the gateway adds the API key and
    // limits the requests in flight to what the model server takes, so ask as many at once as it allows.
    const baseUrl = ctx.gateway?.baseUrl ?? task.model.url;
    const concurrency = ctx.gateway?.concurrency ?? this.options.concurrency ?? 4;
    const answers: { question: string; expected: string; answer: string | null; match: boolean }[] =
      new Array(rows.length);
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < rows.length) {
        const i = next++;
        const row = rows[i]!;
        const res = await fetch(`${baseUrl}/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(task.modelApiKey ? { authorization: `Bearer ${task.modelApiKey}` } : {}),
          },
          body: JSON.stringify({
            model: task.model.name,
            messages: [{ role: 'user', content: row.question }],
            temperature,
            max_tokens,
          }),
          signal: ctx.signal,
        });
        if (!res.ok)
          throw new BenchmarkFailedError(
            `The model server answered ${res.status} for question ${i + 1}: ${(await res.text()).slice(0, 200)}`,
          );
        const body = (await res.json()) as { choices?: { message?: { content?: string | null } }[] };
        const answer = body.choices?.[0]?.message?.content ?? null;
        answers[i] = {
          question: row.question,
          expected: row.answer,
          answer,
          match: answer !== null && normalize(answer) === normalize(row.answer),
        };
        done++;
        ctx.progress({ fraction: done / rows.length, completed: done, total: rows.length });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
    await ctx.artifact({
      name: 'answers.jsonl',
      content: answers.map((a) => JSON.stringify(a)).join('\n') + '\n',
      contentType: 'application/x-ndjson',
    });
    const matches = answers.filter((a) => a.match).length;
    return {
      metrics: {
        exact_match: matches / rows.length,
        answered: answers.filter((a) => a.answer !== null).length / rows.length,
      },
      primaryMetric: 'exact_match',
      samples: rows.length,
    };
  }
}
