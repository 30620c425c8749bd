/** Mapping of a run's `artifact_uri` to URLs of the tracking server's mlflow-artifacts proxy. */

const ARTIFACTS_SERVICE_ROOT = '/api/2.0/mlflow-artifacts/artifacts';

export class ArtifactUriError extends Error {
  override readonly name = 'ArtifactUriError';
}

export interface ArtifactLocation {
  /** `<scheme>://<host>[:port][/prefix]/api/2.0/mlflow-artifacts/artifacts` */
  serviceUrl: string;
  /** Root path of the artifacts inside the proxy, e.g. `1/<run_id>/artifacts` (no leading/trailing `/`). */
  rootPath: string;
}

/**
 * Resolves a run's `artifact_uri` against the tracking URI, like MLflow's
 * `MlflowArtifactsRepository.resolve_uri`:
 * - `mlflow-artifacts:/1/<run>/artifacts` → `<tracking>/api/2.0/mlflow-artifacts/artifacts/1/<run>/artifacts`
 *   (a tracking URI path prefix is kept);
 * - `mlflow-artifacts://other:5000/…` → same, with `other:5000` as host and the tracking URI's scheme;
 * - `http(s)://…/api/2.0/mlflow-artifacts/artifacts/…` → used as is.
 * Any other scheme (`file:`, a local path, `s3:`…) means the server is not proxying artifacts for
 * that experiment: refused with an error naming the fix.
 */
export function resolveArtifactLocation(trackingUri: string, artifactUri: string): ArtifactLocation {
  const tracking = new URL(trackingUri);
  if (tracking.protocol !== 'http:' && tracking.protocol !== 'https:') {
    throw new ArtifactUriError(
      `tracking URI must be http(s) to reach the artifact proxy, got ${tracking.protocol}`,
    );
  }
  const prefix = tracking.pathname.replace(/\/+$/, '');
  if (artifactUri.startsWith('mlflow-artifacts:')) {
    const rest = artifactUri.slice('mlflow-artifacts:'.length);
    let host = tracking.host;
    let path = rest;
    if (rest.startsWith('//')) {
      const end = rest.indexOf('/', 2);
      const netloc = end === -1 ? rest.slice(2) : rest.slice(2, end);
      path = end === -1 ? '' : rest.slice(end);
      if (netloc !== '') {
        if (/^\d+$/.test(netloc) || netloc.startsWith(':')) {
          throw new ArtifactUriError(`artifact URI ${artifactUri} has a port but no host`);
        }
        host = netloc.includes('@') ? netloc.slice(netloc.lastIndexOf('@') + 1) : netloc;
      }
    }
    const rootPath = trimSlashes(path);
    if (rootPath.startsWith(trimSlashes(ARTIFACTS_SERVICE_ROOT))) {
      return {
        serviceUrl: `${tracking.protocol}//${host}${ARTIFACTS_SERVICE_ROOT}`,
        rootPath: trimSlashes(rootPath.slice(trimSlashes(ARTIFACTS_SERVICE_ROOT).length)),
      };
    }
    return { serviceUrl: `${tracking.protocol}//${host}${prefix}${ARTIFACTS_SERVICE_ROOT}`, rootPath };
  }
  if (artifactUri.startsWith('http://') || artifactUri.startsWith('https://')) {
    const u = new URL(artifactUri);
    const idx = u.pathname.indexOf(ARTIFACTS_SERVICE_ROOT);
    if (idx !== -1) {
      return {
        serviceUrl: `${u.protocol}//${u.host}${u.pathname.slice(0, idx)}${ARTIFACTS_SERVICE_ROOT}`,
        rootPath: trimSlashes(decodeURIComponent(u.pathname.slice(idx + ARTIFACTS_SERVICE_ROOT.length))),
      };
    }
  }
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(artifactUri)?.[0] ?? 'a local path';
  throw new ArtifactUriError(
    `artifact location ${JSON.stringify(artifactUri)} (${scheme}) is not served by the tracking server's artifact proxy; ` +
      'start the MLflow server with --serve-artifacts and without a local --default-artifact-root, ' +
      'and use an experiment created after that change',
  );
}

/** Checks a relative artifact path (no `..`, not absolute, no backslashes, no `#`) and normalises slashes. */
export function checkRelativePath(relPath: string): string {
  const p = relPath.replace(/\/+/g, '/').replace(/^\.\//, '');
  if (p.startsWith('/') || /^[a-z]:/i.test(p) || p.includes('\\')) {
    throw new ArtifactUriError(`artifact path must be relative: ${JSON.stringify(relPath)}`);
  }
  if (p.includes('#')) {
    throw new ArtifactUriError(
      `artifact path must not contain '#' (MLflow rejects it): ${JSON.stringify(relPath)}`,
    );
  }
  if (p.split('/').some((seg) => seg === '..' || seg === '.')) {
    throw new ArtifactUriError(
      `artifact path must not contain '.' or '..' segments: ${JSON.stringify(relPath)}`,
    );
  }
  return trimSlashes(p);
}

/** URL of one artifact file (each path segment percent-encoded on its own). */
export function artifactFileUrl(loc: ArtifactLocation, relPath: string): string {
  const full = joinPath(loc.rootPath, checkRelativePath(relPath));
  return `${loc.serviceUrl}/${full.split('/').map(encodeURIComponent).join('/')}`;
}

/** URL listing the direct children of `relDir` (the root when empty). */
export function artifactListUrl(loc: ArtifactLocation, relDir = ''): string {
  const dir = relDir === '' ? '' : checkRelativePath(relDir);
  return `${loc.serviceUrl}?${new URLSearchParams({ path: joinPath(loc.rootPath, dir) }).toString()}`;
}

function joinPath(a: string, b: string): string {
  return [a, b].filter((s) => s !== '').join('/');
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+/, '').replace(/\/+$/, '');
}
