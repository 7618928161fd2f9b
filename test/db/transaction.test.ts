/**
 * `withTransaction` on SQLite: units queued together share one commit, and each gets its own
 * outcome.
 */
import type { DataSource } from "typeorm";
import { queryCounter } from "../../src/db/query-counter";
import { withTransaction } from "../../src/db/transaction";
import { inTransaction } from "../../src/core/unit-of-work";
import type { RequestContext } from "../../src/core/request-context";
import { createEventBus } from "../../src/core/events";
import { openTestDatabase, usingMysql } from "../support/database";
import { until } from "../support/until";

let ds: DataSource;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ ds, close } = await openTestDatabase());
});

afterAll(async () => {
  await close();
});

(usingMysql() ? describe.skip : describe)("units sharing a commit (SQLite)", () => {
  beforeAll(async () => {
    await ds.query("CREATE TABLE group_probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    await ds.query("CREATE TABLE group_parent (id INTEGER PRIMARY KEY)");
    await ds.query("CREATE TABLE group_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES group_parent (id) DEFERRABLE INITIALLY DEFERRED)");
  });
  beforeEach(async () => {
    await ds.query("DELETE FROM group_probe");
    await ds.query("DELETE FROM group_child");
    await ds.query("DELETE FROM group_parent");
  });
  const probe = async (): Promise<Array<[number, string]>> =>
    ((await ds.query("SELECT id, v FROM group_probe ORDER BY id")) as Array<{ id: number; v: string }>).map((r) => [r.id, r.v]);
  const commits = (statements: string[]): number => statements.filter((s) => s === "COMMIT").length;

  it("runs the units of one turn under one commit, in order, each answering its own value", async () => {
    queryCounter.recent = [];
    try {
      const values = await Promise.all(
        [1, 2, 3].map((id) =>
          withTransaction(ds, async (em) => {
            await em.query("INSERT INTO group_probe (id, v) VALUES (?, ?)", [id, `v${id}`]);
            // Each unit sees what the units before it wrote, as if each had committed alone.
            return ((await em.query("SELECT COUNT(*) AS n FROM group_probe")) as Array<{ n: number }>)[0].n;
          }),
        ),
      );
      expect(values).toEqual([1, 2, 3]);
      expect(commits(queryCounter.recent)).toBe(1);
      expect(queryCounter.recent.filter((s) => s === "BEGIN TRANSACTION")).toHaveLength(1);
    } finally {
      queryCounter.recent = null;
    }
    expect(await probe()).toEqual([
      [1, "v1"],
      [2, "v2"],
      [3, "v3"],
    ]);
  });

  it("fails a failing unit alone: its caller gets its error, the others' writes stand", async () => {
    const runs = [0, 0, 0, 0];
    const outcomes = await Promise.allSettled([
      withTransaction(ds, (em) => (runs[0]++, em.query("INSERT INTO group_probe (id, v) VALUES (1, 'kept')"))),
      withTransaction(ds, async (em) => {
        runs[1]++;
        await em.query("INSERT INTO group_probe (id, v) VALUES (2, 'undone')");
        throw new Error("the second unit fails after writing");
      }),
      withTransaction(ds, (em) => (runs[2]++, em.query("INSERT INTO group_probe (id, v) VALUES (1, 'duplicate')"))),
      withTransaction(ds, (em) => (runs[3]++, em.query("INSERT INTO group_probe (id, v) VALUES (4, 'kept too')"))),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    // The group stopped at the second unit and was undone; then each unit ran alone.
    expect(runs).toEqual([2, 2, 1, 1]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error("the second unit fails after writing"));
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ driverError: { code: "SQLITE_CONSTRAINT_PRIMARYKEY" } });
    expect(await probe()).toEqual([
      [1, "kept"],
      [4, "kept too"],
    ]);
  });

  it("runs each unit alone when the shared commit fails, so one unit's fault costs the others nothing", async () => {
    // A deferred foreign key is checked at the commit only: the group's commit fails because of the
    // second unit, which then fails alone at its own commit, while the first and third commit.
    const runs = [0, 0, 0];
    queryCounter.recent = [];
    let outcomes: Array<PromiseSettledResult<unknown>>;
    try {
      outcomes = await Promise.allSettled([
        withTransaction(ds, async (em) => {
          runs[0]++;
          await em.query("INSERT INTO group_parent (id) VALUES (1)");
        }),
        withTransaction(ds, async (em) => {
          runs[1]++;
          await em.query("INSERT INTO group_child (id, parent) VALUES (10, 99)");
        }),
        withTransaction(ds, async (em) => {
          runs[2]++;
          await em.query("INSERT INTO group_child (id, parent) VALUES (11, 1)");
        }),
      ]);
    } finally {
      queryCounter.recent = null;
    }
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "SQLITE_CONSTRAINT_FOREIGNKEY" });
    expect(runs).toEqual([2, 2, 2]);
    expect(((await ds.query("SELECT id FROM group_parent")) as Array<{ id: number }>).map((r) => r.id)).toEqual([1]);
    expect(((await ds.query("SELECT id, parent FROM group_child")) as Array<{ id: number; parent: number }>).map((r) => [r.id, r.parent])).toEqual([[11, 1]]);
  });

  it("publishes a unit's events once, after the commit that kept its writes, however often it ran", async () => {
    const events = createEventBus(null);
    const ctx = { app: { ds, events } } as unknown as RequestContext;
    const heard: string[] = [];
    const listening = (async () => {
      for await (const e of events.subscribe("invalidate")) {
        heard.push(String(e.key));
        if (heard.length === 2) return;
      }
    })();
    // The group's commit fails (the deferred key of the second unit): both units run again alone.
    const outcomes = await Promise.all([
      inTransaction(ctx, async (tx) => {
        tx.emit("invalidate", { kind: "prices", key: "kept" });
        await tx.em.query("INSERT INTO group_parent (id) VALUES (2)");
        return "first";
      }),
      inTransaction(ctx, async (tx) => {
        tx.emit("invalidate", { kind: "prices", key: "never" });
        await tx.em.query("INSERT INTO group_child (id, parent) VALUES (20, 98)");
        return "second";
      }).catch((e: { code?: string }) => e.code),
      inTransaction(ctx, async (tx) => {
        tx.emit("invalidate", { kind: "prices", key: "also kept" });
        return "third";
      }),
    ]);
    expect(outcomes).toEqual([{ value: "first", errors: [] }, "SQLITE_CONSTRAINT_FOREIGNKEY", { value: "third", errors: [] }]);
    await listening;
    await until("the committed units' events", () => heard.length >= 2, { detail: () => JSON.stringify(heard) });
    expect(heard).toEqual(["kept", "also kept"]);
    await events.close();
  });

  it("keeps a unit that starts later out of a group already running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = withTransaction(ds, async (em) => {
      await em.query("INSERT INTO group_probe (id, v) VALUES (1, 'first')");
      await gate;
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    queryCounter.recent = [];
    let later: Promise<unknown>;
    try {
      later = withTransaction(ds, (em) => em.query("INSERT INTO group_probe (id, v) VALUES (2, 'later')"));
      release();
      await Promise.all([first, later]);
      // The first unit's commit, then the later one's: two transactions.
      expect(commits(queryCounter.recent)).toBe(2);
    } finally {
      queryCounter.recent = null;
    }
    expect(await probe()).toEqual([
      [1, "first"],
      [2, "later"],
    ]);
  });
});
