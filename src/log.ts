// The process logger: JSON lines on stdout (pino). Modules take a child logger with their own
// `component` field rather than importing a global, so tests can pass a silent one.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config/config.js';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'sluice' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export const silentLogger: Logger = pino({ level: 'silent' });
