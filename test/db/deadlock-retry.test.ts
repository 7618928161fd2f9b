/**
 * A real InnoDB deadlock (as Galera reports a certification conflict: ER_LOCK_DEADLOCK) rolls a
 * unit back and runs it again as a whole: through `withTransaction` and through a one-round-trip
 * batch, each ends with exactly one row written. A second connection takes the other side of the
 * deadlock and is made the heavier transaction, so InnoDB picks the unit as its victim.
 *
 * Runs when DATABASE_URL names MariaDB/MySQL; SQLite (one writer at a time) has no deadlocks.
 */
import { createConnection, type Connection } from "mysql2/promise";
import type { DataSource } from "typeorm";
import type { DatabaseConfig } from "../../src/config";
import { retryCounts } from "../../src/db/driver-errors";
import { closeBatches, runBatch } from "../../src/db/statement-batch";
import { withTransaction } from "../../src/db/transaction";
import { openTestDatabase, usingMysql } from "../support/database";
import { until } from "../support/until";

(usingMysql() ? describe : describe.skip)("a deadlock's victim runs again as a whole (MariaDB)", () => {
  let ds: DataSource;
  let close: () => Promise<void>;
  let other: Connection;
  /** Watches the locks from outside both transactions. */
  let watcher: Connection;

  beforeAll(async () => {
    let test;
    ({ ds, close, test } = await openTestDatabase());
    const db = test.db as Extract<DatabaseConfig, { type: "mysql" }>;
    const options = { host: db.host, port: db.port, user: db.user, password: db.password, database: db.database };
    other = await createConnection(options);
    watcher = await createConnection(options);
    await other.query("CREATE TABLE dl_rows (id INT PRIMARY KEY, v INT NOT NULL)");
    await other.query("CREATE TABLE dl_written (id INT PRIMARY KEY)");
    await other.query("CREATE TABLE dl_heavy (id INT PRIMARY KEY)");
  });

  afterAll(async () => {
    await other.end();
    await watcher.end();
    await closeBatches(ds);
    await close();
  });

  beforeEach(async () => {
    for (const t of ["dl_rows", "dl_written", "dl_heavy"]) await other.query(`DELETE FROM ${t}`);
    await other.query("INSERT INTO dl_rows (id, v) VALUES (1, 0), (2, 0)");
  });

  /** The other side: holds row 2, and weighs more than the unit (many rows changed). */
  async function holdRowTwo(): Promise<void> {
    await other.query("START TRANSACTION");
    await other.query("UPDATE dl_rows SET v = v + 1 WHERE id = 2");
    await other.query(`INSERT INTO dl_heavy (id) VALUES ${Array.from({ length: 50 }, (_, i) => `(${i})`).join(", ")}`);
  }

  /** Once the unit holds row 1 and waits for row 2: the other side asks for row 1 and commits. */
  async function closeTheCycle(marker: string): Promise<void> {
    // InnoDB refreshes what information_schema.innodb_trx shows only when it was not read for 100 ms.
    await until(
      "the unit waiting for row 2",
      async () => {
        // The marker tells this test's wait from one the table may still show from the test before.
        const [rows] = await watcher.query("SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE ?", [
          `%${marker}%`,
        ]);
        return Number((rows as Array<{ n: number }>)[0].n) === 1;
      },
      { intervalMs: 150 },
    );
    await other.query("UPDATE dl_rows SET v = v + 1 WHERE id = 1"); // a deadlock: InnoDB rolls the lighter unit back
    await other.query("COMMIT");
  }

  const state = async () => ({
    rows: (await other.query("SELECT id, v FROM dl_rows ORDER BY id"))[0],
    written: (await other.query("SELECT id FROM dl_written"))[0],
  });

  it("withTransaction", async () => {
    await holdRowTwo();
    const deadlocks = retryCounts.deadlock;
    let runs = 0;
    const unit = withTransaction(ds, async (em) => {
      runs++;
      await em.query("INSERT INTO dl_written (id) VALUES (1)");
      await em.query("UPDATE dl_rows SET v = v + 10 WHERE id = 1");
      await em.query("UPDATE dl_rows SET v = v + 10 WHERE id = 2 /* unit */");
    });
    await closeTheCycle("/* unit */");
    await unit;
    expect(runs).toBe(2);
    expect(retryCounts.deadlock - deadlocks).toBe(1);
    expect(await state()).toEqual({
      rows: [
        { id: 1, v: 11 },
        { id: 2, v: 11 },
      ],
      written: [{ id: 1 }],
    });
  });

  it("a batch sent in one round trip", async () => {
    await holdRowTwo();
    const deadlocks = retryCounts.deadlock;
    const batch = runBatch(ds, [
      { sql: "INSERT INTO dl_written (id) VALUES (?)", params: [2] },
      { sql: "UPDATE dl_rows SET v = v + 10 WHERE id = ?", params: [1] },
      { sql: "UPDATE dl_rows SET v = v + 10 WHERE id = ? /* batch */", params: [2] },
    ]);
    await closeTheCycle("/* batch */");
    expect(await batch).toEqual([
      { affected: 1, rows: [] },
      { affected: 1, rows: [] },
      { affected: 1, rows: [] },
    ]);
    expect(retryCounts.deadlock - deadlocks).toBe(1);
    expect(await state()).toEqual({
      rows: [
        { id: 1, v: 11 },
        { id: 2, v: 11 },
      ],
      written: [{ id: 2 }],
    });
  });
});
