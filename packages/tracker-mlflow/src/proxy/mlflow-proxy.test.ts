import { describe, expect, it } from 'vitest';
import { isAllowed, parseTarget } from './mlflow-proxy.js';

describe('proxy target parsing', () => {
  it('strips the prefix and keeps the query', () => {
    expect(parseTarget('/mlflow/api/2.0/mlflow/runs/get?run_id=1', '/mlflow')).toEqual({
      path: '/api/2.0/mlflow/runs/get',
      query: '?run_id=1',
    });
  });
  it.each([
    'http://evil.example/api/2.0/mlflow/runs/get',
    '/mlflow/../x',
    '/mlflow/./x',
    '/mlflow//evil.example/x',
    '/mlflow/a/%2e%2e/b',
    '/mlflow/a%2Fb',
    '/mlflow/a\\b',
  ])('refuses %s', (url) => {
    expect(typeof parseTarget(url, '/mlflow')).toBe('string');
  });
});

describe('proxy allow-list', () => {
  it('allows reads, refuses writes unless enabled', () => {
    expect(isAllowed('GET', '/api/2.0/mlflow/runs/get', false)).toBe(true);
    expect(isAllowed('GET', '/ajax-api/2.0/mlflow/metrics/get-history', false)).toBe(true);
    expect(isAllowed('POST', '/api/2.0/mlflow/runs/search', false)).toBe(true);
    expect(isAllowed('GET', '/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a.json', false)).toBe(true);
    expect(isAllowed('POST', '/api/2.0/mlflow/runs/create', false)).toBe(false);
    expect(isAllowed('PUT', '/api/2.0/mlflow-artifacts/artifacts/x', false)).toBe(false);
    expect(isAllowed('POST', '/api/2.0/mlflow/runs/create', true)).toBe(true);
    expect(isAllowed('POST', '/admin/x', true)).toBe(false);
    expect(isAllowed('GET', '/static-files/index.html', false)).toBe(false);
  });
});
