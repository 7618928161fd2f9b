/**
 * The design templates service's checks behind orders and failed jobs, asked of it directly
 * against a real center: an order's items naming templates the center does not know, and a job
 * failed with TEMPLATE_MISSING telling the center admin and the lab's shop and group admins, once
 * in a while. The order and its job are made over the API.
 */
import { orderWithTemplates as placeWithTemplates } from "../support/design-templates";
import { createHash, randomBytes } from "node:crypto";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { makePng } from "../support/images";
import { DesignTemplateEntity } from "../../src/design-templates/design-template.entity";
import { MISSING_REPORT_QUIET_MS } from "../../src/design-templates/design-templates.service";
import { inTransaction } from "../../src/core/unit-of-work";
import { requestContext } from "../../src/core/request-context";
import { NotificationEntity } from "../../src/notifications/notification.entity";

// By entity name: the print job's entity is reached without naming the folder that holds it.
const PRINT_JOB = "PrintJobEntity";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "customer"]));
});
afterAll(async () => {
  await c?.stop();
});

const service = () => c.server.services.designTemplates;
const sha = () => createHash("sha256").update(randomBytes(16)).digest("hex");

/** A template written straight to the database. */
async function seedTemplate(id: string): Promise<{ id: string; sha256: string }> {
  const sha256 = sha();
  await c.ds
    .getRepository(DesignTemplateEntity)
    .insert({ id, name: `Template ${id}`, preview: `data:image/png;base64,${makePng(8, 6).toString("base64")}`, sha256, size: 1000, updatedAt: new Date() });
  return { id, sha256 };
}

/** An order at LAB01 (or `labId`) whose items name these templates, placed and confirmed by the customer. */
const orderWithTemplates = (ids: Array<string | null>, labId?: string) => placeWithTemplates(c, t.customer, ids, labId);

describe("orders and print jobs", () => {
  let frame: { id: string; sha256: string };
  beforeAll(async () => {
    frame = await seedTemplate("FRAME-ORDER");
  });

  it("checkDesignTemplates names each item whose template the center does not know", async () => {
    const ctx = requestContext(c.server.app, { kind: "anonymous" }, "test", "local");
    const errors = await service().checkDesignTemplates(ctx, {
      subOrders: [
        { items: [{ designTemplateId: frame.id }, { designTemplateId: null }] },
        { items: [{}, { designTemplateId: "NOPE" }, { designTemplateId: "frame-order" }] },
      ],
    });
    expect(errors).toEqual([
      { code: "UNKNOWN_DESIGN_TEMPLATE", message: "No design template NOPE", field: ["input", "subOrders", "1", "items", "1", "designTemplateId"] },
      { code: "UNKNOWN_DESIGN_TEMPLATE", message: "No design template frame-order", field: ["input", "subOrders", "1", "items", "2", "designTemplateId"] },
    ]);
    expect(await service().checkDesignTemplates(ctx, { subOrders: [{ items: [{ designTemplateId: frame.id }] }] })).toEqual([]);
  });

  it("a job failed with TEMPLATE_MISSING tells the center admin and the lab's shop and group admins, once in a while", async () => {
    const { orderId, jobId } = await orderWithTemplates([frame.id]);
    const job = (await c.ds.getRepository(PRINT_JOB).findOneByOrFail({ id: jobId })) as { id: string; labId: string; orderId: string };
    const labCtx = requestContext(c.server.app, { kind: "lab", labId: "LAB01", shopId: "SP01", keyId: "k" }, "test", "local");
    const reason = `TEMPLATE_MISSING: the lab does not hold design template ${frame.id}`;
    const before = await c.ds.getRepository(NotificationEntity).count();

    const other = await inTransaction(labCtx, (tx) => service().reportMissing(labCtx, tx, job, "RENDER_FAILED: out of ink"));
    expect(other.value).toEqual([]);
    const told = await inTransaction(labCtx, (tx) => service().reportMissing(labCtx, tx, job, reason));
    expect([...told.value!].sort()).toEqual(["U000", "U001", "U010"]); // center, shop-1, group-a
    const notes = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "TEMPLATE_MISSING" }, order: { userId: "ASC" } });
    expect(notes.map((n) => n.userId)).toEqual(["U000", "U001", "U010"]);
    expect(notes[0].message).toBe(
      `Print job ${jobId} of order ${orderId} failed at lab LAB01: it lacks design template ${frame.id}; it will be retried once the lab has the file (lab's reason: ${reason})`,
    );
    const inbox = (await c.gql("{ notifications(unreadOnly: true) { kind message } }", {}, t.center)).data!.notifications;
    expect(inbox[0]).toEqual({ kind: "TEMPLATE_MISSING", message: notes[0].message });

    // The same lab failing on the same template again soon: not told again.
    const again = await inTransaction(labCtx, (tx) => service().reportMissing(labCtx, tx, job, reason));
    expect(again.value).toEqual([]);
    expect(await c.ds.getRepository(NotificationEntity).count()).toBe(before + 3);
    expect(MISSING_REPORT_QUIET_MS).toBe(15 * 60 * 1000);
  });
});
