import { ConflictError, ConfigError, NotFoundError, UpstreamError, ValidationError } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { HttpError, toErrorResponse } from './http-error.js';

describe('toErrorResponse', () => {
  it('keeps status, code and details of hub errors', () => {
    const r = toErrorResponse(
      new ValidationError('bad', [{ pointer: '/model', message: 'required' }]),
      'rid',
    );
    expect(r).toMatchObject({
      status: 400,
      internal: false,
      body: {
        error: {
          code: 'validation_failed',
          message: 'bad',
          details: [{ pointer: '/model', message: 'required' }],
        },
        request_id: 'rid',
      },
    });
    expect(toErrorResponse(new NotFoundError('Evaluation', 'x'), 'r').status).toBe(404);
    expect(toErrorResponse(new ConflictError('collection_exists', 'm'), 'r').status).toBe(409);
    expect(toErrorResponse(new UpstreamError('mlflow', 'MLflow is down'), 'r')).toMatchObject({
      status: 502,
      body: { error: { message: 'MLflow is down' } },
    });
  });

  it('carries extra headers of server errors', () => {
    expect(
      toErrorResponse(new HttpError('method_not_allowed', 'no', [], { Allow: 'GET' }), 'r').headers,
    ).toEqual({ Allow: 'GET' });
  });

  it('maps client errors of other libraries by status', () => {
    const err = Object.assign(new Error('Payload Too Large'), { status: 413, expose: true });
    expect(toErrorResponse(err, 'r')).toMatchObject({
      status: 413,
      body: { error: { code: 'payload_too_large' } },
    });
  });

  it('hides everything else behind a generic 500', () => {
    for (const err of [new Error('secret path /etc/x'), new ConfigError('broken'), 'a string', null]) {
      const r = toErrorResponse(err, 'rid');
      expect(r.status).toBe(500);
      expect(r.internal).toBe(true);
      expect(r.body.error.code).toBe('internal_error');
      expect(r.body.error.message).not.toContain('secret');
      expect(r.body.error.message).toContain('rid');
    }
  });
});
