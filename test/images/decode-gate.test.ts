/**
 * The gate that bounds concurrent image decodes, on its own: never more than its bound at once,
 * however many arrive together; the rest wait in its queue, and those beyond the queue are refused.
 * (Uploads refused by a full gate, through the center, are test/e2e/upload-limits.test.ts.)
 */
import { DecodeGate } from "../../src/images/upload-limits";

describe("concurrent decodes", () => {
  it("never run more than the bound at once, however many arrive together (the rest wait in the queue)", async () => {
    const gate = new DecodeGate(2, 10);
    let running = 0;
    let most = 0;
    const work = async () => {
      const release = await gate.acquire();
      if (!release) return "refused";
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      release();
      return "ran";
    };
    const results = await Promise.all(Array.from({ length: 14 }, work));
    expect(most).toBe(2);
    expect(gate.peak).toBe(2);
    expect(results.filter((r) => r === "ran")).toHaveLength(12);
    expect(results.filter((r) => r === "refused")).toHaveLength(2);
    expect(gate.active).toBe(0);
  });
});
