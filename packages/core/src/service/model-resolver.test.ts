import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { ModelResolver } from './model-resolver.js';
import { ModelUrlPolicy } from './model-url-policy.js';

const servers = { vllm: { url: 'http://vllm.internal:8000/v1', apiKey: 'sk-configured-secret' } };

function problem(fn: () => unknown): { pointer: string; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).details[0];
  }
  return undefined;
}

describe('ModelResolver', () => {
  it("sends a configured key to the configured server's own URL", () => {
    const r = new ModelResolver(servers);
    expect(r.resolve({ server: 'vllm', name: 'm' }).apiKey).toBe('sk-configured-secret');
    // Naming the same base URL explicitly (trailing slash, case of the host) still gets the key.
    const same = r.resolve({ server: 'vllm', name: 'm', url: 'http://VLLM.internal:8000/v1/' });
    expect(same.apiKey).toBe('sk-configured-secret');
    expect(r.apiKeyFor(same.model)).toBe('sk-configured-secret');
  });

  it('never sends a configured key to a URL the request names instead', () => {
    const r = new ModelResolver(servers);
    for (const url of [
      'http://attacker.example:9999/v1',
      'http://vllm.internal:8001/v1',
      'https://vllm.internal:8000/v1',
      'http://vllm.internal:8000/other/v1',
    ]) {
      const resolved = r.resolve({ server: 'vllm', name: 'm', url });
      expect(resolved.apiKey, url).toBeUndefined();
      expect(r.apiKeyFor(resolved.model), url).toBeUndefined();
    }
  });

  it('refuses credentials inside model.url with a 400 that says how to pass a key', () => {
    const r = new ModelResolver(servers);
    for (const url of [
      'http://user:secret@host:8000/v1',
      'http://host:8000/v1?api_key=sk-123',
      'http://host:8000/v1?token=abc',
    ]) {
      const p = problem(() => r.resolve({ server: 'vllm', name: 'm', url }));
      expect(p?.pointer, url).toBe('/model/url');
      expect(p?.message, url).toMatch(/EVALHUB_MODEL_SERVER_VLLM_API_KEY/);
      expect(p?.message, url).not.toMatch(/secret|sk-123|abc/);
    }
    // A harmless query (Azure's api-version) is fine.
    expect(r.resolve({ server: 'x', name: 'm', url: 'http://host/v1?api-version=2024-01' }).model.url).toBe(
      'http://host/v1?api-version=2024-01',
    );
  });

  it("refuses hosts outside the operator's allow-list", () => {
    const r = new ModelResolver(servers, new ModelUrlPolicy(['vllm.internal', '*.models.example:443']));
    expect(r.resolve({ server: 'x', name: 'm', url: 'http://vllm.internal:1234/v1' }).model.url).toBe(
      'http://vllm.internal:1234/v1',
    );
    expect(r.resolve({ server: 'x', name: 'm', url: 'https://a.models.example/v1' }).model.url).toBe(
      'https://a.models.example/v1',
    );
    for (const url of [
      'http://169.254.169.254/latest',
      'http://a.models.example/v1',
      'http://models.example/v1',
    ]) {
      const p = problem(() => r.resolve({ server: 'x', name: 'm', url }));
      expect(p?.pointer, url).toBe('/model/url');
      expect(p?.message, url).toMatch(/not an allowed model server host/);
    }
  });
});
