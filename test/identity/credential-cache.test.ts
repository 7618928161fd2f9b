/**
 * The identity service's cache of lab keys and parsed credentials, against a real center and
 * database: a key's secret is proven with argon2 once, after which a change to keys only re-reads
 * whether the key and its lab still hold, in one statement for keys that fall due together; a
 * change announced during a read makes that read untrusted. A connection's header is parsed once.
 * These are the service's own rules, asked of it directly; the HTTP and graphql-ws behaviour of
 * keys is in test/e2e/identity.test.ts and test/e2e/lab-key-hashing.test.ts.
 */
import { startCenter, type TestCenter } from "../support/center";
import { LabApiKeyEntity } from "../../src/labs/lab-api-key.entity";
import { INVALID_CREDENTIAL, type CredentialMemo } from "../../src/identity/identity.service";
import { queryCounter } from "../../src/db/query-counter";

const LAB01_KEY = "lab01-key-0123456789abcdef";
const LAB03_KEY = "lab03-key-0123456789abcdef";
const LABS = "{ labs { id } }";

let c: TestCenter;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  tokens.customer = await c.login("customer", "customer-pass");
});
afterAll(async () => {
  await c?.stop();
});

describe("the credential cache", () => {
  it("proves a key's secret with argon2 once: after a change it only reads whether the key and lab still hold", async () => {
    const identity = c.server.services.identity;
    const header = `Bearer ${LAB03_KEY}`;
    expect(await identity.authenticate(header)).toMatchObject({ kind: "lab", labId: "LAB03" });
    identity.forgetLabKeys();
    const seen: string[] = [];
    queryCounter.recent = seen;
    let again;
    try {
      again = await identity.authenticate(header);
    } finally {
      queryCounter.recent = null;
    }
    expect(again).toMatchObject({ kind: "lab", labId: "LAB03", shopId: "SP03" });
    // One statement: the key unrevoked and its lab enabled. No lookup of candidate hashes (argon2).
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/revoked_at["`]? IS NULL/);
    expect(seen[0]).not.toMatch(/lookup/);

    // Revoked behind the center's back, then any change to keys: refused at the next use.
    const keyId = (await c.ds.getRepository(LabApiKeyEntity).findOneByOrFail({ labId: "LAB03" })).id;
    await c.ds.getRepository(LabApiKeyEntity).update({ id: keyId }, { revokedAt: new Date() });
    try {
      identity.forgetLabKeys();
      expect(await identity.authenticate(header)).toBe(INVALID_CREDENTIAL);
      expect((await c.gql(LABS, {}, LAB03_KEY)).status).toBe(401);
    } finally {
      await c.ds.getRepository(LabApiKeyEntity).update({ id: keyId }, { revokedAt: null });
    }
    // Unrevoked again: verified from scratch (its stored hash) and accepted.
    expect((await c.gql(LABS, {}, LAB03_KEY)).data!.labs).toEqual([{ id: "LAB03" }]);
  });

  it("reads the state of keys that fall due together in one statement, answering each alone", async () => {
    const identity = c.server.services.identity;
    const headers = [`Bearer ${LAB01_KEY}`, `Bearer ${LAB03_KEY}`];
    for (const h of headers) expect(await identity.authenticate(h)).toMatchObject({ kind: "lab" });
    const lab03Key = (await c.ds.getRepository(LabApiKeyEntity).findOneByOrFail({ labId: "LAB03" })).id;
    await c.ds.getRepository(LabApiKeyEntity).update({ id: lab03Key }, { revokedAt: new Date() });
    const seen: string[] = [];
    try {
      identity.forgetLabKeys();
      queryCounter.recent = seen;
      const [lab01, lab03, lab01Again] = await Promise.all([...headers, headers[0]].map((h) => identity.authenticate(h)));
      queryCounter.recent = null;
      expect(lab01).toMatchObject({ kind: "lab", labId: "LAB01", shopId: "SP01" });
      expect(lab01Again).toEqual(lab01);
      expect(lab03).toBe(INVALID_CREDENTIAL);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/revoked_at["`]? IS NULL/);
    } finally {
      queryCounter.recent = null;
      await c.ds.getRepository(LabApiKeyEntity).update({ id: lab03Key }, { revokedAt: null });
    }
    expect(await identity.authenticate(headers[1])).toMatchObject({ kind: "lab", labId: "LAB03" });
  });

  it("reads a key's state again when a change to keys comes while it is being read", async () => {
    const identity = c.server.services.identity;
    const header = `Bearer ${LAB01_KEY}`;
    expect(await identity.authenticate(header)).toMatchObject({ kind: "lab", labId: "LAB01" });
    identity.forgetLabKeys();
    const seen: string[] = [];
    queryCounter.recent = seen;
    try {
      const answer = identity.authenticate(header); // starts reading the key's state
      identity.forgetLabKeys(); // a change, announced while that read is under way
      expect(await answer).toMatchObject({ kind: "lab", labId: "LAB01" });
      // The first read may predate the change: not trusted for the next minute; read again.
      expect(seen).toHaveLength(2);
      expect(await identity.authenticate(header)).toMatchObject({ kind: "lab", labId: "LAB01" });
      expect(seen).toHaveLength(2);
    } finally {
      queryCounter.recent = null;
    }
  });

  it("parses a connection's header once and follows it when the header changes", async () => {
    const identity = c.server.services.identity;
    const memo: CredentialMemo = {};
    expect(await identity.authenticate(`Bearer ${LAB01_KEY}`, memo)).toMatchObject({ kind: "lab", labId: "LAB01" });
    expect(memo.parsed).toMatchObject({ header: `Bearer ${LAB01_KEY}`, credential: LAB01_KEY, jwt: false });
    expect(memo.parsed!.digest).toMatch(/^[0-9a-f]{64}$/);
    const parsed = memo.parsed;
    expect(await identity.authenticate(`Bearer ${LAB01_KEY}`, memo)).toMatchObject({ kind: "lab", labId: "LAB01" });
    expect(memo.parsed).toBe(parsed);
    expect(await identity.authenticate(`Bearer ${LAB03_KEY}`, memo)).toMatchObject({ kind: "lab", labId: "LAB03" });
    expect(memo.parsed!.credential).toBe(LAB03_KEY);
    expect(await identity.authenticate(`Bearer ${tokens.customer}`, memo)).toMatchObject({ kind: "user" });
    expect(memo.parsed).toMatchObject({ jwt: true, digest: null });
    expect(await identity.authenticate("Basic abc", memo)).toBe(INVALID_CREDENTIAL);
    expect(await identity.authenticate(`Bearer ${"k".repeat(513)}`, memo)).toBe(INVALID_CREDENTIAL);
    expect(await identity.authenticate("  ", memo)).toEqual({ kind: "anonymous" });
  });
});
