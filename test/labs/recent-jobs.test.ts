import { RecentJobs } from "../../src/dispatch/print-job-lifecycle.service";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";

const job = (id: string, attempts = 0): PrintJobEntity => Object.assign(new PrintJobEntity(), { id, attempts });

describe("RecentJobs (what the lifecycle remembers of jobs it announced or leased)", () => {
  it("hands a job out once", () => {
    const jobs = new RecentJobs(10);
    const a = job("A");
    jobs.remember(a);
    expect(jobs.take("A")).toBe(a);
    expect(jobs.take("A")).toBeUndefined();
    expect(jobs.take("never")).toBeUndefined();
    expect(jobs.size).toBe(0);
  });

  it("keeps at most max jobs, dropping the oldest first; remembering a job again makes it the newest", () => {
    const jobs = new RecentJobs(3);
    for (const id of ["A", "B", "C"]) jobs.remember(job(id));
    jobs.remember(job("A", 1)); // again, newer
    jobs.remember(job("D")); // pushes out B, now the oldest
    expect(jobs.size).toBe(3);
    expect(jobs.take("B")).toBeUndefined();
    expect(jobs.take("A")?.attempts).toBe(1);
    jobs.remember(job("E"));
    jobs.remember(job("F")); // pushes out C
    expect(["C", "D", "E", "F"].map((id) => jobs.take(id)?.id)).toEqual([undefined, "D", "E", "F"]);
  });

  it("forgets a job on demand", () => {
    const jobs = new RecentJobs(3);
    jobs.remember(job("A"));
    jobs.forget("A");
    jobs.forget("unknown");
    expect(jobs.take("A")).toBeUndefined();
  });
});
