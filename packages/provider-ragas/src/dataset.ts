import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ValidationIssue } from '@evalhub/core';
import { LEGACY_COLUMNS, LIST_COLUMNS, TEXT_COLUMNS } from './catalog.js';
import type { Column } from './catalog.js';

/** One dataset row with canonical columns (only those present). */
export type RagasRow = Partial<Record<'user_input' | 'response' | 'reference', string>> &
  Partial<Record<'retrieved_contexts' | 'reference_contexts', string[]>>;

export interface DatasetOptions {
  /** Root folder the dataset must stay inside. */
  dataRoot: string;
  /** Path as given in the config (relative to the data root, or absolute inside it). */
  datasetPath: string;
  columnMap?: Partial<Record<Column, string>>;
  limit?: number;
  /** Columns every row must have, non-empty. */
  requiredColumns: readonly Column[];
  /** Pointer of the path setting, for issues. */
  pointer?: string;
}

export interface LoadedDataset {
  /** Absolute path of the file read. */
  path: string;
  rows: RagasRow[];
  /** Rows in the file before `limit`. */
  totalRows: number;
}

/** At most this many row problems are listed in one issue. */
const MAX_LISTED = 5;
/** Refuse files bigger than this (the whole file is read in validate()). */
const MAX_BYTES = 256 * 1024 * 1024;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Resolves `datasetPath` under `dataRoot`, following symlinks; undefined with an issue when it escapes. */
export async function resolveDatasetPath(
  dataRoot: string,
  datasetPath: string,
  pointer = '/dataset_path',
): Promise<{ path?: string; issue?: ValidationIssue }> {
  const root = resolve(dataRoot);
  const candidate = resolve(root, datasetPath);
  if (!inside(root, candidate)) {
    return { issue: { pointer, message: `'${datasetPath}' is outside the data root; use a path inside it` } };
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { issue: { pointer, message: `dataset '${datasetPath}' does not exist under the data root` } };
  }
  let realRoot = root;
  try {
    realRoot = await realpath(root);
  } catch {
    // root missing: the candidate cannot exist under it either, but keep the lexical check's answer
  }
  if (!inside(realRoot, real)) {
    return {
      issue: {
        pointer,
        message: `'${datasetPath}' resolves outside the data root (symbolic link); use a path inside it`,
      },
    };
  }
  return { path: real };
}

function normaliseRow(
  raw: Record<string, unknown>,
  columnMap: Partial<Record<Column, string>>,
): { row: RagasRow; problems: string[] } {
  const source: Record<string, unknown> = {};
  for (const [legacy, canonical] of Object.entries(LEGACY_COLUMNS)) {
    if (raw[legacy] !== undefined) source[canonical] = raw[legacy];
  }
  for (const c of [...TEXT_COLUMNS, ...LIST_COLUMNS]) if (raw[c] !== undefined) source[c] = raw[c];
  for (const [canonical, name] of Object.entries(columnMap))
    if (raw[name] !== undefined) source[canonical] = raw[name];

  const row: RagasRow = {};
  const problems: string[] = [];
  for (const c of TEXT_COLUMNS) {
    const v = source[c];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') row[c as 'user_input'] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') row[c as 'user_input'] = String(v);
    else problems.push(`${c} must be a string`);
  }
  for (const c of LIST_COLUMNS) {
    const v = source[c];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') row[c as 'retrieved_contexts'] = [v];
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
      row[c as 'retrieved_contexts'] = v as string[];
    else problems.push(`${c} must be a list of strings`);
  }
  return { row, problems };
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/**
 * Reads and checks a RAGAS dataset: JSONL (one object per line, blank lines skipped) or a JSON
 * list. Legacy names (question, answer, contexts, ground_truth) and `columnMap` are mapped to the
 * canonical columns. Every problem is returned as an issue; rows only when there is none.
 */
export async function loadDataset(
  options: DatasetOptions,
): Promise<{ dataset?: LoadedDataset; issues: ValidationIssue[] }> {
  const pointer = options.pointer ?? '/dataset_path';
  const shown = options.datasetPath;
  const resolved = await resolveDatasetPath(options.dataRoot, options.datasetPath, pointer);
  if (!resolved.path) return { issues: [resolved.issue!] };
  const path = resolved.path;

  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { issues: [{ pointer, message: `dataset '${shown}' is not a file` }] };
    if (info.size > MAX_BYTES)
      return { issues: [{ pointer, message: `dataset '${shown}' is larger than ${MAX_BYTES} bytes` }] };
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { issues: [{ pointer, message: `dataset '${shown}' cannot be read (${code})` }] };
  }
  if (text.trim() === '') return { issues: [{ pointer, message: `dataset '${shown}' is empty` }] };

  const records: { line: number; value: unknown }[] = [];
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return {
        issues: [
          { pointer, message: `dataset '${shown}' is not a valid JSON list: ${(err as Error).message}` },
        ],
      };
    }
    (parsed as unknown[]).forEach((value, i) => records.push({ line: i + 1, value }));
  } else {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      try {
        records.push({ line: i + 1, value: JSON.parse(line) });
      } catch (err) {
        return {
          issues: [
            {
              pointer,
              message: `dataset '${shown}' line ${i + 1} is not valid JSON: ${(err as Error).message}`,
            },
          ],
        };
      }
    }
  }
  const unit = text.trimStart().startsWith('[') ? 'item' : 'line';
  if (records.length === 0) return { issues: [{ pointer, message: `dataset '${shown}' has no rows` }] };

  const issues: ValidationIssue[] = [];
  const selected = options.limit ? records.slice(0, options.limit) : records;
  const rows: RagasRow[] = [];
  const badShape: string[] = [];
  const missing = new Map<Column, number[]>();
  for (const { line, value } of selected) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      badShape.push(`${unit} ${line}: not a JSON object`);
      continue;
    }
    const { row, problems } = normaliseRow(value as Record<string, unknown>, options.columnMap ?? {});
    for (const p of problems) badShape.push(`${unit} ${line}: ${p}`);
    for (const c of options.requiredColumns) {
      if (isEmpty(row[c])) missing.set(c, [...(missing.get(c) ?? []), line]);
    }
    rows.push(row);
  }
  if (badShape.length > 0) {
    const more = badShape.length > MAX_LISTED ? ` (and ${badShape.length - MAX_LISTED} more)` : '';
    issues.push({
      pointer,
      message: `dataset '${shown}': ${badShape.slice(0, MAX_LISTED).join('; ')}${more}`,
    });
  }
  for (const [column, lines] of missing) {
    const mapped = options.columnMap?.[column];
    const listed =
      lines.slice(0, MAX_LISTED).join(', ') +
      (lines.length > MAX_LISTED ? ` and ${lines.length - MAX_LISTED} more` : '');
    const where =
      lines.length === selected.length ? 'every row' : `${unit}${lines.length > 1 ? 's' : ''} ${listed}`;
    issues.push({
      pointer: mapped ? `/column_map/${column}` : pointer,
      message:
        `dataset '${shown}' lacks column '${column}'${mapped ? ` (mapped from '${mapped}')` : ''} in ${where}; ` +
        `the chosen metrics need ${options.requiredColumns.join(', ')}`,
    });
  }
  if (issues.length > 0) return { issues };
  return { dataset: { path, rows, totalRows: records.length }, issues };
}
