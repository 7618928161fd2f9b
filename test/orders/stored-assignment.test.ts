/** The decision stored with an order stays small however many labs the network has. */
import type { AssignmentDecision, Candidate } from "../../src/assignment/lab-ranking";
import { stored, STORED_CANDIDATES, STORED_REJECTIONS } from "../../src/orders/order-rules";

const candidate = (n: number): Candidate => ({
  labId: `LAB${String(n).padStart(4, "0")}`,
  shopId: "SP01",
  score: n,
  distanceKm: null,
  load: null,
  hoursToPrint: 0.1,
  sheetsAhead: 0,
  loadSource: "QUEUE",
  reasons: [`rank ${n}`],
});

function decision(capable: number, rejected: number, chosenAt = 0): Extract<AssignmentDecision, { ok: true }> {
  const candidates = Array.from({ length: capable }, (_, i) => candidate(i));
  return {
    ok: true,
    chosen: candidates[chosenAt],
    candidates,
    rejected: Array.from({ length: rejected }, (_, i) => ({ labId: `REJ${String(i).padStart(4, "0")}`, reasons: ["not at shop SP01"] })),
    rule: chosenAt === 0 ? "RANKED" : "NAMED_LAB",
    at: "2026-11-21T00:00:00.000Z",
  };
}

describe("stored", () => {
  it("keeps everything of a small decision and says nothing was left out", () => {
    const d = decision(3, 2);
    expect(stored(d, ["note"])).toEqual({
      rule: "RANKED",
      decidedAt: "2026-11-21T00:00:00.000Z",
      chosenLabId: "LAB0000",
      notes: ["note"],
      candidates: d.candidates,
      candidatesOmitted: 0,
      rejected: d.rejected,
      rejectedOmitted: 0,
    });
  });

  it("keeps the best 10 candidates and the first 20 rejections of 1,000 labs, counting the rest", () => {
    const s = stored(decision(400, 600), []);
    expect(STORED_CANDIDATES).toBe(10);
    expect(STORED_REJECTIONS).toBe(20);
    expect(s.candidates.map((c) => c.labId)).toEqual(Array.from({ length: 10 }, (_, i) => `LAB${String(i).padStart(4, "0")}`));
    expect(s.candidatesOmitted).toBe(390);
    expect(s.rejected.map((r) => r.labId)).toEqual(Array.from({ length: 20 }, (_, i) => `REJ${String(i).padStart(4, "0")}`));
    expect(s.rejectedOmitted).toBe(580);
    expect(JSON.stringify(s).length).toBeLessThan(4000);
  });

  it("keeps a named lab that ranked below the first 10 in place of the 10th", () => {
    const s = stored(decision(50, 0, 37), []);
    expect(s.chosenLabId).toBe("LAB0037");
    expect(s.candidates).toHaveLength(10);
    expect(s.candidates.map((c) => c.labId)).toEqual([...Array.from({ length: 9 }, (_, i) => `LAB${String(i).padStart(4, "0")}`), "LAB0037"]);
    expect(s.candidatesOmitted).toBe(40);
  });
});
