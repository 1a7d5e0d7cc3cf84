/** Small readers for query and body values that collect field errors in the platform's shape. */
import { type FieldError, fieldError } from './problem.js';

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function readInt(
  raw: unknown,
  name: string,
  errors: FieldError[],
  options: { min?: number; max?: number; fallback?: number; location?: 'query' | 'body' } = {},
): number | undefined {
  if (raw === undefined || raw === '') return options.fallback;
  const value = Number(raw);
  const bounded =
    Number.isInteger(value) &&
    (options.min === undefined || value >= options.min) &&
    (options.max === undefined || value <= options.max);
  if (!bounded) {
    const range = [
      options.min !== undefined ? `>= ${options.min}` : '',
      options.max !== undefined ? `<= ${options.max}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    errors.push(
      fieldError(
        options.location ?? 'query',
        name,
        `Input should be an integer${range ? ` ${range}` : ''}`,
        'int_parsing',
      ),
    );
    return undefined;
  }
  return value;
}

export function readNumber(
  raw: unknown,
  name: string,
  errors: FieldError[],
  location: 'query' | 'body' = 'query',
): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    errors.push(fieldError(location, name, 'Input should be a non-negative number', 'float_parsing'));
    return undefined;
  }
  return value;
}

export function readDate(
  raw: unknown,
  name: string,
  errors: FieldError[],
  location: 'query' | 'body' = 'query',
): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (
    typeof raw !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}$/.test(raw) ||
    Number.isNaN(Date.parse(`${raw}T00:00:00Z`))
  ) {
    errors.push(fieldError(location, name, 'Input should be a date (YYYY-MM-DD)', 'date_parsing'));
    return undefined;
  }
  return raw;
}

export function readTime(
  raw: unknown,
  name: string,
  errors: FieldError[],
  location: 'query' | 'body' = 'body',
): string | undefined {
  if (typeof raw !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(raw)) {
    errors.push(fieldError(location, name, 'Input should be a time (HH:MM)', 'time_parsing'));
    return undefined;
  }
  return raw.slice(0, 5);
}

export function readUlid(
  raw: unknown,
  name: string,
  errors: FieldError[],
  location: 'query' | 'body' | 'path' = 'body',
): string | undefined {
  if (typeof raw !== 'string' || !ULID_PATTERN.test(raw)) {
    errors.push(fieldError(location, name, 'Input should be a ULID', 'ulid'));
    return undefined;
  }
  return raw;
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export function addDaysTo(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
