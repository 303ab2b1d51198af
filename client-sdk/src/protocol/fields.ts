// Field readers for decoding peer JSON: each throws FieldError naming the field, which decoders turn into a violation.
import type { ErrorCode } from './messages.ts';

export type JsonObject = Record<string, unknown>;

export class FieldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses a text frame; undefined when it is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export function objectField(obj: JsonObject, key: string, path = key): JsonObject {
  const v = obj[key];
  if (!isObject(v)) throw new FieldError('BAD_REQUEST', `${path} must be an object`);
  return v;
}

export function stringField(obj: JsonObject, key: string, path = key): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new FieldError('BAD_REQUEST', `${path} must be a string`);
  return v;
}

export function numberField(obj: JsonObject, key: string, path = key): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new FieldError('BAD_REQUEST', `${path} must be a number`);
  return v;
}

export function optionalBooleanField(obj: JsonObject, key: string, path = key): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new FieldError('BAD_REQUEST', `${path} must be true or false`);
  return v;
}

export function oneOf<T extends string | number>(
  allowed: readonly T[],
  obj: JsonObject,
  key: string,
  path = key,
): T {
  const v = obj[key];
  if (!(allowed as readonly unknown[]).includes(v)) {
    throw new FieldError('BAD_REQUEST', `${path} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return v as T;
}

export function optionalOneOf<T extends string | number>(
  allowed: readonly T[],
  obj: JsonObject,
  key: string,
  path = key,
): T | undefined {
  return obj[key] === undefined ? undefined : oneOf(allowed, obj, key, path);
}
