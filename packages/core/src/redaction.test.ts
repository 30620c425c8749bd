import { describe, expect, it } from 'vitest';
import { describeError } from './errors.js';
import { redactUrl, redactUrls } from './redaction.js';

describe('redaction', () => {
  it('strips credentials and queries from one URL and from every URL in a text', () => {
    expect(redactUrl('http://u:p@h:1/v1?api_key=k#x')).toBe('http://h:1/v1');
    expect(redactUrls("POST http://u:pw@h:1/v1/completions?key=s failed; see 'https://t:k@x/y?z=1'.")).toBe(
      "POST http://h:1/v1/completions failed; see 'https://x/y'.",
    );
  });

  it('is applied to every error described for logs, storage and tracking', () => {
    expect(describeError(new Error('GET http://u:secret@h/v1/models?api_key=k failed'))).toBe(
      'GET http://h/v1/models failed',
    );
  });
});
