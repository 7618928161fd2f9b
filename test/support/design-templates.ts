/** Orders whose items name design templates, for the tests of design templates and their notices. */
import { PrintJobEntity } from "../../src/dispatch/print-job.entity";
import type { TestCenter } from "./center";

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total subOrders { items { imageId designTemplateId } } } errors { code message field } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { errors { code } } }`;

/** An order at the lab whose items name these templates, placed and confirmed as the customer: its job is queued there. */
export async function orderWithTemplates(
  c: TestCenter,
  customer: string,
  ids: Array<string | null>,
  labId = "LAB01",
): Promise<{ orderId: string; jobId: string }> {
  const items = ids.map((designTemplateId) => ({ imageId: "IMG-C01", designTemplateId }));
  const placed = await c.gql(PLACE, { input: { labId, fulfilment: { method: "PICKUP" }, subOrders: [{ serviceId: "SV01", sheets: 1, items }] } }, customer);
  expect(placed.data!.placeOrder.errors).toEqual([]);
  const order = placed.data!.placeOrder.order;
  const confirmed = await c.gql(CONFIRM, { id: order.id, total: order.total }, customer);
  expect(confirmed.data!.confirmOrder.errors).toEqual([]);
  const job = await c.ds.getRepository(PrintJobEntity).findOneByOrFail({ orderId: order.id });
  return { orderId: order.id, jobId: job.id };
}
