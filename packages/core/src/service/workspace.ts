import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Evaluation } from '../types.js';
import { evaluationSummary } from './tracking-data.js';

/** Where one attempt of one benchmark keeps its files. */
export interface BenchmarkPaths {
  /** Private working folder of this attempt: a new attempt never sees an earlier one's files. */
  workDir: string;
  /** The benchmark's artifacts (the newest attempt's win). */
  artifactDir: string;
  /** The benchmark's execution log; every attempt appends to it. */
  logFile: string;
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/**
 * The on-disk layout of evaluations under the data dir:
 * `evaluations/<id>/{work/<i>-<benchmark>/attempt-<n>, artifacts/<benchmark>, logs/<i>-<benchmark>.log, artifacts/summary.json}`.
 */
export class Workspace {
  constructor(private readonly dataDir: string) {}

  root(evaluationId: string): string {
    return join(this.dataDir, 'evaluations', evaluationId);
  }

  benchmark(evaluationId: string, index: number, benchmarkId: string, attempt: number): BenchmarkPaths {
    const root = this.root(evaluationId);
    const slug = `${index}-${safe(benchmarkId)}`;
    return {
      workDir: join(root, 'work', slug, `attempt-${attempt}`),
      artifactDir: join(root, 'artifacts', safe(benchmarkId)),
      logFile: this.logFile(evaluationId, index, benchmarkId),
    };
  }

  logFile(evaluationId: string, index: number, benchmarkId: string): string {
    return join(this.root(evaluationId), 'logs', `${index}-${safe(benchmarkId)}.log`);
  }

  /** Writes the evaluation's `summary.json` artifact and returns its path. */
  async writeSummary(e: Evaluation): Promise<string> {
    return this.writeArtifact(e, 'summary.json', JSON.stringify(evaluationSummary(e), null, 2));
  }

  /** Writes one of the evaluation's own artifacts (not a benchmark's) and returns its path. */
  async writeArtifact(e: Evaluation, name: string, content: string): Promise<string> {
    const dir = join(this.root(e.id), 'artifacts');
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  }
}
