/** Leaving the shoot's first-print lab out of a reorder's assignment, case by case (pure). */
import type { AssignmentDecision, Candidate } from "../../src/assignment/lab-ranking";
import { leaveOutFirstPrintLabs } from "../../src/reorders/reorder-rules";

const cand = (labId: string, score: number): Candidate => ({
  labId,
  shopId: "SP01",
  score,
  distanceKm: null,
  load: null,
  hoursToPrint: 0.1,
  sheetsAhead: 0,
  loadSource: "QUEUE",
  reasons: [`score ${score}`],
});
const decided = (...candidates: Candidate[]): Extract<AssignmentDecision, { ok: true }> => ({
  ok: true,
  chosen: candidates[0]!,
  candidates,
  rejected: [{ labId: "LAB09", reasons: ["does not do DELIVERY"] }],
  rule: "RANKED",
  at: "2026-01-01T00:00:00.000Z",
});

describe("leaveOutFirstPrintLabs", () => {
  it("the first-print lab ranked first: the next capable lab is chosen, and the record says why", () => {
    const r = leaveOutFirstPrintLabs(decided(cand("LAB01", 1), cand("LABD", 2)), ["LAB01"]);
    expect(r.decision.chosen.labId).toBe("LABD");
    expect(r.decision.candidates.map((c) => c.labId)).toEqual(["LABD"]);
    expect(r.decision.rejected).toEqual([
      { labId: "LAB01", reasons: ["score 1", "first-print lab of the reorder's shoot: left out, because another capable lab delivers (LABD)"] },
      { labId: "LAB09", reasons: ["does not do DELIVERY"] },
    ]);
    expect(r.notes).toEqual(["lab LAB01 is the shoot's first-print lab: left out, LABD prints the reorder"]);
  });

  it("the first-print lab is the only capable one: it prints the reorder", () => {
    const d = decided(cand("LAB01", 1));
    const r = leaveOutFirstPrintLabs(d, ["LAB01"]);
    expect(r.decision).toBe(d);
    expect(r.notes).toEqual(["the shoot's first-print lab LAB01 is the only capable lab that delivers, so it prints the reorder too"]);
  });

  it("no first-print lab among the candidates: the ranking's choice stands, with no note", () => {
    const d = decided(cand("LABD", 1), cand("LABE", 2));
    expect(leaveOutFirstPrintLabs(d, ["LAB01"])).toEqual({ decision: d, notes: [] });
  });

  it("several shoots' first-print labs are all left out", () => {
    const r = leaveOutFirstPrintLabs(decided(cand("LAB01", 1), cand("LAB02", 2), cand("LABD", 3)), ["LAB01", "LAB02"]);
    expect(r.decision.chosen.labId).toBe("LABD");
    expect(r.decision.rejected.map((x) => x.labId)).toEqual(["LAB01", "LAB02", "LAB09"]);
  });
});
