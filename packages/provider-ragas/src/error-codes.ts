import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/**
 * The RAGAS provider's error codes (all recorded on the benchmark), contributed through its
 * manifest. The provider also uses core's `benchmark_aborted`.
 */
export const RAGAS_ERROR_CODES = defineErrorCodes({
  ragas_invalid_input: {
    kind: 'benchmark',
    meaning: 'RAGAS: the benchmark config or dataset rows are invalid (the message names each problem)',
    fix: 'fix the fields and rows the message names',
  },
  ragas_judge_failed: {
    kind: 'benchmark',
    meaning: 'RAGAS: the judge model failed while scoring',
    fix: "check the judge model (`judge.url`, `judge.model`) and its server's health",
  },
  ragas_unavailable: {
    kind: 'benchmark',
    meaning: 'RAGAS: the runner cannot import ragas or a dependency',
    fix: 'install the Python tools (`tools/python/setup-env.sh`)',
  },
  ragas_all_nan: {
    kind: 'benchmark',
    meaning: 'RAGAS: every row scored NaN',
    fix: "check the judge's answers in the log; the rows may lack the fields the metrics need",
  },
  ragas_failed: {
    kind: 'benchmark',
    meaning: 'RAGAS: the runner failed or wrote no results',
    fix: "read the benchmark's log",
  },
});

type RagasErrorCodes = typeof RAGAS_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends RagasErrorCodes {}
}

registerErrorCodes('@evalhub/provider-ragas', RAGAS_ERROR_CODES);
