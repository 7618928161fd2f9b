/**
 * What labs report besides their jobs (seed 000 claim 3; seed 001 claim 4), through the real
 * center: load reports (the latest on the lab, every one in the history) and their validation;
 * printing history stored once per job, only for the lab's own jobs; the admins' statistics per
 * business date (BUSINESS_TIMEZONE=Asia/Tokyo here), load history and online state, by scope.
 * The load reports' retention is test/labs/load-report-retention.test.ts.
 */
import { type EntityTarget, type FindOptionsWhere, type ObjectLiteral } from "typeorm";
import { nextEvent, startCenter, type TestCenter } from "../support/center";
import { authzMatrix, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { until } from "../support/until";
import { withTransaction } from "../../src/db/transaction";
import { LabEntity } from "../../src/labs/lab.entity";
import { LabLoadReportEntity, PrintHistoryEntity } from "../../src/labs/lab-report.entity";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";

const KEY = {
  LAB01: "lab01-key-0123456789abcdef",
  LAB02: "lab02-key-0123456789abcdef",
  LAB03: "lab03-key-0123456789abcdef",
  LAB04: "lab04-key-0123456789abcdef",
};

const LOAD = `mutation($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted errors { code message field } } }`;
const HISTORY = `mutation($entries: [PrintHistoryInput!]!) { reportPrintHistory(entries: $entries) { stored errors { code message field } } }`;
const STATS = `query($lab: ID!, $from: Date!, $to: Date!) { labPrintStats(labId: $lab, from: $from, to: $to) {
  labId from to sheetsPrinted jobsCompleted failures throughputSheetsPerHour days { date sheets jobsCompleted failures } } }`;
const LOAD_HISTORY = `query($lab: ID!, $first: Int) { labLoadHistory(labId: $lab, first: $first) { reportedAt queuedJobs queuedSheets utilisation } }`;
const LABS = `{ labs { id online lastSeenAt latestLoad { reportedAt queuedJobs queuedSheets utilisation } } }`;

let c: TestCenter;
const t: Record<string, string> = {};
/** Print jobs made for the history: LAB01's and one of LAB02's. */
const jobs: { lab01: string[]; lab02: string[] } = { lab01: [], lab02: [] };

function poke<T extends ObjectLiteral>(entity: EntityTarget<T>, where: FindOptionsWhere<T>, patch: Partial<T>) {
  return withTransaction(c.ds, (em) => em.update(entity, where, patch as never));
}

async function queueJob(shopId: string): Promise<string> {
  const placed = await c.gql(
    `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code } } }`,
    {
      input: { shopId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items: [] }] },
    },
    t.customer,
  );
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const o = placed.data!.placeOrder.order;
  const confirmed = await c.gql(
    `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { errors { code } } }`,
    { id: o.id, total: o.total },
    t.customer,
  );
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  return (await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: o.id })).id;
}

beforeAll(async () => {
  c = await startCenter({ env: { BUSINESS_TIMEZONE: "Asia/Tokyo" } });
  for (const [k, login, pw] of [
    ["center", "center", "center-pass-1"],
    ["customer", "customer", "customer-pass"],
    ["groupA", "group-a", "group-a-pass"],
    ["groupB", "group-b", "group-b-pass"],
    ["shop1", "shop-1", "shop-1-pass"],
    ["shop2", "shop-2", "shop-2-pass"],
  ]) {
    t[k] = await c.login(login, pw);
  }
  for (let i = 0; i < 6; i++) jobs.lab01.push(await queueJob("SP01"));
  jobs.lab02.push(await queueJob("SP02"));
});
afterAll(async () => {
  await c?.stop();
});

describe("load reports", () => {
  it("keeps the latest report on the lab and every report in its history, newest first", async () => {
    const reports = [
      { queuedJobs: 3, queuedSheets: 40, utilisation: 0.25 },
      { queuedJobs: 0, queuedSheets: 0, utilisation: 0 },
      { queuedJobs: 12, queuedSheets: 900, utilisation: 1.5 },
    ];
    const before = Date.now();
    for (const input of reports) {
      expect((await c.gql(LOAD, { input }, KEY.LAB01)).data!.reportLabLoad).toEqual({ accepted: true, errors: [] });
      await new Promise((r) => setTimeout(r, 5)); // distinct instants
    }
    const lab = await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB01" });
    expect(lab).toMatchObject({ loadQueuedJobs: 12, loadQueuedSheets: 900, loadUtilisation: 1.5 });
    expect(lab.loadReportedAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(lab.lastSeenAt!.getTime()).toBe(lab.loadReportedAt!.getTime());
    expect(await c.ds.getRepository(LabLoadReportEntity).count({ where: { labId: "LAB01" } })).toBe(3);

    const all = (await c.gql(LOAD_HISTORY, { lab: "LAB01" }, t.center)).data!.labLoadHistory;
    expect(all.map((r: { queuedJobs: number; queuedSheets: number; utilisation: number }) => [r.queuedJobs, r.queuedSheets, r.utilisation])).toEqual([
      [12, 900, 1.5],
      [0, 0, 0],
      [3, 40, 0.25],
    ]);
    expect(all[0].reportedAt).toBe(lab.loadReportedAt!.toISOString());
    expect((await c.gql(LOAD_HISTORY, { lab: "LAB01", first: 2 }, t.shop1)).data!.labLoadHistory).toEqual(all.slice(0, 2));
    expect((await c.gql(LOAD_HISTORY, { lab: "LAB01", first: 0 }, t.center)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect((await c.gql(LOAD_HISTORY, { lab: "LAB01", first: 1001 }, t.center)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect((await c.gql(LOAD_HISTORY, { lab: "LAB02" }, t.center)).data!.labLoadHistory).toEqual([]);
  });

  const faults: Array<[string, object, Array<[string, string[]]>]> = [
    [
      "negative queued jobs",
      { queuedJobs: -1, queuedSheets: 0, utilisation: 0.5 },
      [["queuedJobs must be a whole number of 0 or more, got -1", ["input", "queuedJobs"]]],
    ],
    [
      "negative queued sheets",
      { queuedJobs: 0, queuedSheets: -20, utilisation: 0.5 },
      [["queuedSheets must be a whole number of 0 or more, got -20", ["input", "queuedSheets"]]],
    ],
    [
      "negative utilisation",
      { queuedJobs: 0, queuedSheets: 0, utilisation: -0.01 },
      [["utilisation must be a number from 0 to 100, got -0.01", ["input", "utilisation"]]],
    ],
    [
      "utilisation over 100",
      { queuedJobs: 0, queuedSheets: 0, utilisation: 100.5 },
      [["utilisation must be a number from 0 to 100, got 100.5", ["input", "utilisation"]]],
    ],
    [
      "every field at once",
      { queuedJobs: -3, queuedSheets: -4, utilisation: 1000 },
      [
        ["queuedJobs must be a whole number of 0 or more, got -3", ["input", "queuedJobs"]],
        ["queuedSheets must be a whole number of 0 or more, got -4", ["input", "queuedSheets"]],
        ["utilisation must be a number from 0 to 100, got 1000", ["input", "utilisation"]],
      ],
    ],
  ];
  for (const [what, input, expected] of faults) {
    it(`refuses ${what} (INVALID_LOAD with the field) and writes nothing`, async () => {
      const lab = await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB02" });
      const count = await c.ds.getRepository(LabLoadReportEntity).count();
      const r = await c.gql(LOAD, { input }, KEY.LAB02);
      expect(r.data!.reportLabLoad).toEqual({ accepted: false, errors: expected.map(([message, field]) => ({ code: "INVALID_LOAD", message, field })) });
      expect(await c.ds.getRepository(LabEntity).findOneByOrFail({ id: "LAB02" })).toEqual(lab);
      expect(await c.ds.getRepository(LabLoadReportEntity).count()).toBe(count);
    });
  }

  it("accepts the bounds exactly, and leaves non-numbers to GraphQL (Int, finite Float)", async () => {
    expect((await c.gql(LOAD, { input: { queuedJobs: 0, queuedSheets: 0, utilisation: 100 } }, KEY.LAB03)).data!.reportLabLoad).toEqual({
      accepted: true,
      errors: [],
    });
    expect((await c.gql(LOAD, { input: { queuedJobs: 1.5, queuedSheets: 0, utilisation: 0 } }, KEY.LAB03)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    // 1e400 is Infinity once parsed: not a Float GraphQL accepts.
    const raw = await fetch(`${c.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY.LAB03}` },
      body: `{"query": ${JSON.stringify(LOAD)}, "variables": {"input": {"queuedJobs": 0, "queuedSheets": 0, "utilisation": 1e400}}}`,
    });
    const body = (await raw.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(await c.ds.getRepository(LabLoadReportEntity).count({ where: { labId: "LAB03" } })).toBe(1);
  });
});

describe("printing history", () => {
  const entry = (jobId: string, printedAt: string, sheets: number, ok = true, printer: string | null = "P-1") => ({ jobId, printedAt, sheets, ok, printer });
  const stored = () => c.ds.getRepository(PrintHistoryEntity).count();

  it("stores each job's entry once: a resent batch stores nothing, and only new entries count", async () => {
    const [j0, j1, j2, j3] = jobs.lab01;
    const batch = [
      entry(j0, "2026-03-31T14:30:00Z", 10), // Tokyo: 2026-03-31 23:30
      entry(j1, "2026-03-31T15:30:00Z", 7), // Tokyo: 2026-04-01 00:30
      entry(j2, "2026-04-01T03:00:00Z", 5, false), // Tokyo: 2026-04-01 12:00, failed
    ];
    expect((await c.gql(HISTORY, { entries: batch }, KEY.LAB01)).data!.reportPrintHistory).toEqual({ stored: 3, errors: [] });
    expect((await c.gql(HISTORY, { entries: batch }, KEY.LAB01)).data!.reportPrintHistory).toEqual({ stored: 0, errors: [] });
    // Old and new together (and a job twice in one batch): only the new one counts, the first report of a job wins.
    const mixed = [batch[0], entry(j3, "2026-04-02T10:00:00Z", 20), { ...batch[1], sheets: 999 }, entry(j3, "2026-04-02T11:00:00Z", 1)];
    expect((await c.gql(HISTORY, { entries: mixed }, KEY.LAB01)).data!.reportPrintHistory).toEqual({ stored: 1, errors: [] });
    expect(await stored()).toBe(4);
    const rows = await c.ds.getRepository(PrintHistoryEntity).find({ where: { labId: "LAB01" }, order: { printedAt: "ASC" } });
    expect(rows.map((r) => [r.jobId, r.businessDate, r.sheets, r.ok, r.printer])).toEqual([
      [j0, "2026-03-31", 10, true, "P-1"],
      [j1, "2026-04-01", 7, true, "P-1"],
      [j2, "2026-04-01", 5, false, "P-1"],
      [j3, "2026-04-02", 20, true, "P-1"],
    ]);
    expect(rows[0].printedAt.toISOString()).toBe("2026-03-31T14:30:00.000Z");
    expect(rows.every((r) => r.orderId.length === 36)).toBe(true);
    expect((await c.gql(HISTORY, { entries: [] }, KEY.LAB01)).data!.reportPrintHistory).toEqual({ stored: 0, errors: [] });
  });

  it("refuses another lab's job and unknown jobs, naming the entry, and then stores nothing of the batch", async () => {
    const before = await stored();
    const entries = [
      entry(jobs.lab01[4], "2026-04-03T01:00:00Z", 3),
      entry(jobs.lab02[0], "2026-04-03T01:00:00Z", 3),
      entry("no-such-job", "2026-04-03T01:00:00Z", 3),
    ];
    expect((await c.gql(HISTORY, { entries }, KEY.LAB01)).data!.reportPrintHistory).toEqual({
      stored: 0,
      errors: [
        { code: "UNKNOWN_JOB", message: `No job ${jobs.lab02[0]} of this lab`, field: ["entries", "1", "jobId"] },
        { code: "UNKNOWN_JOB", message: "No job no-such-job of this lab", field: ["entries", "2", "jobId"] },
      ],
    });
    expect(await stored()).toBe(before);
    // LAB01's own job through LAB02's key is just as foreign.
    expect((await c.gql(HISTORY, { entries: [entry(jobs.lab01[4], "2026-04-03T01:00:00Z", 3)] }, KEY.LAB02)).data!.reportPrintHistory.errors).toEqual([
      { code: "UNKNOWN_JOB", message: `No job ${jobs.lab01[4]} of this lab`, field: ["entries", "0", "jobId"] },
    ]);
    // Its own job is fine.
    expect((await c.gql(HISTORY, { entries: [entry(jobs.lab02[0], "2026-04-01T01:00:00Z", 8)] }, KEY.LAB02)).data!.reportPrintHistory).toEqual({
      stored: 1,
      errors: [],
    });
    expect(await stored()).toBe(before + 1);
  });

  it("refuses bad entries and oversized batches, naming the field", async () => {
    const before = await stored();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const bad = [
      entry(jobs.lab01[4], "2026-04-03T01:00:00Z", -1),
      entry(jobs.lab01[5], future, 1),
      entry(jobs.lab01[4], "2026-04-03T01:00:00Z", 1, true, "x".repeat(201)),
    ];
    expect((await c.gql(HISTORY, { entries: bad }, KEY.LAB01)).data!.reportPrintHistory).toEqual({
      stored: 0,
      errors: [
        { code: "INVALID_SHEETS", message: "sheets must be 0 to 1000000, got -1", field: ["entries", "0", "sheets"] },
        { code: "PRINTED_IN_FUTURE", message: `printedAt ${future} is in the future`, field: ["entries", "1", "printedAt"] },
        { code: "INVALID_PRINTER", message: "printer must be at most 200 characters", field: ["entries", "2", "printer"] },
      ],
    });
    const many = Array.from({ length: 1001 }, () => entry(jobs.lab01[4], "2026-04-03T01:00:00Z", 1));
    expect((await c.gql(HISTORY, { entries: many }, KEY.LAB01)).data!.reportPrintHistory).toEqual({
      stored: 0,
      errors: [{ code: "TOO_MANY_ENTRIES", message: "At most 1000 entries per call, got 1001; send them in batches", field: ["entries"] }],
    });
    expect(await stored()).toBe(before);
  });

  it("stores one entry when the same batch is sent concurrently", async () => {
    const before = await stored();
    const batch = [entry(jobs.lab01[5], "2026-04-03T02:00:00Z", 4)];
    const results = await Promise.all(Array.from({ length: 20 }, () => c.gql(HISTORY, { entries: batch }, KEY.LAB01)));
    const counts = results.map((r) => {
      expect(r.data!.reportPrintHistory.errors).toEqual([]);
      return r.data!.reportPrintHistory.stored;
    });
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(1);
    expect(await stored()).toBe(before + 1);
  });
});

describe("statistics", () => {
  it("gives sheets, completed jobs and failures per business date, totals and throughput, exactly", async () => {
    const r = await c.gql(STATS, { lab: "LAB01", from: "2026-03-30", to: "2026-04-03" }, t.center);
    expect(r.errors).toBeUndefined();
    expect(r.data!.labPrintStats).toEqual({
      labId: "LAB01",
      from: "2026-03-30",
      to: "2026-04-03",
      days: [
        { date: "2026-03-30", sheets: 0, jobsCompleted: 0, failures: 0 },
        { date: "2026-03-31", sheets: 10, jobsCompleted: 1, failures: 0 },
        { date: "2026-04-01", sheets: 7, jobsCompleted: 1, failures: 1 },
        { date: "2026-04-02", sheets: 20, jobsCompleted: 1, failures: 0 },
        { date: "2026-04-03", sheets: 4, jobsCompleted: 1, failures: 0 }, // 11:00 in Tokyo
      ],
      sheetsPrinted: 41,
      jobsCompleted: 4,
      failures: 1,
      throughputSheetsPerHour: 41 / (5 * 24),
    });
    const oneDay = (await c.gql(STATS, { lab: "LAB01", from: "2026-04-01", to: "2026-04-01" }, t.groupA)).data!.labPrintStats;
    expect(oneDay).toMatchObject({ sheetsPrinted: 7, jobsCompleted: 1, failures: 1, throughputSheetsPerHour: 7 / 24 });
    // LAB02's history is its own.
    expect((await c.gql(STATS, { lab: "LAB02", from: "2026-04-01", to: "2026-04-01" }, t.shop2)).data!.labPrintStats).toMatchObject({
      sheetsPrinted: 8,
      jobsCompleted: 1,
    });
    const empty = (await c.gql(STATS, { lab: "LAB03", from: "2026-04-01", to: "2026-04-02" }, t.center)).data!.labPrintStats;
    expect(empty).toMatchObject({
      sheetsPrinted: 0,
      jobsCompleted: 0,
      failures: 0,
      throughputSheetsPerHour: 0,
      days: [expect.objectContaining({ sheets: 0 }), expect.objectContaining({ sheets: 0 })],
    });
  });

  it("refuses a backwards or too long period and an unknown lab", async () => {
    expect((await c.gql(STATS, { lab: "LAB01", from: "2026-04-02", to: "2026-04-01" }, t.center)).errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: ["to"],
    });
    expect((await c.gql(STATS, { lab: "LAB01", from: "2025-01-01", to: "2026-01-02" }, t.center)).errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: ["to"],
    });
    expect((await c.gql(STATS, { lab: "LAB01", from: "2025-01-01", to: "2026-01-01" }, t.center)).data!.labPrintStats.days).toHaveLength(366);
    expect((await c.gql(STATS, { lab: "LAB99", from: "2026-04-01", to: "2026-04-01" }, t.center)).errors![0].extensions!.code).toBe("NOT_FOUND");
    expect((await c.gql(STATS, { lab: "LAB01", from: "2026-02-30", to: "2026-04-01" }, t.center)).errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });
});

describe("online, last seen, latest load", () => {
  it("shows each admin their labs' state: online while connected or within the grace period", async () => {
    const now = Date.now();
    await poke(LabEntity, { id: "LAB01" }, { lastSeenAt: new Date(now) });
    await poke(LabEntity, { id: "LAB02" }, { lastSeenAt: new Date(now - 91_000) }); // grace: 90 s
    await poke(LabEntity, { id: "LAB03" }, { lastSeenAt: new Date(now - 30_000) });
    await poke(LabEntity, { id: "LAB04" }, { lastSeenAt: null });
    type LabState = { id: string; online: boolean; lastSeenAt: string | null; latestLoad: { queuedJobs: number; utilisation: number } | null };
    const labs = async (token: string) => (await c.gql(LABS, {}, token)).data!.labs as LabState[];
    const all = await labs(t.center);
    expect(all.map((l) => [l.id, l.online])).toEqual([
      ["LAB01", true], // reported load a moment ago
      ["LAB02", false],
      ["LAB03", true],
      ["LAB04", false],
    ]);
    expect(all[0].latestLoad).toMatchObject({ queuedJobs: 12, utilisation: 1.5 });
    expect(all[1]).toMatchObject({ lastSeenAt: new Date(now - 91_000).toISOString(), latestLoad: null });
    expect(all[3]).toMatchObject({ lastSeenAt: null, latestLoad: null });

    // A connected daemon is online whatever its last-seen instant.
    const sub = nextEvent(c.ws(KEY.LAB04), `subscription { printJobs { job { id } } }`);
    // Connecting records the lab as seen; then its last-seen instant is made old.
    await until("LAB04 seen", async () => (await labs(t.center)).find((l) => l.id === "LAB04")!.lastSeenAt !== null, { intervalMs: 50 });
    await poke(LabEntity, { id: "LAB04" }, { lastSeenAt: new Date(now - 3600_000) });
    expect((await labs(t.center)).find((l) => l.id === "LAB04")!.online).toBe(true);
    sub.dispose();

    // Scope: a group admin their group's labs, a shop admin their shop's.
    expect((await labs(t.groupA)).map((l) => [l.id, l.online])).toEqual([
      ["LAB01", true],
      ["LAB02", false],
    ]);
    expect((await labs(t.shop2)).map((l) => l.id)).toEqual(["LAB02"]);
    expect((await labs(t.customer)).map((l) => l.id)).toEqual([]);
  });
});

describe("who may", () => {
  // The whole answer's data must be null on a refusal, not only the field.
  const send = (query: string) => async (variables: Record<string, unknown>, bearer: string | null) => {
    const r = await c.gql(query, variables, bearer);
    return { code: (r.errors?.[0]?.extensions?.code as string | undefined) ?? null, value: r.data, result: r };
  };
  const people: MatrixCaller[] = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["a customer", () => t.customer, "FORBIDDEN"],
    ["a shop admin", () => t.shop1, "FORBIDDEN"],
    ["a group admin", () => t.groupA, "FORBIDDEN"],
    ["the center admin", () => t.center, "FORBIDDEN"],
  ];
  // Lab reports are for labs: nobody else writes one.
  const writes: MatrixOperation[] = [
    { op: "reportLabLoad", prepare: () => ({ input: { queuedJobs: 1, queuedSheets: 1, utilisation: 0.1 } }), send: send(LOAD) },
    {
      op: "reportPrintHistory",
      prepare: () => ({ entries: [{ jobId: jobs.lab01[4], printedAt: "2026-04-03T01:00:00Z", sheets: 1, ok: true }] }),
      send: send(HISTORY),
    },
  ];
  const counts = async () => [await c.ds.getRepository(LabLoadReportEntity).count(), await c.ds.getRepository(PrintHistoryEntity).count()];
  for (const cell of authzMatrix({ operations: writes, callers: people, snapshot: counts })) it(cell.title, cell.run);

  // labPrintStats and labLoadHistory for LAB01 (shop SP01, group SG01).
  const readers: MatrixCaller[] = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["a customer", () => t.customer, "FORBIDDEN"],
    ["a lab (even LAB01 itself)", () => KEY.LAB01, "FORBIDDEN"],
    ["another shop's admin", () => t.shop2, "FORBIDDEN"],
    ["another group's admin", () => t.groupB, "FORBIDDEN"],
    ["the lab's shop admin", () => t.shop1, "allowed"],
    ["the lab's group admin", () => t.groupA, "allowed"],
    ["the center admin", () => t.center, "allowed"],
  ];
  const reads: MatrixOperation[] = [
    {
      op: "labPrintStats",
      prepare: () => ({ lab: "LAB01", from: "2026-04-01", to: "2026-04-01" }),
      send: send(STATS),
      whenAllowed: (a) => {
        expect(a.result!.errors).toBeUndefined();
        expect(a.result!.data!.labPrintStats.sheetsPrinted).toBe(7);
      },
    },
    {
      op: "labLoadHistory",
      prepare: () => ({ lab: "LAB01" }),
      send: send(LOAD_HISTORY),
      whenAllowed: (a) => {
        expect(a.result!.errors).toBeUndefined();
        expect(a.result!.data!.labLoadHistory).toHaveLength(3);
      },
    },
  ];
  for (const cell of authzMatrix({
    operations: reads,
    callers: readers,
    title: (op, who, o) => `lets ${who} ${o === "allowed" ? "read" : `not read (${o})`} ${op.op}`,
  }))
    it(cell.title, cell.run);
});
