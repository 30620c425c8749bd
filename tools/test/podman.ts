import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../src/mlflow/launcher.js';

/**
 * The project's image and podman as tools/container sets it up, for the tests that run the image:
 * tools/test/container.int.test.ts and the kubelet stand-in of the k8s-e2e tests.
 *
 * The rule for when the image is at hand: EVALHUB_CONTAINER_TEST=1 (.ci/run sets it after
 * tools/container/install-podman.sh and build-image.sh). EVALHUB_CONTAINER_IMAGE_BUILT=1 says the
 * image has just been built; otherwise `ensureImage()` runs build-image.sh (cached layers: minutes).
 */
export const containerTestEnabled = process.env['EVALHUB_CONTAINER_TEST'] === '1';
/** What tools/container/build-image.sh tags (podman names it `localhost/eval-hub:latest`). */
export const IMAGE = 'localhost/eval-hub:latest';
export const podmanScript = join(repoRoot, 'tools', 'container', 'podman.sh');

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function exec(file: string, args: string[], timeout = 120_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repoRoot, maxBuffer: 64 << 20, timeout }, (err, stdout, stderr) =>
      resolve({
        code: err ? ((err as { code?: number }).code ?? 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      }),
    );
  });
}

/** podman with Eval Hub's containers.conf and storage (tools/container/env.sh). */
export const podman = (...args: string[]): Promise<ExecResult> => exec(podmanScript, args);

export async function podmanOk(...args: string[]): Promise<string> {
  const r = await podman(...args);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** Builds the image unless .ci/run has just done so (EVALHUB_CONTAINER_IMAGE_BUILT=1); returns its size in bytes. */
export async function ensureImage(log: (line: string) => void): Promise<number> {
  if (process.env['EVALHUB_CONTAINER_IMAGE_BUILT'] !== '1') {
    const build = await exec(join(repoRoot, 'tools', 'container', 'build-image.sh'), [], 3_600_000);
    if (build.code !== 0)
      throw new Error(`tools/container/build-image.sh failed:\n${build.stderr.slice(-4000)}`);
    log(build.stderr.trim().split('\n').pop() ?? '');
  }
  return Number(await podmanOk('image', 'inspect', '--format', '{{.Size}}', IMAGE));
}
