// The service's structured logger (pino, JSON lines), shared by the API and the worker. Logs carry
// ids, routes and statuses only: credentials and personal data are redacted wherever they could
// appear by accident (headers, bodies handed to a log call by mistake).
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths pino blanks out; wildcards cover objects logged one level deep (e.g. `{ input }`). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'accessToken',
  'token',
  'email',
  'phoneNumber',
  'profile',
  'body',
  '*.authorization',
  '*.accessToken',
  '*.token',
  '*.email',
  '*.phoneNumber',
  '*.profile',
  '*.body',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service: 'onboarding' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...options,
  });
}
