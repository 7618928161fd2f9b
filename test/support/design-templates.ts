/** Orders whose items name design templates, for the tests of design templates and their notices. */
import { In } from "typeorm";
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "../../src/design-templates/design-template.entity";
import type { TestCenter } from "./center";

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total subOrders { items { imageId designTemplateId } } } errors { code message field } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { errors { code } } }`;

/**
 * An order at the lab whose items name these templates, placed and confirmed as the customer: its job is queued there.
 * A lab is given only orders whose templates it holds: the lab is made to hold the ones it lacks
 * (at the center's current file) for the placement, and forgets them again once the job is queued,
 * so that the tests of a job whose lab lacks a template start from that state.
 */
export async function orderWithTemplates(
  c: TestCenter,
  customer: string,
  ids: Array<string | null>,
  labId = "LAB01",
): Promise<{ orderId: string; jobId: string }> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const lent = await lendTemplates(c, labId, wanted);
  try {
    const items = ids.map((designTemplateId) => ({ imageId: "IMG-C01", designTemplateId }));
    const placed = await c.gql(PLACE, { input: { labId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items }] } }, customer);
    expect(placed.data!.placeOrder.errors).toEqual([]);
    const order = placed.data!.placeOrder.order;
    const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, customer);
    expect(confirmed.data!.confirmOrder.errors).toEqual([]);
    const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });
    return { orderId: order.id, jobId: job.id };
  } finally {
    if (lent.length > 0) await c.ds.getRepository(LabDesignTemplateEntity).delete({ labId, designTemplateId: In(lent) });
    c.server.services.assignment.forget();
  }
}

/** Makes the lab hold the templates among `ids` the center knows and it lacks; answers the ids it was lent. */
async function lendTemplates(c: TestCenter, labId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = await c.ds.getRepository(DesignTemplateEntity).findBy({ id: In(ids) });
  const held = new Set((await c.ds.getRepository(LabDesignTemplateEntity).findBy({ labId, designTemplateId: In(ids) })).map((h) => h.designTemplateId));
  const lent = known.filter((t) => !held.has(t.id));
  if (lent.length > 0) {
    await c.ds.getRepository(LabDesignTemplateEntity).insert(lent.map((t) => ({ labId, designTemplateId: t.id, sha256: t.sha256, reportedAt: new Date() })));
  }
  c.server.services.assignment.forget();
  return lent.map((t) => t.id);
}
