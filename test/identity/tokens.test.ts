/** Session tokens: the verifier keeps what it verified, but never past a token's expiry. */
import { issueToken, TokenVerifier, verifyToken } from "../../src/identity/tokens";

const secret = new TextEncoder().encode("s".repeat(48));
const other = new TextEncoder().encode("o".repeat(48));

describe("TokenVerifier", () => {
  it("gives the claims of a valid token, the same again from memory, and null once it has expired", async () => {
    const token = await issueToken(secret, "U100", 60);
    const v = new TokenVerifier(secret);
    const now = Date.now();
    const first = await v.verify(token, now);
    expect(first).toEqual({ userId: "U100", sessionVersion: 0, issuedAt: expect.any(Number), expiresAt: first!.issuedAt + 60 });
    expect(await v.verify(token, now + 1000)).toEqual(first);
    // Remembered or not, a token is not accepted after its expiry.
    expect(await v.verify(token, (first!.expiresAt + 1) * 1000)).toBeNull();
    expect(await verifyToken(secret, token)).toEqual(first);
  });

  it("carries the session version it was issued under", async () => {
    expect(await verifyToken(secret, await issueToken(secret, "U100", 60, 3))).toMatchObject({ userId: "U100", sessionVersion: 3 });
  });

  it("refuses forged, foreign and malformed tokens, every time", async () => {
    const v = new TokenVerifier(secret);
    const foreign = await issueToken(other, "U100", 60);
    const good = await issueToken(secret, "U100", 60);
    const [h, p] = good.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: "U001", iss: "printmesh", iat: 1, exp: 9999999999 })).toString("base64url")}.${good.split(".")[2]}`;
    for (const t of [foreign, tampered, `${h}.${p}.`, "not-a-token"]) {
      expect(await v.verify(t)).toBeNull();
      expect(await v.verify(t)).toBeNull();
    }
  });

  it("keeps at most maxEntries tokens and still verifies those it has forgotten", async () => {
    const v = new TokenVerifier(secret, 2);
    const tokens = await Promise.all(["U1", "U2", "U3"].map((u) => issueToken(secret, u, 60)));
    for (const t of tokens) expect(await v.verify(t)).not.toBeNull();
    expect((await v.verify(tokens[0]))!.userId).toBe("U1");
    expect((await v.verify(tokens[2]))!.userId).toBe("U3");
  });
});
