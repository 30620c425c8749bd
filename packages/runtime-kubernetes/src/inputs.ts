import type { ExecRequest } from '@evalhub/core';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';

export interface InputFile {
  path: string;
  size: number;
  mode: number;
}

/** Text files larger than this are sent as they are but not searched for further paths. */
const SCAN_LIMIT = 4 * 1024 * 1024;
const MAX_FILES = 10_000;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Absolute paths under one of `roots` mentioned in `text`. */
export function referencedPaths(text: string, roots: readonly string[]): string[] {
  const out = new Set<string>();
  for (const root of roots) {
    const re = new RegExp(`${escape(root.replace(/\/+$/, ''))}(?:/[^\\s"'\`,;:|<>()\\[\\]{}]*)?`, 'g');
    for (const m of text.matchAll(re)) out.add(normalize(m[0]).replace(/\/+$/, ''));
  }
  return [...out];
}

async function walk(dir: string, out: InputFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (e.isFile()) {
      const s = await stat(full);
      out.push({ path: full, size: s.size, mode: s.mode & 0o777 });
    }
  }
}

/**
 * The files a command needs on a machine without the hub's disk: the request's `inputs` when it
 * names them, else its `cwd` tree; plus every existing file under `roots` (the hub's data folders)
 * that the arguments, environment or those files mention (e.g. a generated task file's dataset).
 */
export async function collectInputs(
  request: Pick<ExecRequest, 'args' | 'env' | 'cwd' | 'inputs'>,
  roots: readonly string[],
): Promise<InputFile[]> {
  const files = new Map<string, InputFile>();
  // Named inputs (or the cwd) are sent whole; mentioned paths only when they are plain data files
  // (not folders, not executables such as an interpreter inside the data root).
  const queue: { path: string; named: boolean }[] = (
    request.inputs ?? (request.cwd ? [request.cwd] : [])
  ).map((path) => ({ path, named: true }));
  const mention = (text: string): void => {
    for (const path of referencedPaths(text, roots)) queue.push({ path, named: false });
  };
  for (const t of [...request.args, ...Object.values(request.env ?? {})]) mention(t);
  const visited = new Set<string>();
  while (queue.length > 0 && files.size < MAX_FILES) {
    const next = queue.shift();
    if (!next) break;
    const p = normalize(next.path);
    if (visited.has(p)) continue;
    visited.add(p);
    let s;
    try {
      s = await stat(p);
    } catch {
      continue;
    }
    const found: InputFile[] = [];
    if (s.isDirectory()) {
      if (next.named) await walk(p, found);
    } else if (s.isFile() && (next.named || (s.mode & 0o111) === 0))
      found.push({ path: p, size: s.size, mode: s.mode & 0o777 });
    for (const f of found) {
      if (files.has(f.path)) continue;
      files.set(f.path, f);
      if (f.size <= SCAN_LIMIT) {
        const text = await readFile(f.path, 'utf8').catch(() => '');
        if (!text.includes('\u0000')) mention(text);
      }
    }
  }
  return [...files.values()];
}
