/**
 * Column helpers shared by every entity. Money and instants are BIGINT on both engines: MariaDB
 * hands BIGINT back as a string (TypeORM asks mysql2 for strings so nothing is rounded), SQLite as a
 * number; both are turned into a checked safe integer here, never a float.
 */
import type { ValueTransformer } from "typeorm";

export function toSafeInteger(value: unknown, what = "value"): number {
  const n = typeof value === "string" ? Number(value) : (value as number);
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new Error(`${what} read from the database is not a safe integer: ${String(value)}`);
  }
  return n;
}

/** BIGINT <-> number, exact or an error. */
export const bigintTransformer: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: unknown) => (v === null || v === undefined ? v : toSafeInteger(v, "BIGINT")),
};

/** BIGINT milliseconds since the epoch <-> Date: portable and comparable in SQL on every engine. */
export const epochMsTransformer: ValueTransformer = {
  to: (v: Date | null | undefined) => (v === null || v === undefined ? v : v.getTime()),
  from: (v: unknown) => (v === null || v === undefined ? null : new Date(toSafeInteger(v, "timestamp"))),
};

/** Column options for money in minor units. */
export const money = { type: "bigint" as const, transformer: bigintTransformer };
/** Column options for an instant. */
export const instant = { type: "bigint" as const, transformer: epochMsTransformer };

/** A nullable instant column of a raw row (epoch milliseconds) as a Date, or null. */
export function instantOrNull(value: unknown, what: string): Date | null {
  return value === null || value === undefined ? null : new Date(toSafeInteger(value, what));
}

/** A nullable text column of a raw row, or null. */
export function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The first row of a result read back as an entity, or null when there is none. */
export function firstRow<T>(result: { rows: Array<Record<string, unknown>> }, fromRow: (row: Record<string, unknown>) => T): T | null {
  return result.rows.length === 0 ? null : fromRow(result.rows[0]);
}
