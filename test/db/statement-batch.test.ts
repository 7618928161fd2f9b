import type { DataSource } from "typeorm";
import { queryCounter } from "../../src/db/query-counter";
import { batchesSupported, closeBatches, runBatch } from "../../src/db/statement-batch";
import { openTestDatabase, usingMysql } from "../support/database";

let ds: DataSource;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ ds, close } = await openTestDatabase());
});

afterAll(async () => {
  await closeBatches(ds);
  await close();
});

const rows = async (): Promise<Array<{ id: number; v: string }>> =>
  ((await ds.query("SELECT id, v FROM batch_probe ORDER BY id")) as Array<{ id: number | string; v: string }>).map((r) => ({ id: Number(r.id), v: r.v }));

(usingMysql() ? describe : describe.skip)("a transaction in one round trip (MariaDB)", () => {
  beforeAll(async () => {
    await ds.query("CREATE TABLE batch_probe (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)");
  });
  beforeEach(async () => {
    await ds.query("DELETE FROM batch_probe");
  });

  it("answers each statement's result in order, and commits them together", async () => {
    const before = { count: queryCounter.count, batches: queryCounter.batches };
    const results = await runBatch(ds, [
      { sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?), (?, ?)", params: [1, "one; two", 2, "it's"] },
      { sql: "UPDATE batch_probe SET v = ? WHERE id = ?", params: ["deux", 2] },
      { sql: "SELECT id, v FROM batch_probe WHERE id <= ? ORDER BY id", params: [2] },
      { sql: "UPDATE batch_probe SET v = ? WHERE id = ?", params: ["none", 99] },
    ]);
    expect(results.map((r) => r.affected)).toEqual([2, 1, 0, 0]);
    expect(results[2].rows.map((r) => [Number(r.id), r.v])).toEqual([
      [1, "one; two"],
      [2, "deux"],
    ]);
    // Counted like TypeORM's statements: START TRANSACTION, the four, COMMIT; one round trip.
    expect(queryCounter.count - before.count).toBe(6);
    expect(queryCounter.batches - before.batches).toBe(1);
    // Values are bound, never part of the statement: a `;` in one is only text.
    expect(await rows()).toEqual([
      { id: 1, v: "one; two" },
      { id: 2, v: "deux" },
    ]);
  });

  it("writes nothing when a statement fails, and leaves no transaction open on the connection", async () => {
    await runBatch(ds, [{ sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?)", params: [7, "seven"] }]);
    const failing = runBatch(ds, [
      { sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?)", params: [8, "eight"] },
      { sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?)", params: [7, "again"] },
    ]);
    await expect(failing).rejects.toMatchObject({ code: "ER_DUP_ENTRY" });
    expect(await rows()).toEqual([{ id: 7, v: "seven" }]);
    // Had the failed batch's transaction stayed open, the next START TRANSACTION on that connection
    // would have committed its first row. Every pooled connection runs a batch here.
    await Promise.all(Array.from({ length: 12 }, (_, i) => runBatch(ds, [{ sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?)", params: [100 + i, `n${i}`] }])));
    const ids = (await rows()).map((r) => r.id);
    expect(ids).not.toContain(8);
    expect(ids).toHaveLength(13);
  });

  it("refuses a statement that holds a `;` in its text, sending nothing", async () => {
    const before = queryCounter.count;
    await expect(runBatch(ds, [{ sql: "INSERT INTO batch_probe (id, v) VALUES (1, 'a'); DELETE FROM batch_probe", params: [] }])).rejects.toThrow(
      "a batched statement must be one statement",
    );
    expect(queryCounter.count).toBe(before);
    expect(await rows()).toEqual([]);
  });
});

(usingMysql() ? describe.skip : describe)("batches on SQLite", () => {
  it("are not offered: the embedded database runs in the process, with no round trips to save", async () => {
    expect(batchesSupported(ds)).toBe(false);
    await expect(runBatch(ds, [{ sql: "SELECT 1", params: [] }])).rejects.toThrow("runBatch is for MySQL/MariaDB");
  });
});
