import { describe, expect, it } from 'vitest';
import { ConfigError } from '@evalhub/core';
import { optionsFromEnv } from './options.js';

describe('optionsFromEnv', () => {
  it('defaults the tracking URI', () => {
    expect(optionsFromEnv({})).toEqual({ trackingUri: 'http://localhost:5000' });
  });
  it('maps auth, TLS, workspace, retries and timeout', () => {
    expect(
      optionsFromEnv({
        MLFLOW_TRACKING_URI: 'https://h/mlflow',
        MLFLOW_TRACKING_USERNAME: 'u',
        MLFLOW_TRACKING_PASSWORD: 'p',
        MLFLOW_TRACKING_TOKEN: 't',
        MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem',
        MLFLOW_WORKSPACE: 'team-a',
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: '3',
        MLFLOW_HTTP_REQUEST_TIMEOUT: '12',
      }),
    ).toEqual({
      trackingUri: 'https://h/mlflow',
      username: 'u',
      password: 'p',
      token: 't',
      tls: { caCertPath: '/ca.pem' },
      workspace: 'team-a',
      retry: { maxAttempts: 4 },
      timeoutMs: 12_000,
    });
  });
  it('ignores a username without password and reads insecure TLS', () => {
    expect(optionsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_INSECURE_TLS: 'true' })).toEqual({
      trackingUri: 'http://localhost:5000',
      tls: { insecure: true },
    });
  });
  it('refuses a CA bundle together with insecure TLS', () => {
    expect(() =>
      optionsFromEnv({ MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem', MLFLOW_TRACKING_INSECURE_TLS: '1' }),
    ).toThrow(ConfigError);
  });
});
