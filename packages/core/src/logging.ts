import { pino } from 'pino';

export type Logger = pino.Logger;

/** Paths redacted from every log line, wherever they appear (secrets never reach logs). */
export const REDACTED_PATHS = [
  'api_key',
  'apiKey',
  'token',
  'password',
  'authorization',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Write to this destination instead of stdout (e.g. a file descriptor or stream). */
  destination?: pino.DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    name: options.name ?? 'evalhub',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A logger that discards everything (library default; tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
