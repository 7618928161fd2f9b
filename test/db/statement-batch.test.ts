import type { DataSource } from "typeorm";
import { queryCounter } from "../../src/db/query-counter";
import { batchesSupported, closeBatches, runBatch, runCoalesced } from "../../src/db/statement-batch";
import { openTestDatabase, usingMysql } from "../support/database";
import { until } from "../support/until";

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
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => runBatch(ds, [{ sql: "INSERT INTO batch_probe (id, v) VALUES (?, ?)", params: [100 + i, `n${i}`] }])),
    );
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

(usingMysql() ? describe : describe.skip)("single statements sent together (MariaDB)", () => {
  beforeAll(async () => {
    await ds.query("CREATE TABLE coalesce_probe (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)");
  });
  beforeEach(async () => {
    await ds.query("DELETE FROM coalesce_probe");
    await ds.query("INSERT INTO coalesce_probe (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
  });
  const probe = async (): Promise<Array<[number, string]>> =>
    ((await ds.query("SELECT id, v FROM coalesce_probe ORDER BY id")) as Array<{ id: number | string; v: string }>).map((r) => [Number(r.id), r.v]);
  const update = (id: number, v: string) => runCoalesced(ds, "UPDATE coalesce_probe SET v = ? WHERE id = ?", [v, id]);

  it("sends the statements of one turn in one round trip, each answering its own rows changed", async () => {
    const before = { count: queryCounter.count, coalesced: queryCounter.coalesced };
    const results = await Promise.all([
      update(1, "one; it's"),
      update(2, "two"),
      runCoalesced(ds, "UPDATE coalesce_probe SET v = ? WHERE id > ?", ["many", 3]),
      update(99, "nobody"),
      runCoalesced(ds, "INSERT INTO coalesce_probe (id, v) VALUES (?, ?)", [6, "f"]),
    ]);
    expect(results).toEqual([
      { affected: 1, rows: [] },
      { affected: 1, rows: [] },
      { affected: 2, rows: [] },
      { affected: 0, rows: [] },
      { affected: 1, rows: [] },
    ]);
    // One round trip: START TRANSACTION, the five, COMMIT.
    expect(queryCounter.coalesced - before.coalesced).toBe(1);
    expect(queryCounter.count - before.count).toBe(7);
    expect(await probe()).toEqual([
      [1, "one; it's"],
      [2, "two"],
      [3, "c"],
      [4, "many"],
      [5, "many"],
      [6, "f"],
    ]);
  });

  it("commits the statements before a failing one, fails that one alone and sends the rest again", async () => {
    const before = queryCounter.coalesced;
    const outcomes = await Promise.allSettled([
      update(1, "first"),
      runCoalesced(ds, "INSERT INTO coalesce_probe (id, v) VALUES (?, ?)", [2, "taken"]),
      update(3, "third"),
      update(4, "fourth"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "ER_DUP_ENTRY" });
    expect((outcomes[2] as PromiseFulfilledResult<unknown>).value).toEqual({ affected: 1, rows: [] });
    // The two after the failure went in a second round trip.
    expect(queryCounter.coalesced - before).toBe(2);
    expect(await probe()).toEqual([
      [1, "first"],
      [2, "b"],
      [3, "third"],
      [4, "fourth"],
      [5, "e"],
    ]);
  });

  it("loses nothing when the first statement fails, and leaves no transaction open on the connection", async () => {
    const outcomes = await Promise.allSettled([runCoalesced(ds, "INSERT INTO coalesce_probe (id, v) VALUES (?, ?)", [1, "taken"]), update(5, "fifth")]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled"]);
    // Had a transaction stayed open on a pooled connection, these would never be committed.
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => runBatch(ds, [{ sql: "INSERT INTO coalesce_probe (id, v) VALUES (?, ?)", params: [100 + i, `n${i}`] }])),
    );
    const rows = await probe();
    expect(rows.slice(0, 5)).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
      [5, "fifth"],
    ]);
    expect(rows).toHaveLength(17);
  });

  it("runs a round trip's statements again when InnoDB picks it as a deadlock's victim, each once", async () => {
    // Another session holds four rows, one statement each (a lookup by key locks its row only),
    // then wants the row the round trip locked first: the round trip, which changed fewer rows, is
    // the victim and is rolled back whole.
    const other = ds.createQueryRunner();
    try {
      await other.startTransaction();
      for (const id of [1, 3, 4, 5]) await other.query("UPDATE coalesce_probe SET v = 'held' WHERE id = ?", [id]);
      const before = queryCounter.coalesced;
      const together = Promise.all([update(2, "two"), update(1, "one")]);
      // Wait until the round trip waits for row 1.
      await until("the round trip waiting for row 1", async () => {
        const running = (await ds.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO = ?", [
          "UPDATE coalesce_probe SET v = 'one' WHERE id = 1",
        ])) as Array<{ n: number | string }>;
        return Number(running[0].n) > 0;
      });
      await other.query("UPDATE coalesce_probe SET v = 'other' WHERE id = 2");
      await other.commitTransaction();
      expect(await together).toEqual([
        { affected: 1, rows: [] },
        { affected: 1, rows: [] },
      ]);
      // The first round trip, then the statement that did not fail, then the victim after a pause.
      expect(queryCounter.coalesced - before).toBe(3);
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
    }
    // The other session's rows stand, and the round trip's, run once after it.
    expect(await probe()).toEqual([
      [1, "one"],
      [2, "two"],
      [3, "held"],
      [4, "held"],
      [5, "held"],
    ]);
  });

  it("fails every statement of a round trip whose connection is lost on the way, writes none of them, and goes on with another connection", async () => {
    const together = Promise.allSettled([
      update(1, "one"),
      runCoalesced(ds, "UPDATE coalesce_probe SET v = CONCAT('slept', SLEEP(30)) WHERE id = ?", [2]),
      update(3, "three"),
    ]);
    // The round trip's connection, found while its second statement sleeps, is killed: the
    // server rolls back the transaction it had open.
    const connectionId = await until("the round trip's connection, sleeping", async () => {
      const found = (await ds.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()", [
        "%SLEEP(30)%",
      ])) as Array<{ id: number | string }>;
      return found.length > 0 ? Number(found[0].id) : null;
    });
    expect(connectionId).not.toBeNull();
    await ds.query(`KILL CONNECTION ${connectionId}`);
    const outcomes = await together;
    // Not one of them is known to be committed: each caller is told so, as when a statement's
    // answer is lost.
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ code: "PROTOCOL_CONNECTION_LOST", fatal: true });
    expect(await probe()).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
      [5, "e"],
    ]);
    // The pool goes on: the next statements get a live connection.
    expect(await Promise.all([update(1, "after"), update(4, "after")])).toEqual([
      { affected: 1, rows: [] },
      { affected: 1, rows: [] },
    ]);
    expect((await probe()).map((r) => r[1])).toEqual(["after", "b", "c", "after", "e"]);
  });

  it("refuses what cannot be sent together, sending nothing", async () => {
    const before = queryCounter.count;
    await expect(runCoalesced(ds, "UPDATE coalesce_probe SET v = 'x'; DELETE FROM coalesce_probe", [])).rejects.toThrow(
      "a coalesced statement must be one statement",
    );
    await expect(runCoalesced(ds, "SELECT id FROM coalesce_probe", [])).rejects.toThrow("a coalesced statement must change rows (UPDATE, INSERT, DELETE)");
    expect(queryCounter.count).toBe(before);
    expect((await probe()).map((r) => r[1])).toEqual(["a", "b", "c", "d", "e"]);
  });
});

(usingMysql() ? describe.skip : describe)("batches on SQLite", () => {
  it("are not offered: the embedded database runs in the process, with no round trips to save", async () => {
    expect(batchesSupported(ds)).toBe(false);
    await expect(runBatch(ds, [{ sql: "SELECT 1", params: [] }])).rejects.toThrow("runBatch is for MySQL/MariaDB");
    await expect(runCoalesced(ds, "UPDATE users SET login = login", [])).rejects.toThrow("runCoalesced is for MySQL/MariaDB");
  });
});
