import { randomHex } from "../../src/common/random-tokens";

describe("randomHex", () => {
  it("gives 2 x bytes lower-case hex characters", () => {
    expect(randomHex(24)).toMatch(/^[0-9a-f]{48}$/);
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/);
    expect(randomHex(256)).toMatch(/^[0-9a-f]{512}$/);
  });

  it("never repeats a token across many refills of its pool, and uses every digit evenly", () => {
    const tokens = Array.from({ length: 20_000 }, () => randomHex(24));
    expect(new Set(tokens).size).toBe(20_000);
    const counts = new Map<string, number>();
    for (const t of tokens) for (const ch of t) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(16);
    // 960,000 digits: 60,000 expected each, one standard deviation about 240.
    for (const n of counts.values()) expect(Math.abs(n - 60_000)).toBeLessThan(2_000);
  });

  it("does not hand out the same bytes when sizes vary around the end of the pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const bytes = (i % 37) + 8;
      const t = randomHex(bytes);
      expect(t).toHaveLength(2 * bytes);
      expect(seen.has(t)).toBe(false);
      seen.add(t);
    }
  });

  it("refuses sizes it cannot serve", () => {
    for (const bad of [0, -1, 257, 1.5, Number.NaN]) expect(() => randomHex(bad)).toThrow(/bytes must be 1 to 256/);
  });
});
