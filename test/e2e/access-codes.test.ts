/**
 * Access codes and the gallery (seed 002) end to end on the real center: the code's form and what
 * is stored of it, exactly the subject's images in the gallery, thumbnails fetched with no session
 * through signed links (and refused when tampered with), codes and shoots that no longer show
 * anything, one code per subject at once, guesses limited per address, and who may make codes.
 *
 * Addresses: the center listens on 127.0.0.1, and a client may connect from any 127.0.0.x, which
 * the center sees as a different address; every test that looks codes up uses addresses of its own.
 */
import * as http from "node:http";
import { In } from "typeorm";
import { keyedKeyHash } from "../../src/identity/passwords";
import { ACCESS_CODE_ALPHABET, ACCESS_CODE_LENGTH, newAccessCode, normaliseAccessCode } from "../../src/shoots/access-code-format";
import { AccessCodeEntity } from "../../src/shoots/access-code.entity";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { ShootImageEntity } from "../../src/shoots/shoot-image.entity";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type MatrixCaller, type MatrixOperation } from "../support/authz-matrix";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { newDevice, newShoot, uploadToShoot } from "../support/shoots";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const GUESSES = 5;
const CODE_RE = new RegExp(`^[${ACCESS_CODE_ALPHABET}]{4}-[${ACCESS_CODE_ALPHABET}]{4}-[${ACCESS_CODE_ALPHABET}]{4}$`);

const CREATE_CODE = `mutation($input: AccessCodeInput!) { createAccessCode(input: $input) { accessCode { code shootId subject expiresAt } errors { code field } } }`;
const CREATE_CODES = `mutation($shootId: ID!, $expiresAt: DateTime) {
  createAccessCodesForSubjects(shootId: $shootId, expiresAt: $expiresAt) { accessCodes { code shootId subject expiresAt } errors { code field } } }`;
const GALLERY = `query($code: String!) { gallery(accessCode: $code) {
  shootId shopId name subject availableUntil hasMoreImages images { imageId thumbnailUrl thumbnailExpiresAt width height } } }`;
const GALLERY_PAGE = `query($code: String!, $first: Int, $after: String) { galleryImages(accessCode: $code, first: $first, after: $after) {
  edges { cursor node { imageId } } pageInfo { hasNextPage endCursor } } }`;

let c: TestCenter;
let t: Record<string, string>;
let device: { id: string; key: string };
let seed = 1000;

beforeAll(async () => {
  c = await startCenter({ env: { ACCESS_CODE_RATE_LIMIT: String(GUESSES), ACCESS_CODE_RATE_WINDOW_SECONDS: "600" } });
  t = await loginPeople(c);
  device = await newDevice(c, t.shop1, "SP01");
});
afterAll(async () => {
  await c?.stop();
});

interface Answer {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
}

/** A GraphQL operation sent from `from` (a loopback address), with no credential unless given. */
function gqlFrom(from: string, query: string, variables: Record<string, unknown>, bearer?: string): Promise<Answer> {
  const body = JSON.stringify({ query, variables });
  const u = new URL(c.url + "/graphql");
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return new Promise((resolve, reject) => {
    // A fresh connection per request: the address is the connection's.
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", localAddress: from, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(text) as Answer);
        } catch {
          reject(new Error(`bad answer ${res.statusCode}: ${text}`));
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function gallery(from: string, code: string, bearer?: string): Promise<any> {
  const r = await gqlFrom(from, GALLERY, { code }, bearer);
  expect(r.errors).toBeUndefined();
  return r.data!.gallery;
}

async function code(
  bearer: string,
  input: Record<string, unknown>,
): Promise<{ code: string; shootId: string; subject: string | null; expiresAt: string | null }> {
  const r = await c.gql(CREATE_CODE, { input }, bearer);
  expect(r.errors).toBeUndefined();
  expect(r.data!.createAccessCode.errors).toEqual([]);
  return r.data!.createAccessCode.accessCode;
}

/** A new shoot of SP01 with one image per subject given (null: untagged), in that order; the images' ids. */
async function shootWith(subjects: Array<string | null>): Promise<{ shootId: string; ids: string[] }> {
  const shootId = (await newShoot(c, t.shop1, { shopId: "SP01", name: "Relay race" })).shoot.id;
  const ids: string[] = [];
  for (const subject of subjects) {
    const r = await uploadToShoot(c, shootId, device.key, makePng(24, 16, seed++), subject === null ? {} : { "x-subject": subject });
    expect(r.status).toBe(201);
    ids.push(r.json.imageId);
  }
  return { shootId, ids };
}

const codes = () => c.ds.getRepository(AccessCodeEntity);

describe("the code", () => {
  test("has 12 characters of a 31-symbol alphabet without look-alikes, in groups of four: over 58 bits", () => {
    expect(ACCESS_CODE_ALPHABET).toHaveLength(31);
    expect(new Set(ACCESS_CODE_ALPHABET).size).toBe(31);
    for (const lookAlike of "0O1IL") expect(ACCESS_CODE_ALPHABET).not.toContain(lookAlike);
    expect(ACCESS_CODE_LENGTH).toBe(12);
    expect(ACCESS_CODE_LENGTH * Math.log2(ACCESS_CODE_ALPHABET.length)).toBeGreaterThan(58);
    // Every symbol drawn alike: 2,600 codes are 31,200 draws, some 1,006 of each symbol (within 5 standard deviations).
    const n = 2600;
    const counts = new Map<string, number>();
    const made = new Set<string>();
    for (let i = 0; i < n; i++) {
      const k = newAccessCode();
      expect(k).toMatch(CODE_RE);
      made.add(k);
      for (const ch of k.replace(/-/g, "")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(made.size).toBe(n);
    expect([...counts.keys()].sort().join("")).toBe([...ACCESS_CODE_ALPHABET].sort().join(""));
    const expected = (n * ACCESS_CODE_LENGTH) / ACCESS_CODE_ALPHABET.length;
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(160);
  });

  test("typed in any case, with spaces or without dashes, is the same code; anything else is none", () => {
    expect(normaliseAccessCode(" abcd efgh-jkmn ")).toBe("ABCDEFGHJKMN");
    expect(normaliseAccessCode("ABCDEFGHJKMN")).toBe("ABCDEFGHJKMN");
    expect(normaliseAccessCode("ABCD-EFGH-JKM0")).toBeNull();
    expect(normaliseAccessCode("ABCD-EFGH-JKM")).toBeNull();
  });

  test("is shown once and stored only as its keyed hash", async () => {
    const { shootId } = await shootWith(["7"]);
    const made = await code(t.shop1, { shootId, subject: " 7 " });
    expect(made).toEqual({ code: expect.stringMatching(CODE_RE), shootId, subject: "7", expiresAt: null });
    const rows = await codes().find({ where: { shootId } });
    expect(rows.map((r) => [r.id, r.subject, r.expiresAt])).toEqual([[keyedKeyHash(c.config.keyHashSecret, made.code.replace(/-/g, "")), "7", null]]);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(made.code);
    expect(stored).not.toContain(made.code.replace(/-/g, ""));
  });

  test("refusals name the field and write nothing", async () => {
    const { shootId } = await shootWith([]);
    const before = await codes().count();
    const send = async (input: Record<string, unknown>) => (await c.gql(CREATE_CODE, { input }, t.shop1)).data!.createAccessCode;
    expect(await send({ shootId, expiresAt: "2000-01-01T00:00:00Z" })).toEqual({
      accessCode: null,
      errors: [{ code: "INVALID_DATE", field: ["input", "expiresAt"] }],
    });
    expect(await send({ shootId, subject: "a/b" })).toEqual({ accessCode: null, errors: [{ code: "INVALID_SUBJECT", field: ["input", "subject"] }] });
    expect(await send({ shootId: "SH-NOPE" })).toEqual({ accessCode: null, errors: [{ code: "NOT_FOUND", field: ["input", "shootId"] }] });
    await c.ds.getRepository(ShootEntity).update({ id: shootId }, { availableUntil: "2000-01-01" });
    expect(await send({ shootId })).toEqual({ accessCode: null, errors: [{ code: "SHOOT_CLOSED", field: ["input", "shootId"] }] });
    expect(await codes().count()).toBe(before);
  });
});

describe("the gallery", () => {
  let shootId: string;
  let ids: string[];
  beforeAll(async () => {
    ({ shootId, ids } = await shootWith(["101", "102", "101", null, "a7", "A7"]));
  });

  test("of a subject's code shows exactly that subject's images, oldest first, to anyone", async () => {
    const made = await code(t.shop1, { shootId, subject: "101" });
    const g = await gallery("127.0.0.10", made.code);
    expect(g).toEqual({
      shootId,
      shopId: "SP01",
      name: "Relay race",
      subject: "101",
      availableUntil: null,
      hasMoreImages: false,
      images: [ids[0], ids[2]].map((imageId) => ({
        imageId,
        thumbnailUrl: expect.stringMatching(new RegExp(`^/images/${imageId}/thumbnail\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`)),
        thumbnailExpiresAt: expect.any(String),
        width: 24,
        height: 16,
      })),
    });
    // Typed sloppily, read by any kind of caller: the same images.
    const sloppy = made.code.toLowerCase().replace(/-/g, " ");
    for (const bearer of [undefined, t.customer, LAB01_KEY, t.shop3]) {
      expect((await gallery("127.0.0.10", sloppy, bearer)).images.map((i: any) => i.imageId)).toEqual([ids[0], ids[2]]);
    }
  });

  test("a subject is matched exactly, case included", async () => {
    const lower = await code(t.shop1, { shootId, subject: "a7" });
    const upper = await code(t.groupA, { shootId, subject: "A7" });
    expect((await gallery("127.0.0.11", lower.code)).images.map((i: any) => i.imageId)).toEqual([ids[4]]);
    expect((await gallery("127.0.0.11", upper.code)).images.map((i: any) => i.imageId)).toEqual([ids[5]]);
  });

  test("of a whole-shoot code shows every image, and page by page the same", async () => {
    const whole = await code(t.center, { shootId });
    const g = await gallery("127.0.0.12", whole.code);
    expect(g.subject).toBeNull();
    expect(g.images.map((i: any) => i.imageId)).toEqual(ids);
    const paged: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      const r = await gqlFrom("127.0.0.12", GALLERY_PAGE, { code: whole.code, first: 4, after });
      expect(r.errors).toBeUndefined();
      const page: any = r.data!.galleryImages;
      paged.push(...page.edges.map((e: any) => e.node.imageId));
      after = page.pageInfo.endCursor;
      if (!page.pageInfo.hasNextPage) {
        expect(pages).toBe(1);
        break;
      }
    }
    expect(paged).toEqual(ids);
  });

  test("thumbnails are fetched with no session; a tampered or borrowed signature is refused", async () => {
    const whole = await code(t.shop1, { shootId });
    const [first] = (await gallery("127.0.0.13", whole.code)).images;
    const res = await fetch(c.url + first.thumbnailUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect([...jpeg.subarray(-2)]).toEqual([0xff, 0xd9]);

    const u = new URL(c.url + first.thumbnailUrl);
    const sig = u.searchParams.get("sig")!;
    const refused = async (path: string) => {
      const r = await fetch(c.url + path);
      return { status: r.status, code: ((await r.json()) as any).error.code };
    };
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    expect(await refused(`/images/${first.imageId}/thumbnail?exp=${u.searchParams.get("exp")}&sig=${flipped}`)).toEqual({
      status: 403,
      code: "INVALID_SIGNATURE",
    });
    expect(await refused(`/images/${first.imageId}/thumbnail?exp=${Number(u.searchParams.get("exp")) + 1}&sig=${sig}`)).toEqual({
      status: 403,
      code: "INVALID_SIGNATURE",
    });
    // Another image's thumbnail, and the original, with this thumbnail's signature.
    expect(await refused(`/images/${ids[1]}/thumbnail?exp=${u.searchParams.get("exp")}&sig=${sig}`)).toEqual({ status: 403, code: "INVALID_SIGNATURE" });
    expect(await refused(`/images/${first.imageId}/original?exp=${u.searchParams.get("exp")}&sig=${sig}`)).toEqual({ status: 403, code: "INVALID_SIGNATURE" });
    // Without a signature, a thumbnail still asks for a session.
    expect(await refused(`/images/${first.imageId}/thumbnail`)).toEqual({ status: 401, code: "UNAUTHENTICATED" });
  });

  test("an expired code shows nothing", async () => {
    const made = await code(t.shop1, { shootId, subject: "102", expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect((await gallery("127.0.0.14", made.code)).images.map((i: any) => i.imageId)).toEqual([ids[1]]);
    // As if its hour had passed.
    await codes().update({ id: keyedKeyHash(c.config.keyHashSecret, made.code.replace(/-/g, "")) }, { expiresAt: new Date(Date.now() - 1000) });
    expect(await gallery("127.0.0.14", made.code)).toBeNull();
  });

  test("a code of a shoot past its last day, or retired, shows nothing", async () => {
    const closing = await shootWith(["5"]);
    const made = await code(t.shop1, { shootId: closing.shootId, subject: "5" });
    expect((await gallery("127.0.0.15", made.code)).images.map((i: any) => i.imageId)).toEqual(closing.ids);
    await c.ds.getRepository(ShootEntity).update({ id: closing.shootId }, { availableUntil: "2000-01-01" });
    expect(await gallery("127.0.0.15", made.code)).toBeNull();
    await c.ds.getRepository(ShootEntity).update({ id: closing.shootId }, { availableUntil: null, retiredAt: new Date() });
    expect(await gallery("127.0.0.15", made.code)).toBeNull();
    const r = await gqlFrom("127.0.0.15", GALLERY_PAGE, { code: made.code, first: 10, after: null });
    expect(r).toEqual({ data: { galleryImages: null } });
  });

  test("a gallery lists its first 500 images; the rest page by page", async () => {
    const big = await shootWith([]);
    const at = Date.now() - 1_000_000;
    const rows = Array.from({ length: 501 }, (_, i) =>
      Object.assign(new ShootImageEntity(), {
        imageId: `IMG-BULK-${String(i).padStart(4, "0")}`,
        shootId: big.shootId,
        sha256: String(i).padStart(64, "0"),
        width: 10,
        height: 10,
        subject: "9",
        deviceId: null,
        createdAt: new Date(at + i),
      }),
    );
    for (let i = 0; i < rows.length; i += 100) await c.ds.getRepository(ShootImageEntity).insert(rows.slice(i, i + 100));
    const made = await code(t.shop1, { shootId: big.shootId, subject: "9" });
    const g = await gallery("127.0.0.16", made.code);
    expect(g.hasMoreImages).toBe(true);
    expect(g.images.map((i: any) => i.imageId)).toEqual(rows.slice(0, 500).map((r) => r.imageId));
  });
});

describe("codes for every subject at once", () => {
  test("one per subject without a code, sorted; again, only for subjects tagged since", async () => {
    const { shootId, ids } = await shootWith(["12", "2", null, "12", "b", "B"]);
    const manual = await code(t.shop1, { shootId, subject: "b" });
    const expiresAt = new Date(Date.now() + 7 * 86400_000).toISOString();
    const r = await c.gql(CREATE_CODES, { shootId, expiresAt }, t.shop1);
    expect(r.errors).toBeUndefined();
    const made = r.data!.createAccessCodesForSubjects;
    expect(made.errors).toEqual([]);
    expect(made.accessCodes.map((k: any) => [k.subject, k.shootId, k.expiresAt])).toEqual([
      ["2", shootId, expiresAt],
      ["12", shootId, expiresAt],
      ["B", shootId, expiresAt],
    ]);
    for (const k of made.accessCodes) expect(k.code).toMatch(CODE_RE);
    expect(new Set(made.accessCodes.map((k: any) => k.code)).size).toBe(3);
    expect((await codes().find({ where: { shootId } })).map((k) => k.subject).sort()).toEqual(["12", "2", "B", "b"]);
    const shows = async (k: string) => (await gallery("127.0.0.20", k)).images.map((i: any) => i.imageId);
    expect(await shows(made.accessCodes[0].code)).toEqual([ids[1]]);
    expect(await shows(made.accessCodes[1].code)).toEqual([ids[0], ids[3]]);
    expect(await shows(made.accessCodes[2].code)).toEqual([ids[5]]);
    expect(await shows(manual.code)).toEqual([ids[4]]);

    const again = await c.gql(CREATE_CODES, { shootId }, t.shop1);
    expect(again.data!.createAccessCodesForSubjects).toEqual({ accessCodes: [], errors: [] });
    await uploadToShoot(c, shootId, device.key, makePng(24, 16, seed++), { "x-subject": "3" });
    const later = await c.gql(CREATE_CODES, { shootId }, t.shop1);
    expect(later.data!.createAccessCodesForSubjects.accessCodes.map((k: any) => [k.subject, k.expiresAt])).toEqual([["3", null]]);
  });

  test("two calls at once make one code per subject", async () => {
    const { shootId } = await shootWith(["x1", "x2", "x3"]);
    const both = await Promise.all([c.gql(CREATE_CODES, { shootId }, t.shop1), c.gql(CREATE_CODES, { shootId }, t.groupA)]);
    const subjects = both.flatMap((r) => r.data!.createAccessCodesForSubjects.accessCodes.map((k: any) => k.subject));
    expect(subjects.sort()).toEqual(["x1", "x2", "x3"]);
    expect(await codes().count({ where: { shootId } })).toBe(3);
  });

  test("refusals: past expiry, more than 5,000 subjects; nothing written", async () => {
    const { shootId } = await shootWith(["1"]);
    const past = await c.gql(CREATE_CODES, { shootId, expiresAt: "2001-01-01T00:00:00Z" }, t.shop1);
    expect(past.data!.createAccessCodesForSubjects).toEqual({ accessCodes: [], errors: [{ code: "INVALID_DATE", field: ["expiresAt"] }] });
    const at = Date.now();
    const rows = Array.from({ length: 5001 }, (_, i) =>
      Object.assign(new ShootImageEntity(), {
        imageId: `IMG-SUBJ-${i}`,
        shootId,
        sha256: `f${String(i).padStart(63, "0")}`,
        width: 10,
        height: 10,
        subject: `S${i}`,
        deviceId: null,
        createdAt: new Date(at + i),
      }),
    );
    for (let i = 0; i < rows.length; i += 200) await c.ds.getRepository(ShootImageEntity).insert(rows.slice(i, i + 200));
    const many = await c.gql(CREATE_CODES, { shootId }, t.shop1);
    expect(many.data!.createAccessCodesForSubjects).toEqual({ accessCodes: [], errors: [{ code: "TOO_MANY_SUBJECTS", field: ["shootId"] }] });
    expect(await codes().count({ where: { shootId } })).toBe(0);
    await c.ds.getRepository(ShootImageEntity).delete({ imageId: In(rows.map((r) => r.imageId)) });
  });
});

describe("guesses per address", () => {
  let good: string;
  beforeAll(async () => {
    const { shootId } = await shootWith(["g"]);
    good = (await code(t.shop1, { shootId, subject: "g" })).code;
  });
  const wrong = (i: number) => `ZZZZ-ZZZZ-${String.fromCharCode(65 + (i % 20)).repeat(4)}`;

  test(`exactly ${GUESSES} unknown codes, then RATE_LIMITED for every code from that address; another address is not affected`, async () => {
    // Codes that open a gallery are not counted.
    for (let i = 0; i < 8; i++) expect(await gallery("127.0.0.30", good)).not.toBeNull();
    for (let i = 0; i < GUESSES; i++) expect(await gallery("127.0.0.30", wrong(i))).toBeNull();
    for (const k of [wrong(99), good]) {
      const r = await gqlFrom("127.0.0.30", GALLERY, { code: k });
      expect(r.data).toEqual({ gallery: null });
      expect(r.errors?.map((e) => e.extensions?.code)).toEqual(["RATE_LIMITED"]);
      expect(r.errors![0].extensions!.retryAfterSeconds).toEqual(expect.any(Number));
      expect(r.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(500);
    }
    const paged = await gqlFrom("127.0.0.30", GALLERY_PAGE, { code: good, first: 1, after: null });
    expect(paged.errors?.map((e) => e.extensions?.code)).toEqual(["RATE_LIMITED"]);
    expect((await gallery("127.0.0.31", good)).images).toHaveLength(1);
    expect(await gallery("127.0.0.31", wrong(1))).toBeNull();
  });

  test(`${GUESSES * 3} guesses at once: exactly ${GUESSES} looked up`, async () => {
    const answers = await Promise.all(Array.from({ length: GUESSES * 3 }, (_, i) => gqlFrom("127.0.0.32", GALLERY, { code: wrong(i) })));
    const limited = answers.filter((a) => a.errors?.[0]?.extensions?.code === "RATE_LIMITED").length;
    const nulls = answers.filter((a) => a.errors === undefined && a.data?.gallery === null).length;
    expect([nulls, limited]).toEqual([GUESSES, GUESSES * 2]);
  });
});

describe("authorization", () => {
  interface Vars {
    shootId: string;
    input?: Record<string, unknown>;
  }
  // Every target is a shoot of SP01 (shop group SG01): group-a's scope, not group-b's.
  const rows: Array<MatrixOperation<Vars>> = [
    {
      op: "createAccessCode",
      prepare: async () => {
        const { shootId } = await shootWith([]);
        return { shootId, input: { shootId, subject: "42" } };
      },
      send: (v, bearer) => graphqlAttempt(c, CREATE_CODE, "createAccessCode", { input: v.input }, bearer),
      applied: async (v) => (await codes().count({ where: { shootId: v.shootId } })) === 1,
      whenAllowed: (attempt) => {
        expect(expectCleanPayload(attempt, "createAccessCode").accessCode.code).toMatch(CODE_RE);
      },
    },
    {
      op: "createAccessCodesForSubjects",
      prepare: async () => ({ shootId: (await shootWith(["42", "43"])).shootId }),
      send: (v, bearer) => graphqlAttempt(c, CREATE_CODES, "createAccessCodesForSubjects", { shootId: v.shootId }, bearer),
      applied: async (v) => (await codes().count({ where: { shootId: v.shootId } })) === 2,
      whenAllowed: (attempt) => {
        expect(expectCleanPayload(attempt, "createAccessCodesForSubjects").accessCodes.map((k: any) => k.subject)).toEqual(["42", "43"]);
      },
    },
  ];
  const callers: Array<MatrixCaller<MatrixOperation<Vars>>> = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["customer", () => t.customer, "FORBIDDEN"],
    ["lab key of the shoot's shop", () => LAB01_KEY, "FORBIDDEN"],
    ["shop admin of another shop (shop-2)", () => t.shop2, "FORBIDDEN"],
    ["group admin of another group (group-b)", () => t.groupB, "FORBIDDEN"],
    ["shop admin of the shoot's shop (shop-1)", () => t.shop1, "allowed"],
    ["group admin of the shoot's group (group-a)", () => t.groupA, "allowed"],
    ["center admin", () => t.center, "allowed"],
  ];
  const snapshot = async () => (await codes().find({ order: { id: "ASC" } })).map((k) => [k.id, k.shootId, k.subject]);

  for (const cell of authzMatrix({ operations: rows, callers, snapshot })) it(cell.title, cell.run);
});
