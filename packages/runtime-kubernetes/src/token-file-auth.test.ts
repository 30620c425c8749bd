import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKEN_FILE_AUTH, TokenFileAuth, readTokenFile, withoutBearerTokens } from './token-file-auth.js';

const dir = mkdtempSync(join(tmpdir(), 'token-file-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TokenFileAuth', () => {
  it('sends the file’s token without its trailing newline, and re-reads it once a minute', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'first-token\n');
    let t = 0;
    const auth = new TokenFileAuth(() => t);
    const user = { name: 'u', authProvider: { name: TOKEN_FILE_AUTH, config: { path } } };
    expect(auth.isAuthProvider(user)).toBe(true);
    expect(auth.isAuthProvider({ name: 'u', token: 'x' })).toBe(false);
    const opts: { headers?: Record<string, unknown> } = {};
    await auth.applyAuthentication(user, opts);
    expect(opts.headers).toEqual({ Authorization: 'Bearer first-token' });
    writeFileSync(path, '  rotated-token\r\n');
    t = 30_000;
    await auth.applyAuthentication(user, opts);
    expect(opts.headers!['Authorization']).toBe('Bearer first-token');
    t = 61_000;
    await auth.applyAuthentication(user, opts);
    expect(opts.headers!['Authorization']).toBe('Bearer rotated-token');
  });

  it('refuses an empty token file', () => {
    const path = join(dir, 'empty');
    writeFileSync(path, '\n');
    expect(() => readTokenFile(path)).toThrow(/token file .* is empty/);
  });

  it('takes bearer tokens out of error text', () => {
    expect(
      withoutBearerTokens('Invalid value "Bearer eyJhbGciOi.abc-def_1\\n" for header "Authorization"'),
    ).toBe('Invalid value "Bearer [redacted]" for header "Authorization"');
  });
});
