import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { huggingFaceEnv } from './hf-env.js';

const dir = mkdtempSync(join(tmpdir(), 'lmeval-hf-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('huggingFaceEnv', () => {
  it("is online by default and passes the hub's own Hugging Face environment through", () => {
    const hf = huggingFaceEnv(
      {},
      { HOME: '/home/op', HF_HOME: '/srv/hf', HF_ENDPOINT: 'http://mirror.local', SECRET_OTHER: 'x' },
    );
    expect(hf.offline).toBe(false);
    expect(hf.env).toEqual({ HF_HOME: '/srv/hf', HF_ENDPOINT: 'http://mirror.local' });
    expect(hf.datasetsCache).toBe('/srv/hf/datasets');
    expect(hf.endpoint).toBe('http://mirror.local');
  });

  it("'auto' follows HF_HUB_OFFLINE / HF_DATASETS_OFFLINE; true and false override them", () => {
    expect(huggingFaceEnv({ offline: 'auto' }, { HF_DATASETS_OFFLINE: '1' }).offline).toBe(true);
    expect(huggingFaceEnv({ offline: 'auto' }, { HF_HUB_OFFLINE: 'true' }).offline).toBe(true);
    const forced = huggingFaceEnv({ offline: true }, {});
    expect(forced.offline).toBe(true);
    expect(forced.env).toMatchObject({
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
    });
    const online = huggingFaceEnv({ offline: false }, { HF_HUB_OFFLINE: '1' });
    expect(online.offline).toBe(false);
    expect(online.env.HF_HUB_OFFLINE).toBe('0');
  });

  it('finds the datasets cache as datasets does: HF_DATASETS_CACHE, else HF_HOME, else ~/.cache', () => {
    expect(huggingFaceEnv({}, { HOME: '/h', HF_DATASETS_CACHE: '/d' }).datasetsCache).toBe('/d');
    expect(huggingFaceEnv({ hfHome: '/opt/hf' }, { HOME: '/h' }).datasetsCache).toBe('/opt/hf/datasets');
    expect(huggingFaceEnv({}, { HOME: '/h' }).datasetsCache).toBe('/h/.cache/huggingface/datasets');
    expect(huggingFaceEnv({}, { HOME: '/h', XDG_CACHE_HOME: '/x' }).datasetsCache).toBe(
      '/x/huggingface/datasets',
    );
  });

  it('takes the token from a secret file or the environment, and says only where it came from', () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'hf_secret_from_file\n');
    const fromFile = huggingFaceEnv({ tokenFile: file }, { HF_TOKEN: 'hf_env' });
    expect(fromFile.env.HF_TOKEN).toBe('hf_secret_from_file');
    expect(fromFile.token).toBe('file');
    expect(huggingFaceEnv({}, { HUGGING_FACE_HUB_TOKEN: 'hf_legacy' })).toMatchObject({
      env: { HF_TOKEN: 'hf_legacy' },
      token: 'environment',
    });
    expect(() => huggingFaceEnv({ tokenFile: join(dir, 'missing') }, {})).toThrow(
      /token file .*missing \(ENOENT\)/,
    );
    writeFileSync(join(dir, 'empty'), '\n');
    expect(() => huggingFaceEnv({ tokenFile: join(dir, 'empty') }, {})).toThrow(/is empty/);
  });
});
