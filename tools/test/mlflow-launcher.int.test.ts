import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, inject, it } from 'vitest';
import { startMlflowServer } from '../src/mlflow/launcher.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('MLflow launcher', () => {
  it('the global setup provides a healthy real MLflow server', async () => {
    const res = await request(`${inject('mlflowTrackingUri')}/health`);
    expect(res.statusCode).toBe(200);
    expect((await res.body.text()).trim()).toBe('OK');
  });

  it('starts a server in a given folder and stops its whole process group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalhub-launcher-it-'));
    const server = await startMlflowServer({ dir });
    expect(server.trackingUri).toBe(`http://127.0.0.1:${server.port}`);
    expect(existsSync(join(dir, 'mlflow.db'))).toBe(true);
    const version = await request(`${server.trackingUri}/version`);
    expect((await version.body.text()).trim()).toMatch(/^3\./);
    await server.stop();
    await server.stop(); // idempotent
    expect(alive(server.pid)).toBe(false);
    await expect(request(`${server.trackingUri}/health`)).rejects.toThrow();
  });

  it('fails loudly with the server output when mlflow cannot start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evalhub-launcher-bad-'));
    const fakePython = join(dir, 'python');
    await writeFile(fakePython, '#!/bin/sh\necho "No module named mlflow" >&2\nexit 3\n');
    await chmod(fakePython, 0o755);
    await expect(startMlflowServer({ python: fakePython, dir })).rejects.toThrow(
      /exited before becoming healthy \(code 3[\s\S]*No module named mlflow/,
    );
  });
});
