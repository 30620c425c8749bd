import { dirname, join } from 'node:path';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Maps the hub's absolute paths into the worker's folder (`/a/b` → `<base>/a/b`) and rewrites
 * strings that mention them: the command's arguments, environment values and text inputs (a
 * generated task file naming its dataset), so the provider's command runs unchanged in the pod.
 */
export class PathMap {
  private readonly re: RegExp | undefined;

  constructor(
    readonly base: string,
    hubFolders: readonly string[],
  ) {
    const folders = [
      ...new Set(hubFolders.map((f) => f.replace(/\/+$/, '')).filter((f) => f.startsWith('/') && f !== '')),
    ];
    folders.sort((a, b) => b.length - a.length);
    this.re =
      folders.length > 0
        ? new RegExp(`(${folders.map(escape).join('|')})(?=$|[/\\s"'\`,;:|<>()\\[\\]{}=])`, 'g')
        : undefined;
  }

  /** The worker-local place of a hub path. */
  local(hubPath: string): string {
    return join(this.base, hubPath);
  }

  /** The hub path of a worker-local path (inverse of `local`). */
  hub(localPath: string): string {
    return localPath.startsWith(`${this.base}/`) ? localPath.slice(this.base.length) : localPath;
  }

  rewrite(text: string): string {
    return this.re ? text.replace(this.re, (m) => this.local(m)) : text;
  }

  /** The folders to map: the cwd, the output folders and the folders of the input files. */
  static foldersOf(spec: { cwd?: string; outputs: string[]; inputs: { path: string }[] }): string[] {
    return [...(spec.cwd ? [spec.cwd] : []), ...spec.outputs, ...spec.inputs.map((i) => dirname(i.path))];
  }
}
