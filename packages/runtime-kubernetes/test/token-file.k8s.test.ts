import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@evalhub/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, type TestNamespace } from './cluster.js';
import { makeRuntime, tempDir } from './helpers.js';

// The hub's token file as operators write it (`kubectl create token … > file` ends in a newline).
let ns: TestNamespace;
let dir: string;

beforeAll(async () => {
  ns = await createTestNamespace('token-file');
  dir = await tempDir();
});

describe("the runtime's token file", () => {
  it('works with a trailing newline, as client-go reads it', async () => {
    const token = (await readFile(ns.kube.token_file!, 'utf8')).trim();
    const file = join(dir, 'token-with-newline');
    await writeFile(file, `${token}\n`, { mode: 0o600 });
    const runtime = makeRuntime(ns, { kube: { ...ns.kube, token_file: file } });
    await runtime.start();
    runtime.close();
  });

  it('refuses a token the API server rejects without quoting it', async () => {
    const file = join(dir, 'bad-token');
    const bad = 'not-a-valid-token-0123456789';
    await writeFile(file, `${bad}\n`, { mode: 0o600 });
    const runtime = makeRuntime(ns, { kube: { ...ns.kube, token_file: file } });
    const err = await runtime.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    runtime.close();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain(bad);
    expect((err as Error).cause).toBeUndefined();
  });
});
