import type { CoreV1Api, V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { until } from '@evalhub/core/testing';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, resolvePython } from '../src/index.js';
import { containerTestEnabled, ensureImage, IMAGE, podman, podmanOk, podmanScript } from './podman.js';

/**
 * The kubelet and container runtime of the test cluster's kwok node, for one Pod at a time. kwok
 * moves Pods through their phases by rule but runs no container, so a test that needs the Job's
 * container to run for real asks this stand-in: it waits until the Job's Pod runs on the node, reads
 * the Pod spec back from the API server, resolves its env (`value`, `secretKeyRef`,
 * `configMapKeyRef`, `envFrom`) from the API server, mounts every `emptyDir` as a fresh temp folder
 * (mode 0777, as the kubelet makes it), runs the container's exact `command` + `args` and appends
 * its output to the CRI-format log file kwok serves as the container log (what `pods/log` returns).
 *
 * Two modes:
 * - `podman`: the container runs in the project's image (tools/container, `localhost/eval-hub:latest`)
 *   under podman: `--entrypoint` = the container's `command` (which, as in Kubernetes, drops the
 *   image's ENTRYPOINT and CMD), its `args` after the image; the security context as far as podman
 *   can: `runAsUser`/`runAsGroup` (else the image's user, refused when it is root and `runAsNonRoot`
 *   holds, as the kubelet refuses it), `readOnlyRootFilesystem` → `--read-only` without podman's
 *   extra tmpfs mounts, `allowPrivilegeEscalation: false` → `no-new-privileges`, the capabilities
 *   dropped/added, podman's default seccomp profile for `RuntimeDefault`. The env goes through a
 *   0600 `--env-file` in a 0700 temp folder (removed when the container ends), so no value — the
 *   per-attempt token included — is on any command line. `--network host`: the container reaches
 *   the hub's callback and the fixture model on 127.0.0.1, as a pod reaches its Service. The
 *   image's HEALTHCHECK is off (`--no-healthcheck`; Kubernetes has probes instead). Resources
 *   (requests/limits) are not applied.
 * - `process`: where the image is not at hand, the command runs as a local process with exactly the
 *   resolved env (plus the test's PATH), each mount path in an env value mapped to its temp folder.
 *   The Job must then name a host command (the runtime's `worker_command`).
 *
 * The rule is the container test's: podman when EVALHUB_CONTAINER_TEST=1 (.ci/run sets it once the
 * image is built; EVALHUB_CONTAINER_IMAGE_BUILT=1 skips the rebuild), else a process.
 */
export type KubeletMode = 'podman' | 'process';

/** The image's interpreter, as deploy/kubernetes/overlays/jobs/evalhub.config.yaml names it. */
const IMAGE_PYTHON = '/opt/evalhub/venv/bin/python';
const WORKER_MAIN = join(repoRoot, 'packages', 'runtime-kubernetes', 'src', 'worker', 'main.ts');
const TSX = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');

export interface ContainerRun {
  exitCode: number | null;
  /** The argv the stand-in started (podman's, or the command's in process mode). */
  argv: string[];
  /** podman mode: what podman recorded for the container (`podman inspect`), read before it is removed. */
  inspect?: PodmanInspect;
}

/** The parts of `podman inspect` the tests look at. */
export interface PodmanInspect {
  Config: { User: string; Entrypoint: string[] | string; Cmd: string[] | null; Image?: string };
  ImageName: string;
  HostConfig: { ReadonlyRootfs: boolean; SecurityOpt: string[]; CapDrop: string[]; NetworkMode: string };
}

export interface KubeletStandIn {
  readonly mode: KubeletMode;
  /** Why this mode: for the test's output. */
  readonly reason: string;
  /** Runtime options that make the runtime's Jobs runnable here (image, pull policy, worker command). */
  readonly runtimeOptions: { image: string; image_pull_policy?: 'Never'; worker_command?: string[] };
  /** The Python interpreter inside the Job's container: the one the hub must name in commands. */
  readonly python: string;
  /** Waits until the Job's Pod runs on the node, then runs its container to its end. */
  runJob(jobName: string): Promise<ContainerRun>;
  /** Ends whatever container is still running (test clean-up). */
  close(): Promise<void>;
}

export interface KubeletStandInOptions {
  /** An API client that may read the namespace's Pods, Secrets and ConfigMaps (the kubelet's view). */
  core: CoreV1Api;
  namespace: string;
  /** The CRI log file kwok serves (inject('kubernetes').kwokLogFile). */
  criLog: string;
  log?: (line: string) => void;
}

/** The mode this machine allows (see above). */
export function kubeletMode(): KubeletMode {
  return containerTestEnabled ? 'podman' : 'process';
}

/** The stand-in in the mode this machine allows. */
export async function kubeletStandIn(o: KubeletStandInOptions): Promise<KubeletStandIn> {
  const log = o.log ?? ((line: string) => void process.stdout.write(`[kubelet] ${line}\n`));
  if (kubeletMode() === 'podman') {
    const size = await ensureImage(log);
    log(`podman mode: ${IMAGE} (${(size / 1e9).toFixed(2)} GB), EVALHUB_CONTAINER_TEST=1`);
    return new StandIn(o, 'podman', 'EVALHUB_CONTAINER_TEST=1: the image is at hand');
  }
  log('process mode: EVALHUB_CONTAINER_TEST is not 1, the image is not at hand');
  return new StandIn(
    o,
    'process',
    'EVALHUB_CONTAINER_TEST is not 1: the image is not at hand',
    await resolvePython(),
  );
}

interface Mount {
  /** The host folder (a temp folder for an emptyDir). */
  source: string;
  target: string;
  readOnly: boolean;
}

class StandIn implements KubeletStandIn {
  readonly runtimeOptions: KubeletStandIn['runtimeOptions'];
  readonly python: string;
  private readonly running = new Set<{ stop(): Promise<void> }>();

  constructor(
    private readonly o: KubeletStandInOptions,
    readonly mode: KubeletMode,
    readonly reason: string,
    hostPython?: string,
  ) {
    this.python = hostPython ?? IMAGE_PYTHON;
    this.runtimeOptions =
      mode === 'podman'
        ? // a local image: the API server defaults `:latest` to Always, which no registry could serve
          { image: IMAGE, image_pull_policy: 'Never' }
        : {
            image: 'registry.example.invalid/evalhub:test',
            worker_command: [process.execPath, '--import', TSX, WORKER_MAIN],
          };
  }

  async runJob(jobName: string): Promise<ContainerRun> {
    const { core, namespace } = this.o;
    const pod = await until(
      `the Pod of Job ${jobName} to run on the kwok node`,
      async () => {
        const pods = await core.listNamespacedPod({
          namespace,
          labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
        });
        return pods.items.find((p) => p.status?.phase === 'Running');
      },
      { timeoutMs: 120_000, intervalMs: 200, retryErrors: true },
    );
    return this.runPod(pod);
  }

  private async runPod(pod: V1Pod): Promise<ContainerRun> {
    const spec = pod.spec;
    const container = spec?.containers[0];
    if (!spec || !container || spec.containers.length !== 1 || (spec.initContainers?.length ?? 0) > 0)
      throw new Error('the kubelet stand-in runs Pods of exactly one container and no init containers');
    const env = await this.resolveEnv(container);
    const scratch = await mkdtemp(join(tmpdir(), 'evalhub-kubelet-'));
    try {
      const mounts = await emptyDirs(spec, container, scratch);
      return this.mode === 'podman'
        ? await this.runPodman(pod, spec, container, env, mounts, scratch)
        : await this.runProcess(container, env, mounts);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The container's env as the kubelet resolves it: `envFrom` first, then `env` (which wins). */
  private async resolveEnv(c: V1Container): Promise<Map<string, string>> {
    const env = new Map<string, string>();
    for (const from of c.envFrom ?? []) {
      const ref = from.secretRef ?? from.configMapRef;
      const values = await this.data(from.secretRef ? 'Secret' : 'ConfigMap', ref?.name ?? '', ref?.optional);
      for (const [k, v] of Object.entries(values)) env.set(`${from.prefix ?? ''}${k}`, v);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (e.value !== undefined || !e.valueFrom) env.set(e.name, e.value ?? '');
      else if (!ref)
        throw new Error(
          `env ${e.name}: the kubelet stand-in resolves no ${Object.keys(e.valueFrom).join(', ')}`,
        );
      else {
        const kind = e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap';
        const value = (await this.data(kind, ref.name ?? '', ref.optional))[ref.key];
        if (value !== undefined) env.set(e.name, value);
        else if (!ref.optional) throw new Error(`env ${e.name}: ${kind} ${ref.name} has no key ${ref.key}`);
      }
    }
    return env;
  }

  /** The data of a Secret or ConfigMap, read from the API server (`{}` when missing and optional). */
  private async data(
    kind: 'Secret' | 'ConfigMap',
    name: string,
    optional?: boolean,
  ): Promise<Record<string, string>> {
    const { core, namespace } = this.o;
    try {
      if (kind === 'ConfigMap') return (await core.readNamespacedConfigMap({ name, namespace })).data ?? {};
      const secret = await core.readNamespacedSecret({ name, namespace });
      return Object.fromEntries(
        Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      );
    } catch (err) {
      if (optional) return {};
      throw err;
    }
  }

  private async runProcess(c: V1Container, env: Map<string, string>, mounts: Mount[]): Promise<ContainerRun> {
    if (!c.command?.length)
      throw new Error('process mode needs the container command (the image is not here)');
    const mapped: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const [k, v] of env) {
      const m = mounts.find((x) => v === x.target || v.startsWith(`${x.target}/`));
      mapped[k] = m ? m.source + v.slice(m.target.length) : v;
    }
    const argv = [...c.command, ...(c.args ?? [])];
    const exitCode = await this.spawnLogged(argv, mapped, async () => undefined);
    return { exitCode, argv };
  }

  private async runPodman(
    pod: V1Pod,
    spec: V1PodSpec,
    c: V1Container,
    env: Map<string, string>,
    mounts: Mount[],
    scratch: string,
  ): Promise<ContainerRun> {
    const image = c.image ?? '';
    const name = `evalhub-kubelet-${pod.metadata?.name ?? 'pod'}-${process.pid}`.slice(0, 120);
    const envFile = join(scratch, 'env');
    const lines = [...env].map(([k, v]) => {
      if (/[\n\r]/.test(v) || /[=\n\r]/.test(k))
        throw new Error(`env ${k}: podman's --env-file holds one line a value`);
      return `${k}=${v}\n`;
    });
    await chmod(scratch, 0o700);
    await writeFile(envFile, lines.join(''), { mode: 0o600 });
    const argv = [
      podmanScript,
      'run',
      '--name',
      name,
      `--pull=${pullPolicy(c.imagePullPolicy)}`,
      '--network',
      'host',
      // Kubernetes runs no HEALTHCHECK of an image (probes are the Pod's)
      '--no-healthcheck',
      '--env-file',
      envFile,
      ...(await securityArgs(spec, c, image)),
      ...mounts.flatMap((m) => ['-v', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`]),
      ...(c.workingDir ? ['--workdir', c.workingDir] : []),
      ...(c.command?.length ? ['--entrypoint', JSON.stringify(c.command)] : []),
      image,
      ...(c.args ?? []),
    ];
    try {
      const exitCode = await this.spawnLogged(argv, { ...process.env }, async () => {
        await podman('rm', '--force', '--time', '0', name);
      });
      const [inspect] = JSON.parse(await podmanOk('inspect', name)) as PodmanInspect[];
      return { exitCode, argv, ...(inspect ? { inspect } : {}) };
    } finally {
      await podman('rm', '--force', '--time', '0', name);
    }
  }

  /** Runs argv, its stdout and stderr appended line by line to the CRI log; resolves with its exit code. */
  private spawnLogged(
    argv: string[],
    env: NodeJS.ProcessEnv,
    kill: () => Promise<void>,
  ): Promise<number | null> {
    const [cmd = '', ...args] = argv;
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const handle = {
      stop: async () => {
        await kill();
        child.kill('SIGKILL');
      },
    };
    this.running.add(handle);
    const cri = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      return (chunk: Buffer): void => {
        pending += chunk.toString('utf8');
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts)
          appendFileSync(this.o.criLog, `${new Date().toISOString()} ${stream} F ${line}\n`);
      };
    };
    child.stdout.on('data', cri('stdout'));
    child.stderr.on('data', cri('stderr'));
    return new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    }).finally(() => this.running.delete(handle));
  }

  async close(): Promise<void> {
    for (const r of [...this.running]) await r.stop();
  }
}

/** Every mount of the container; each emptyDir becomes a fresh folder under `scratch`. */
async function emptyDirs(spec: V1PodSpec, c: V1Container, scratch: string): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const m of c.volumeMounts ?? []) {
    const volume = spec.volumes?.find((v) => v.name === m.name);
    if (!volume?.emptyDir || m.subPath)
      throw new Error(`volume ${m.name}: the kubelet stand-in mounts emptyDir volumes only`);
    const source = join(scratch, `volume-${m.name}`);
    await mkdir(source);
    // an emptyDir is world-writable, so the container's user (not the one running podman) writes it
    await chmod(source, 0o777);
    mounts.push({ source, target: m.mountPath, readOnly: m.readOnly === true });
  }
  return mounts;
}

function pullPolicy(p: string | undefined): 'never' | 'missing' | 'always' {
  return p === 'Never' ? 'never' : p === 'Always' ? 'always' : 'missing';
}

/** The Pod's and container's security context as podman flags (the container's fields win). */
async function securityArgs(spec: V1PodSpec, c: V1Container, image: string): Promise<string[]> {
  const pod = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const args: string[] = [];
  const uid = sc.runAsUser ?? pod.runAsUser;
  const gid = sc.runAsGroup ?? pod.runAsGroup;
  let user: string;
  if (uid !== undefined) user = gid !== undefined ? `${uid}:${gid}` : String(uid);
  else {
    // the image's USER, which the kubelet checks against runAsNonRoot (a name it cannot verify)
    user = await podmanOk('image', 'inspect', '--format', '{{.Config.User}}', image);
    if (gid !== undefined) user = `${user.split(':')[0]}:${gid}`;
  }
  const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
  const numeric = /^\d+(:\d+)?$/.test(user);
  if (runAsNonRoot && (!numeric || Number(user.split(':')[0]) === 0))
    throw new Error(
      `container has runAsNonRoot and image will run as ${user || 'root'} (the kubelet refuses to start it)`,
    );
  if (user) args.push('--user', user);
  for (const g of pod.supplementalGroups ?? []) args.push('--group-add', String(g));
  if (pod.fsGroup !== undefined) args.push('--group-add', String(pod.fsGroup));
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (sc.privileged) args.push('--privileged');
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', cap);
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap);
  const seccomp = sc.seccompProfile ?? pod.seccompProfile;
  if (seccomp?.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
  else if (seccomp?.type === 'Localhost')
    throw new Error('the kubelet stand-in has no Localhost seccomp profiles');
  return args;
}
