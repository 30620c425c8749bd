import { describe, expect, it } from 'vitest';
import {
  ArtifactUriError,
  artifactFileUrl,
  artifactListUrl,
  resolveArtifactLocation,
} from './artifact-uri.js';

describe('resolveArtifactLocation', () => {
  it('maps mlflow-artifacts:/ onto the tracking server', () => {
    const loc = resolveArtifactLocation('http://h:5000', 'mlflow-artifacts:/1/abc/artifacts');
    expect(loc).toEqual({
      serviceUrl: 'http://h:5000/api/2.0/mlflow-artifacts/artifacts',
      rootPath: '1/abc/artifacts',
    });
    expect(artifactFileUrl(loc, 'results/a b%1.json')).toBe(
      'http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/results/a%20b%251.json',
    );
    expect(artifactListUrl(loc, 'results')).toBe(
      'http://h:5000/api/2.0/mlflow-artifacts/artifacts?path=1%2Fabc%2Fartifacts%2Fresults',
    );
  });
  it('keeps a tracking URI path prefix', () => {
    const loc = resolveArtifactLocation('https://h/mlflow/', 'mlflow-artifacts:/1/abc/artifacts');
    expect(artifactFileUrl(loc, 'x.txt')).toBe(
      'https://h/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x.txt',
    );
  });
  it('lets a netloc in the artifact URI replace host and port, keeping the scheme', () => {
    const loc = resolveArtifactLocation('https://h/p', 'mlflow-artifacts://other:5001/1/abc/artifacts');
    expect(loc.serviceUrl).toBe('https://other:5001/p/api/2.0/mlflow-artifacts/artifacts');
  });
  it('accepts http roots that already point at the proxy', () => {
    const loc = resolveArtifactLocation(
      'http://h:5000',
      'http://a:1/pre/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts',
    );
    expect(loc).toEqual({
      serviceUrl: 'http://a:1/pre/api/2.0/mlflow-artifacts/artifacts',
      rootPath: '1/r/artifacts',
    });
  });
  it('refuses locations the server does not proxy', () => {
    for (const uri of ['file:///tmp/mlruns/1/r/artifacts', '/tmp/mlruns/1', 's3://b/1/r/artifacts']) {
      expect(() => resolveArtifactLocation('http://h:5000', uri)).toThrow(ArtifactUriError);
    }
    expect(() => resolveArtifactLocation('http://h:5000', 's3://b/x')).toThrow(/--serve-artifacts/);
  });
  it('refuses unsafe relative paths', () => {
    const loc = resolveArtifactLocation('http://h:5000', 'mlflow-artifacts:/1/abc/artifacts');
    for (const p of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'a#b'])
      expect(() => artifactFileUrl(loc, p), p).toThrow(ArtifactUriError);
  });
});
