import { ConfigError } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { mergePodSettings, parseQuantity, validateOptions } from './options.js';

const base = { image: 'img', callback_url: 'http://hub:8000' };

describe('validateOptions', () => {
  it('accepts a full configuration', () => {
    expect(() =>
      validateOptions({
        ...base,
        namespace: 'eval-hub',
        pod: {
          resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { 'nvidia.com/gpu': '1' } },
          tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
          node_selector: { 'nvidia.com/gpu.present': 'true' },
          volumes: [{ name: 'hf-cache', persistentVolumeClaim: { claimName: 'hf' } }],
          volume_mounts: [{ name: 'hf-cache', mount_path: '/work/home/.cache/huggingface' }],
          queue_name: 'team-a',
        },
      }),
    ).not.toThrow();
  });

  it('names every problem with its pointer and the fix', () => {
    let err: unknown;
    try {
      validateOptions({
        ...base,
        namespace: 'Bad_NS',
        pod: {
          resources: { limits: { memory: 'lots' } },
          tolerations: [{ operator: 'Maybe' }],
          volume_mounts: [{ name: 'missing', mount_path: 'rel' }],
          env: [{ name: 'X' }],
        },
        kube: { server: 'https://k' },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const m = (err as Error).message;
    expect(m).toContain("/namespace: 'Bad_NS'");
    expect(m).toContain("/pod/resources/limits/memory: 'lots' is not a Kubernetes quantity");
    expect(m).toContain('/pod/tolerations/0/operator');
    expect(m).toContain("/pod/volume_mounts/0/name: no volume 'missing'");
    expect(m).toContain('/pod/volume_mounts/0/mount_path: must be absolute');
    expect(m).toContain('/pod/env/0: set exactly one of secret or config_map');
    expect(m).toContain('/kube/token_file');
  });
});

describe('pod settings', () => {
  it('merge provider settings over the defaults', () => {
    const merged = mergePodSettings(
      { resources: { requests: { cpu: '1' } }, node_selector: { a: '1' }, tolerations: [{ key: 'x' }] },
      { resources: { requests: { memory: '1Gi' } }, node_selector: { b: '2' }, tolerations: [{ key: 'y' }] },
    );
    expect(merged.resources?.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(merged.node_selector).toEqual({ a: '1', b: '2' });
    expect(merged.tolerations).toHaveLength(2);
  });

  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
  });
});
