/**
 * A small vocabulary for writing migrations once for both engines: TypeORM's Table API turns these
 * into SQLite or MariaDB DDL, so no migration carries engine-specific SQL.
 */
import { Table, TableForeignKey, TableIndex, type TableColumnOptions } from "typeorm";

type Col = TableColumnOptions;

export const id = (name = "id"): Col => ({ name, type: "varchar", length: "64", isPrimary: true });
export const ref = (name: string, nullable = false): Col => ({ name, type: "varchar", length: "64", isNullable: nullable });
export const str = (name: string, length: number, nullable = false): Col => ({ name, type: "varchar", length: String(length), isNullable: nullable });
export const text = (name: string, nullable = false): Col => ({ name, type: "text", isNullable: nullable });
export const int = (name: string, nullable = false): Col => ({ name, type: "int", isNullable: nullable });
/** Money in minor units, or an instant in epoch milliseconds. */
export const big = (name: string, nullable = false): Col => ({ name, type: "bigint", isNullable: nullable });
export const dbl = (name: string, nullable = true): Col => ({ name, type: "double", isNullable: nullable });
export const bool = (name: string, dflt = false): Col => ({ name, type: "boolean", default: dflt ? 1 : 0 });
export const date = (name: string, nullable = false): Col => ({ name, type: "varchar", length: "10", isNullable: nullable });

export function table(
  name: string,
  columns: Col[],
  opts: {
    primary?: string[];
    indices?: Array<{ name: string; columns: string[]; unique?: boolean }>;
    foreignKeys?: Array<{ columns: string[]; table: string; refColumns?: string[]; onDelete?: "CASCADE" | "RESTRICT" | "SET NULL" }>;
  } = {},
): Table {
  const cols = opts.primary ? columns.map((c) => (opts.primary!.includes(c.name) ? { ...c, isPrimary: true } : c)) : columns;
  return new Table({
    name,
    columns: cols,
    indices: (opts.indices ?? []).map((i) => new TableIndex({ name: i.name, columnNames: i.columns, isUnique: i.unique ?? false })),
    foreignKeys: (opts.foreignKeys ?? []).map(
      (f) =>
        new TableForeignKey({
          columnNames: f.columns,
          referencedTableName: f.table,
          referencedColumnNames: f.refColumns ?? ["id"],
          onDelete: f.onDelete ?? "RESTRICT",
        }),
    ),
  });
}
