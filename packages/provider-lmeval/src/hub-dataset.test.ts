import { describe, expect, it } from 'vitest';
import { LMEVAL_CATALOG } from './catalog.generated.js';
import { looksLikeMissingDataset, missingDatasetMessage, revisionTaskConfig } from './hub-dataset.js';

const arc = LMEVAL_CATALOG.find((e) => e.id === 'arc_easy')!;

describe('hub datasets', () => {
  it("pins a revision by including lm-eval's own task YAML", () => {
    expect(revisionTaskConfig(arc, '/venv/lm_eval/tasks', 'abc123')).toEqual({
      include: '/venv/lm_eval/tasks/arc/arc_easy.yaml',
      task: 'evalhub_rev_arc_easy',
      tag: [],
      dataset_kwargs: { revision: 'abc123' },
    });
  });

  it('recognises the ways datasets reports a dataset it cannot get', () => {
    expect(
      looksLikeMissingDataset(
        "ConnectionError: Couldn't reach 'allenai/ai2_arc' on the Hub (OfflineModeIsEnabled)",
      ),
    ).toBe(true);
    expect(
      looksLikeMissingDataset("ValueError: Couldn't find cache for allenai/ai2_arc for config 'X'"),
    ).toBe(true);
    expect(looksLikeMissingDataset('RuntimeError: tokenizer_info failed')).toBe(false);
  });

  it('names the dataset, where it looked and both ways out', () => {
    const message = missingDatasetMessage(
      arc,
      { offline: true, datasetsCache: '/cache/datasets', endpoint: 'https://huggingface.co' },
      'ConnectionError: offline',
    );
    expect(message).toContain('allenai/ai2_arc, config ARC-Easy');
    expect(message).toContain('/cache/datasets only (offline');
    expect(message).toContain('offline: false');
    expect(message).toContain('evalhub datasets pull arc_easy');
    expect(message).toContain('dataset_path');
    expect(
      missingDatasetMessage(
        arc,
        { offline: false, datasetsCache: '/c', endpoint: 'http://mirror' },
        undefined,
        'v2',
      ),
    ).toMatch(/revision v2.*\/c and on http:\/\/mirror.*pull arc_easy --revision v2/);
  });
});
