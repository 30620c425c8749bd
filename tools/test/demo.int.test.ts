import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, resolvePython } from '../src/mlflow/launcher.js';

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 900_000 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

/** Rows of the demo's result tables: evaluation title → benchmark → {metric, score}. */
function printedScores(
  stdout: string,
): Map<string, Map<string, { metric: string; score: string; status: string }>> {
  const out = new Map<string, Map<string, { metric: string; score: string; status: string }>>();
  let current: Map<string, { metric: string; score: string; status: string }> | undefined;
  for (const line of stdout.split('\n')) {
    const title = /^ {2}(.+ evaluation) — (\w+) \(evaluation /.exec(line);
    if (title) {
      current = new Map();
      out.set(title[1]!, current);
      continue;
    }
    const row = /^ {2}(\S+)\s+(\S+)\s+(completed|failed|cancelled)\s+(\S+)\s+(\S+)\s+(\S+)\s+/.exec(line);
    if (row && current) current.set(row[1]!, { status: row[3]!, metric: row[4]!, score: row[5]! });
  }
  return out;
}

describe('the demo (npm run demo)', () => {
  it("runs the spec's three requests end to end, and its printed scores equal what MLflow stores", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalhub-demo-test-'));
    const demo = await run(process.execPath, [join(repoRoot, 'tools', 'dist', 'demo', 'main.js')], {
      EVALHUB_DEMO_DIR: dir,
    });
    expect(demo.stderr).not.toMatch(/demo failed/);
    expect(demo.code).toBe(0);
    const printed = printedScores(demo.stdout);
    expect([...printed.keys()]).toEqual([
      'Single benchmark evaluation',
      'Multi-provider evaluation',
      'Collection evaluation',
    ]);
    expect([...printed.get('Multi-provider evaluation')!.keys()]).toEqual(['arc_easy', 'faithfulness']);

    // Read the runs back with MLflow's own Python client, from the demo's MLflow database.
    const python = await resolvePython();
    const script = `
import json, sys, mlflow
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri="sqlite:///" + sys.argv[1])
out = {}
for name in ["eval-hub_arc-easy-evaluation", "eval-hub_comprehensive-evaluation", "eval-hub_healthcare-certification"]:
    exp = c.get_experiment_by_name(name)
    runs = c.search_runs([exp.experiment_id])
    out[name] = {"runs": len(runs), "status": runs[0].info.status, "metrics": runs[0].data.metrics, "tags": exp.tags}
print(json.dumps(out))
`;
    const read = await run(python, ['-c', script, join(dir, 'mlflow', 'mlflow.db')]);
    expect(read.stderr.includes('Traceback')).toBe(false);
    const mlflow = JSON.parse(read.stdout.trim().split('\n').pop()!) as Record<
      string,
      { runs: number; status: string; metrics: Record<string, number>; tags: Record<string, string> }
    >;
    const experimentOf: Record<string, string> = {
      'Single benchmark evaluation': 'eval-hub_arc-easy-evaluation',
      'Multi-provider evaluation': 'eval-hub_comprehensive-evaluation',
      'Collection evaluation': 'eval-hub_healthcare-certification',
    };
    for (const [title, rows] of printed) {
      const m = mlflow[experimentOf[title]!]!;
      expect(m.runs).toBe(1);
      expect(m.status).toBe('FINISHED');
      for (const [, row] of rows) {
        expect(row.status).toBe('completed');
        const value = m.metrics[row.metric];
        expect(value, `${title}: ${row.metric}`).toBeDefined();
        const shown = Number.isInteger(value) ? String(value) : value!.toFixed(4);
        expect(row.score, `${title}: ${row.metric}`).toBe(shown);
      }
    }
    expect(mlflow['eval-hub_arc-easy-evaluation']!.tags).toMatchObject({
      environment: 'testing',
      model_family: 'llama-3.1',
    });
    expect(mlflow['eval-hub_healthcare-certification']!.tags).toMatchObject({
      compliance: 'healthcare',
      certification_level: 'grade-a',
    });
  });
});
