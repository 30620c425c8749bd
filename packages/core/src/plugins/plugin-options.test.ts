import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { definePlugin } from './define-plugin.js';
import { resolvePluginOptions } from './plugin-options.js';

const plugin = definePlugin({
  name: 'test-tracker',
  kind: 'tracker',
  apiVersion: 1,
  optionsSchema: {
    type: 'object',
    properties: {
      url: { type: 'string', default: 'http://localhost:1' },
      secure: { type: 'boolean' },
      retries: { type: 'integer' },
      timeout: { type: 'number' },
    },
  },
  settings: {
    section: 'test',
    env: { url: 'TEST_URL', secure: 'TEST_SECURE', retries: 'TEST_RETRIES', timeout: 'TEST_TIMEOUT' },
  },
  register() {},
});

describe('resolvePluginOptions', () => {
  it('applies schema defaults, then the section, then the declared variables, then the entry', () => {
    expect(resolvePluginOptions(plugin)).toEqual({ url: 'http://localhost:1' });
    expect(
      resolvePluginOptions(plugin, { sections: { test: { url: 'http://section', retries: 1 } } }),
    ).toEqual({ url: 'http://section', retries: 1 });
    expect(
      resolvePluginOptions(plugin, {
        sections: { test: { url: 'http://section', retries: 1 } },
        env: { TEST_URL: 'http://env', TEST_RETRIES: '' },
        explicit: { retries: 5 },
      }),
    ).toEqual({ url: 'http://env', retries: 5 });
  });

  it('converts variables by the option type, with one set of rules', () => {
    expect(
      resolvePluginOptions(plugin, {
        env: { TEST_SECURE: 'on', TEST_RETRIES: '3', TEST_TIMEOUT: '2.5', UNRELATED: 'x' },
      }),
    ).toEqual({ url: 'http://localhost:1', secure: true, retries: 3, timeout: 2.5 });
    expect(resolvePluginOptions(plugin, { env: { TEST_SECURE: 'No' } }).secure).toBe(false);
    expect(() => resolvePluginOptions(plugin, { env: { TEST_SECURE: 'maybe' } })).toThrow(
      new ConfigError("TEST_SECURE='maybe' must be true or false (1/0, yes/no, on/off)."),
    );
    expect(() => resolvePluginOptions(plugin, { env: { TEST_RETRIES: '1.5' } })).toThrow(
      /TEST_RETRIES='1.5' is not an integer/,
    );
    expect(() => resolvePluginOptions(plugin, { env: { TEST_TIMEOUT: 'soon' } })).toThrow(
      /TEST_TIMEOUT='soon' is not a number/,
    );
  });
});
