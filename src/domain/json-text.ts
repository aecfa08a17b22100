// String schemas that accept exactly what their JSON Schema (in /openapi.json) says: lengths in
// Unicode code points, as JSON Schema counts them (zod's .min/.max count UTF-16 units, so a
// string of emoji passed the document and failed the server), and RFC 3339 date-times with
// seconds and any offset (zod's z.iso.datetime took `0020-02-29T00:00Z`, which `date-time` refuses).
import { z } from 'zod';

/** A string of `min` to `max` Unicode code points, matching `pattern` when given. */
export const text = (min: number, max: number, pattern?: { regex: RegExp; message: string }) =>
  (pattern ? z.string().regex(pattern.regex, pattern.message) : z.string())
    .refine((s) => {
      const n = [...s].length;
      return n >= min && n <= max;
    }, `${min} to ${max} characters`)
    // Last: the JSON Schema of this instance (a later .regex() would make a new one without it).
    .meta({ minLength: min, maxLength: max });

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))$/;

/** RFC 3339 `date-time` (JSON Schema's format): a real calendar day, seconds required, any offset. */
export function isRfc3339DateTime(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > days) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  return true;
}

export const dateTime = () =>
  z.string().refine(isRfc3339DateTime, 'an RFC 3339 date-time such as 2026-01-31T12:00:00Z').meta({ format: 'date-time' });
