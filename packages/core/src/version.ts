import { readFileSync } from 'node:fs';

/** This package's version (the hub version reported by health and tracked on runs). */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
