/**
 * Price writes racing each other over HTTP (issue "Production-grade", point 7): the overlap rule and
 * the allowance rule hold when two admins write at the same moment, on SQLite and on MariaDB, round
 * after round. Each round sends both requests before awaiting either.
 */
import { findOverlaps } from "../../src/pricing/price-calculator";
import { toRowData } from "../../src/pricing/price-book";
import { PriceHistoryEntity } from "../../src/pricing/price-history.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../../src/pricing/shop-price-allowance.entity";
import { loginPeople, startCenter, type TestCenter } from "../support/center";

const ROUNDS = 12;
const ROW = "priceRow { id shopGroupId shopId productId validFrom validUntil basicCharge amountCharge }";
const CREATE = `mutation($input: PriceRowInput!) { createPriceRow(input: $input) { ${ROW} errors { code message field } } }`;
const UPDATE = `mutation($id: ID!, $input: PriceRowInput!) { updatePriceRow(id: $id, input: $input) { ${ROW} errors { code message field } } }`;
const DELETE = `mutation($id: ID!) { deletePriceRow(id: $id) { errors { code } } }`;
const ALLOW = `mutation($input: ShopPriceAllowanceInput!) { setShopPriceAllowance(input: $input) { allowance { shopId productId minBasicCharge maxBasicCharge minAmountCharge maxAmountCharge } outsideRowIds errors { code message field } } }`;

interface Payload {
  priceRow: { id: string; validFrom: string; validUntil: string | null } | null;
  errors: Array<{ code: string; message: string; field: string[] }>;
}

let c: TestCenter;
let t: Record<string, string>;

beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "groupB", "shop4"]);
});
afterAll(async () => {
  await c?.stop();
});

/** Sends every operation before awaiting any, and answers each one's mutation payload (failing on a thrown error). */
async function together(field: string, ops: Array<[string, Record<string, unknown>, string]>): Promise<Payload[]> {
  const answers = await Promise.all(ops.map(([q, v, token]) => c.gql(q, v, token)));
  return answers.map((a) => {
    if (a.errors) throw new Error(`${field} failed: ${JSON.stringify(a.errors)}`);
    return a.data![field] as Payload;
  });
}

async function rowsOf(shopGroupId: string, productId: string): Promise<PriceRowEntity[]> {
  return c.ds.getRepository(PriceRowEntity).find({ where: { shopGroupId, productId }, order: { id: "ASC" } });
}

async function create(input: object): Promise<string> {
  const r = await c.gql(CREATE, { input }, t.center);
  expect(r.data!.createPriceRow.errors).toEqual([]);
  return r.data!.createPriceRow.priceRow.id;
}

/** One accepted, the other refused for the overlap with the accepted row, naming validFrom. */
function expectOneAccepted(answers: Payload[]): { winner: Payload; loser: Payload } {
  const accepted = answers.filter((a) => a.errors.length === 0);
  expect(accepted).toHaveLength(1);
  const winner = accepted[0];
  const loser = answers.find((a) => a !== winner)!;
  expect(loser.priceRow).toBeNull();
  expect(loser.errors).toEqual([
    { code: "OVERLAPPING_PRICE", message: expect.stringContaining(`Overlaps price row ${winner.priceRow!.id} `), field: ["input", "validFrom"] },
  ]);
  return { winner, loser };
}

describe("concurrent price row writes in one scope and product", () => {
  // SG02 has no rows for P01: each round works on its own year there.
  const input = (year: number, from: string, until: string, amountCharge: number) => ({
    shopGroupId: "SG02",
    productId: "P01",
    validFrom: `${year}-${from}`,
    validUntil: `${year}-${until}`,
    basicCharge: 0,
    amountCharge,
  });

  it("accepts exactly one of two updates moving their rows onto the same free period, round after round", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const year = 2100 + round;
      const a = await create(input(year, "01-01", "01-31", 1));
      const b = await create(input(year, "03-01", "03-31", 2));
      // Each moves its row onto February, where the other is going too: apart, both would pass.
      const answers = await together("updatePriceRow", [
        [UPDATE, { id: a, input: input(year, "02-01", "02-28", 1) }, t.center],
        [UPDATE, { id: b, input: input(year, "02-01", "02-28", 2) }, t.groupB],
      ]);
      const { winner } = expectOneAccepted(answers);
      const rows = (await rowsOf("SG02", "P01")).filter((r) => r.validFrom.startsWith(`${year}-`));
      const moved = winner.priceRow!.id;
      const stayed = moved === a ? b : a;
      expect(rows.map((r) => [r.id, r.validFrom, r.validUntil]).sort()).toEqual(
        [
          [moved, `${year}-02-01`, `${year}-02-28`],
          [stayed, moved === a ? `${year}-03-01` : `${year}-01-01`, moved === a ? `${year}-03-31` : `${year}-01-31`],
        ].sort(),
      );
    }
    expect(findOverlaps((await rowsOf("SG02", "P01")).filter((r) => r.validFrom < "2200").map(toRowData))).toEqual([]);
  });

  it("accepts exactly one of two creations of overlapping rows, round after round", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const year = 2200 + round;
      const answers = await together("createPriceRow", [
        [CREATE, { input: input(year, "01-01", "06-30", 3) }, t.center],
        [CREATE, { input: input(year, "06-01", "12-31", 4) }, t.groupB],
      ]);
      const { winner } = expectOneAccepted(answers);
      const rows = (await rowsOf("SG02", "P01")).filter((r) => r.validFrom.startsWith(`${year}-`));
      expect(rows.map((r) => r.id)).toEqual([winner.priceRow!.id]);
    }
    expect(findOverlaps((await rowsOf("SG02", "P01")).filter((r) => r.validFrom >= "2200").map(toRowData))).toEqual([]);
  });
});

describe("concurrent allowance writes", () => {
  const allowance = (shopId: string, productId: string, maxBasicCharge: number) => ({
    shopId,
    productId,
    minBasicCharge: 0,
    maxBasicCharge,
    minAmountCharge: 0,
    maxAmountCharge: 100,
  });

  it("stores two grants of a new allowance one after the other: one creates, the other updates", async () => {
    const pairs = ["SP03", "SP04"].flatMap((shopId) => ["P01", "P02", "P03", "P04", "P05"].map((productId) => [shopId, productId] as const));
    for (const [shopId, productId] of pairs) {
      const answers = await together("setShopPriceAllowance", [
        [ALLOW, { input: allowance(shopId, productId, 100) }, t.center],
        [ALLOW, { input: allowance(shopId, productId, 200) }, t.groupB],
      ]);
      expect(answers.map((a) => a.errors)).toEqual([[], []]);
      const stored = await c.ds.getRepository(ShopPriceAllowanceEntity).findOneByOrFail({ shopId, productId });
      expect([100, 200]).toContain(stored.maxBasicCharge);
      const history = await c.ds
        .getRepository(PriceHistoryEntity)
        .find({ where: { entityKind: "ALLOWANCE", entityId: `${shopId}/${productId}` }, order: { at: "ASC" } });
      expect(history.map((h) => h.action).sort()).toEqual(["CREATED", "UPDATED"]);
      // The later write is the one stored, and it saw the earlier one as its "before".
      const updated = history.find((h) => h.action === "UPDATED")!;
      expect(JSON.parse(updated.after!).maxBasicCharge).toBe(stored.maxBasicCharge);
      expect(JSON.parse(updated.before!).maxBasicCharge).toBe(300 - stored.maxBasicCharge);
    }
  });

  it("never lets a shop price slip outside an allowance narrowed at the same moment unnoticed", async () => {
    // SP04's admin prices P05 inside a wide allowance while the group admin narrows it below that price.
    for (let round = 0; round < ROUNDS; round++) {
      const wide = await c.gql(ALLOW, { input: allowance("SP04", "P05", 100) }, t.groupB);
      expect(wide.data!.setShopPriceAllowance.errors).toEqual([]);
      const year = 2300 + round;
      const row = { shopId: "SP04", productId: "P05", validFrom: `${year}-01-01`, validUntil: `${year}-12-31`, basicCharge: 50, amountCharge: 5 };
      const [created, narrowed] = await Promise.all([c.gql(CREATE, { input: row }, t.shop4), c.gql(ALLOW, { input: allowance("SP04", "P05", 10) }, t.groupB)]);
      expect(narrowed.data!.setShopPriceAllowance.errors).toEqual([]);
      const shopRows = await c.ds.getRepository(PriceRowEntity).find({ where: { shopId: "SP04", productId: "P05" } });
      const outside = narrowed.data!.setShopPriceAllowance.outsideRowIds as string[];
      if (created.data!.createPriceRow.errors.length === 0) {
        // Created first: the narrowing saw it and reported it as outside.
        const id = created.data!.createPriceRow.priceRow.id as string;
        expect(shopRows.map((r) => r.id)).toEqual([id]);
        expect(outside).toEqual([id]);
        expect((await c.gql(DELETE, { id }, t.center)).data!.deletePriceRow.errors).toEqual([]);
      } else {
        // Narrowed first: the price was checked against the narrowed allowance.
        expect(created.data!.createPriceRow.errors).toEqual([
          { code: "PRICE_OUT_OF_RANGE", message: "basicCharge 50 is outside the allowed range 0 to 10", field: ["input", "basicCharge"] },
        ]);
        expect(shopRows).toEqual([]);
        expect(outside).toEqual([]);
      }
    }
  });
});
