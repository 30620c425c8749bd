import { mkdirSync } from 'node:fs';
import { appendFile, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { ValidationError } from '../errors.js';
import type { ArtifactSpec, RunContext } from '../extension-points/provider.js';
import type { ExecLabels, ExecResources, Runtime } from '../extension-points/runtime.js';
import type { Logger } from '../logging.js';
import type { ArtifactInfo, Progress } from '../types.js';

export interface RunContextOptions {
  runtime: Runtime;
  signal: AbortSignal;
  /** Private working folder of this benchmark run (created on first access). */
  workDir: string;
  /** Folder that receives this benchmark's artifacts (created on the first artifact). */
  artifactDir: string;
  /** Prefix of artifact names, normally the benchmark id. */
  artifactPrefix: string;
  logFile: string;
  /** Whose work the commands are: given to the runtime with every `exec` (see ExecRequest.labels). */
  labels?: ExecLabels;
  /**
   * The benchmark's timeout: given to the runtime with every `exec` (ExecRequest.timeoutSeconds), so
   * a remote runtime sets its own deadline from it; a provider's shorter timeout wins.
   */
  timeoutSeconds?: number;
  /**
   * The resources the request asked for this benchmark (checked by the runtime at submission): given
   * to the runtime with every `exec` the provider does not give its own (ExecRequest.resources).
   */
  resources?: ExecResources;
  logger: Logger;
  /** The model gateway's route for this benchmark (RunContext.gateway), when it is routed. */
  gateway?: { baseUrl: string; concurrency: number };
  onProgress?: (progress: Progress) => void;
  onLog?: (line: string) => void;
  onArtifact?: (artifact: ProducedArtifact) => void;
}

/** An artifact a provider produced, as stored in the artifact folder (TypeScript side: camelCase). */
export interface ProducedArtifact {
  /** `<artifactPrefix>/<name>`, e.g. `arc_easy/results.json`. */
  name: string;
  /** Where it was stored. */
  path: string;
  size: number;
  contentType?: string;
}

/**
 * The artifact as the evaluation document lists it (the stored and wire JSON: `content_type`): the
 * one place the TypeScript spelling becomes the contract's.
 */
export function artifactInfo(a: Omit<ProducedArtifact, 'path'>): ArtifactInfo {
  return { name: a.name, size: a.size, ...(a.contentType ? { content_type: a.contentType } : {}) };
}

function safeArtifactName(name: string): string {
  const clean = normalize(name).replace(/^([/\\])+/, '');
  if (clean.startsWith('..') || clean.split(sep).includes('..')) {
    throw new ValidationError(`Artifact name '${name}' leaves the artifact folder.`);
  }
  return clean;
}

/** A RunContext plus what its owner needs after the run. */
export interface ManagedRunContext extends RunContext {
  /** Resolves when every `log()` line is in the log file. */
  flushLog(): Promise<void>;
  /** Whether anything may have written the log file (log(), exec() or the path was handed out). */
  logUsed(): boolean;
}

/**
 * The RunContext a provider receives: the one EvaluationService builds for every benchmark, usable
 * directly by plugin authors to run a provider outside the hub.
 */
export async function createRunContext(options: RunContextOptions): Promise<ManagedRunContext> {
  // Folders are made on first use (synchronously, so a provider can rely on them at once): a
  // benchmark that never touches its work folder or log costs no file-system round trips.
  let workDirReady = false;
  let logUsed = false;
  const ensureLogDir = (): string => {
    if (!logUsed) {
      mkdirSync(dirname(options.logFile), { recursive: true });
      logUsed = true;
    }
    return options.logFile;
  };
  // Provider log lines go to the execution log (in order) as well as to live events.
  let logged: Promise<void> = Promise.resolve();
  const ctx: ManagedRunContext = {
    signal: options.signal,
    get workDir(): string {
      if (!workDirReady) {
        mkdirSync(options.workDir, { recursive: true });
        workDirReady = true;
      }
      return options.workDir;
    },
    get logFile(): string {
      return ensureLogDir();
    },
    logger: options.logger,
    ...(options.gateway ? { gateway: { ...options.gateway } } : {}),
    progress: (progress) => options.onProgress?.(progress),
    log: (line) => {
      const file = ensureLogDir();
      logged = logged.then(() => appendFile(file, `${line}\n`)).catch(() => undefined);
      options.onLog?.(line);
    },
    async artifact(spec: ArtifactSpec): Promise<void> {
      const name = safeArtifactName(spec.name);
      const target = join(options.artifactDir, name);
      // Created on first use: most benchmarks of a no-artifact provider never need it.
      await mkdir(dirname(target), { recursive: true });
      if (spec.path !== undefined) await copyFile(spec.path, target);
      else await writeFile(target, spec.content ?? '');
      const { size } = await stat(target);
      const fullName = `${options.artifactPrefix}/${name}`;
      options.onArtifact?.({
        name: fullName,
        size,
        path: target,
        ...(spec.contentType ? { contentType: spec.contentType } : {}),
      });
    },
    exec: async (request) => {
      await logged;
      const timeoutSeconds =
        options.timeoutSeconds === undefined
          ? request.timeoutSeconds
          : Math.min(request.timeoutSeconds ?? Infinity, options.timeoutSeconds);
      return options.runtime.exec({
        ...request,
        logFile: request.logFile ?? ensureLogDir(),
        ...(options.labels ? { labels: options.labels } : {}),
        ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
        ...(request.resources === undefined && options.resources ? { resources: options.resources } : {}),
        signal: options.signal,
      });
    },
    flushLog: () => logged,
    logUsed: () => logUsed,
  };
  return ctx;
}
