import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './forward-headers.js';

describe('forward headers', () => {
  it('replaces any engine credential with the configured key and drops hop-by-hop headers', () => {
    const out = upstreamRequestHeaders(
      {
        authorization: 'Bearer from-engine',
        'x-api-key': 'k',
        connection: 'keep-alive',
        host: 'gateway',
        'content-type': 'application/json',
        'accept-encoding': 'gzip',
        'content-length': '999',
      },
      'sk-configured',
      12,
    );
    expect(out).toEqual({
      'content-type': 'application/json',
      authorization: 'Bearer sk-configured',
      'content-length': '12',
    });
    expect(upstreamRequestHeaders({ authorization: 'Bearer x' }, undefined, 0)).toEqual({
      'content-length': '0',
    });
  });

  it('passes answer headers without hop-by-hop ones', () => {
    expect(
      downstreamResponseHeaders(
        {
          'content-type': 'text/event-stream',
          'transfer-encoding': 'chunked',
          'content-length': '5',
          'retry-after': '1',
        },
        false,
      ),
    ).toEqual({ 'content-type': 'text/event-stream', 'retry-after': '1' });
    expect(downstreamResponseHeaders({ 'content-length': '5' }, true)).toEqual({ 'content-length': '5' });
  });
});
