import { describe, expect, it } from 'vitest';
import { NO_SWITCHES, SwitchError, parseSwitches, splitSwitchPrefix } from './switches.js';

describe('fixture switches', () => {
  it('parses a spec', () => {
    expect(parseSwitches('no-prompt-logprobs,latency=25,fail-503=2,key=t1')).toEqual({
      ...NO_SWITCHES,
      noPromptLogprobs: true,
      latencyMs: 25,
      fail503: 2,
      key: 't1',
    });
    expect(parseSwitches('fail-503').fail503).toBe(1);
    expect(parseSwitches('fail-503=3+key=lm+latency=1')).toMatchObject({
      fail503: 3,
      key: 'lm',
      latencyMs: 1,
    });
    expect(parseSwitches('', NO_SWITCHES)).toEqual(NO_SWITCHES);
  });

  it('parses the capacity model switches', () => {
    expect(parseSwitches('capacity=64+latency=200+queue=8+overload=503')).toMatchObject({
      capacity: 64,
      latencyMs: 200,
      queueLimit: 8,
      overloadStatus: 503,
    });
    expect(parseSwitches('capacity=4')).toMatchObject({ queueLimit: null, overloadStatus: 429 });
    expect(() => parseSwitches('overload=500')).toThrow(SwitchError);
  });

  it('layers request switches over global ones', () => {
    const global = parseSwitches('latency=5');
    expect(parseSwitches('chat-only', global)).toMatchObject({ latencyMs: 5, chatOnly: true });
  });

  it('rejects unknown switches and bad values', () => {
    expect(() => parseSwitches('explode')).toThrow(SwitchError);
    expect(() => parseSwitches('latency=-1')).toThrow(SwitchError);
    expect(() => parseSwitches('latency')).toThrow(SwitchError);
  });

  it('splits the URL prefix', () => {
    expect(splitSwitchPrefix('/_/hang,latency=5/v1/completions')).toEqual({
      segment: 'hang,latency=5',
      path: '/v1/completions',
    });
    expect(splitSwitchPrefix('/v1/models')).toEqual({ segment: undefined, path: '/v1/models' });
    expect(splitSwitchPrefix('/_/fail-500/tokenizer_info')).toEqual({
      segment: 'fail-500',
      path: '/tokenizer_info',
    });
  });
});
