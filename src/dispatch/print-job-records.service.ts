/**
 * What other domains may ask of the print jobs without moving one: which of a lab's jobs are still
 * open, which jobs of a lab exist (and for which order), and dropping a deleted lab's finished jobs.
 * Dispatch alone writes `print_jobs`; labs ask here instead of reading or deleting its rows. It has no
 * collaborators, so the labs' services can depend on it without a cycle through the job lifecycle.
 */
import { In, Not, type EntityManager } from "typeorm";
import { PrintJobEntity } from "./print-job.entity";
import { isFinished, PRINT_JOB_STATUSES } from "./print-job-state";

const FINISHED = PRINT_JOB_STATUSES.filter(isFinished);
/** Job ids per statement when looking up many. */
const LOOKUP_CHUNK = 500;

export class PrintJobRecordsService {
  /** The ids of a lab's print jobs that are not finished, oldest first. */
  async openJobIds(em: EntityManager, labId: string): Promise<string[]> {
    const jobs = await em.find(PrintJobEntity, {
      where: { labId, status: Not(In(FINISHED)) },
      select: { id: true },
      order: { createdAt: "ASC", id: "ASC" },
    });
    return jobs.map((j) => j.id);
  }

  /** Deletes a lab's finished jobs (the lab is being deleted; its unfinished ones were refused before). */
  async deleteFinished(em: EntityManager, labId: string): Promise<void> {
    await em.delete(PrintJobEntity, { labId, status: In(FINISHED) });
  }

  /** Job id -> order id, for those of `jobIds` that are the lab's own jobs (another lab's read as unknown). */
  async ordersOfLabJobs(em: EntityManager, labId: string, jobIds: readonly string[]): Promise<Map<string, string>> {
    const orderOf = new Map<string, string>();
    const ids = [...new Set(jobIds)];
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const jobs = await em.find(PrintJobEntity, { where: { labId, id: In(ids.slice(i, i + LOOKUP_CHUNK)) }, select: { id: true, orderId: true } });
      for (const j of jobs) orderOf.set(j.id, j.orderId);
    }
    return orderOf;
  }
}
