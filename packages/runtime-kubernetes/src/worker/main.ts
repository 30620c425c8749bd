#!/usr/bin/env node
import { runWorker, workerEnvFrom } from './worker.js';

// The container command of every Job the Kubernetes runtime creates (`evalhub-k8s-worker`).
try {
  const code = await runWorker(workerEnvFrom(process.env), {
    stdout: process.stdout,
    stderr: process.stderr,
    baseEnv: process.env,
  });
  process.exitCode = code;
} catch (err) {
  process.stderr.write(`[evalhub worker] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 70;
}
