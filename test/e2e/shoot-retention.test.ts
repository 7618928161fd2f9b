/**
 * Retention of shoot images on the real center: the shop's admins are told once when a shoot enters
 * the notice window (however many sweeps run, at once or one after another); past its retention a
 * shoot's images go in batches, rows and stored files (originals and thumbnails), and the shoot is
 * retired; first prints of it then answer IMAGES_RETIRED. A shoot with an order that may still be
 * printed keeps its images until the order has ended. The sweeps are run through the center's own
 * service, as its timer runs them.
 */
import { In } from "typeorm";
import { ImageEntity } from "../../src/images/image.entity";
import { UserEntity } from "../../src/identity/user.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { addDays } from "../../src/pricing/business-date";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { ShootImageEntity } from "../../src/shoots/shoot-image.entity";
import type { RetentionReport } from "../../src/shoots/retention";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { imageFiles, makePng } from "../support/images";
import { newDevice, newShoot, uploadToShoot } from "../support/shoots";

const RETENTION_DAYS = 30;
const NOTICE_DAYS = 7;
const BATCH = 2;

const PLACE = `mutation($shootId: ID!, $subOrders: [SubOrderInput!]!) {
  placeFirstPrints(shootId: $shootId, subOrders: $subOrders) { order { id status } errors { code field } }
}`;

let c: TestCenter;
let t: Record<string, string>;
let device: { id: string; key: string };
/** Today's business date (the test centers run in UTC). */
const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  c = await startCenter({ env: { SHOOT_RETENTION_DAYS: String(RETENTION_DAYS), SHOOT_RETIREMENT_NOTICE_DAYS: String(NOTICE_DAYS) } });
  t = await loginPeople(c, ["center", "shop1"]);
  device = await newDevice(c, t.shop1, "SP01");
});
afterAll(async () => {
  await c?.stop();
});

let seed = 1000;
/** A shoot of SP01 with `n` images uploaded by the device; its last day set afterwards (createShoot refuses a past one). */
async function shootWith(n: number, availableUntil: string | null): Promise<{ id: string; name: string; images: string[] }> {
  const name = `Shoot ${seed}`;
  const id = (await newShoot(c, t.shop1, { shopId: "SP01", name })).shoot.id as string;
  const images: string[] = [];
  for (let i = 0; i < n; i++) {
    const up = await uploadToShoot(c, id, device.key, makePng(16, 16, seed++));
    expect(up.status).toBe(201);
    images.push(up.json.imageId);
  }
  await c.ds.getRepository(ShootEntity).update({ id }, { availableUntil });
  return { id, name, images };
}

const sweep = (): Promise<RetentionReport> => c.server.services.shootRetention.sweep(c.server.app, { batchSize: BATCH });

/** Who was told about which shoot (login, shoot id), sorted. */
async function notices(): Promise<Array<[string, string]>> {
  const rows = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "SHOOT_RETIREMENT_NOTICE" } });
  const logins = new Map((await c.ds.getRepository(UserEntity).find()).map((u) => [u.id, u.login]));
  return rows.map((n): [string, string] => [logins.get(n.userId)!, /shoot (SH-[0-9A-F]+)/.exec(n.message)![1]]).sort();
}

const storedFiles = (ids: string[]) => imageFiles(c.config.dataDir).filter((f) => ids.some((id) => f.includes(id)));

describe("shoot retention", () => {
  it("tells the shop's admins once, removes a due shoot's images in batches (rows and files) and retires it, also with two sweeps at once", async () => {
    // Due: its last kept day (availableUntil + 30) was yesterday. Five images: three batches of two.
    const due = await shootWith(5, addDays(today(), -(RETENTION_DAYS + 1)));
    // In the notice window: kept five more days.
    const soon = await shootWith(1, addDays(today(), -(RETENTION_DAYS - 5)));
    // Not yet in the window (kept ten more days), and one without a last day.
    const later = await shootWith(1, addDays(today(), -(RETENTION_DAYS - 10)));
    const open = await shootWith(1, null);
    expect(storedFiles(due.images)).toHaveLength(10); // originals and thumbnails

    const reports = await Promise.all([sweep(), sweep()]);
    const all = <K extends "noticed" | "retired">(k: K) => reports.flatMap((r) => r[k]).sort();
    expect(all("noticed")).toEqual([due.id, soon.id].sort());
    expect(all("retired")).toEqual([due.id]);
    expect(reports.reduce((n, r) => n + r.removedImages, 0)).toBe(5);
    expect(reports.reduce((n, r) => n + r.batches, 0)).toBe(3);
    expect(reports.every((r) => r.complete)).toBe(true);

    // The shop's admin and its group's admin, once per shoot.
    expect(await notices()).toEqual(
      [
        ["group-a", due.id],
        ["group-a", soon.id],
        ["shop-1", due.id],
        ["shop-1", soon.id],
      ].sort(),
    );
    const told = await c.ds.getRepository(NotificationEntity).find({ where: { kind: "SHOOT_RETIREMENT_NOTICE" } });
    expect(told.find((n) => n.message.includes(soon.id))!.message).toBe(
      `The 1 image of shoot ${soon.id} ("${soon.name}") are kept until ${addDays(today(), 5)} and removed after that day: ` +
        "first prints and reorders of them are refused from then on (IMAGES_RETIRED).",
    );

    // Everything of the due shoot is gone: its rows, its images' rows and their files.
    const shoots = c.ds.getRepository(ShootEntity);
    const retired = await shoots.findOneByOrFail({ id: due.id });
    expect([retired.retiredAt !== null, retired.retirementNoticedAt !== null, retired.imageCount]).toEqual([true, true, 0]);
    expect(await c.ds.getRepository(ShootImageEntity).countBy({ shootId: due.id })).toBe(0);
    expect(await c.ds.getRepository(ImageEntity).countBy({ id: In(due.images) })).toBe(0);
    expect(storedFiles(due.images)).toEqual([]);
    // The others keep theirs.
    for (const s of [soon, later, open]) {
      const row = await shoots.findOneByOrFail({ id: s.id });
      expect([row.id, row.retiredAt, row.imageCount]).toEqual([s.id, null, 1]);
      expect(storedFiles(s.images)).toHaveLength(2);
    }
    expect((await shoots.findOneByOrFail({ id: later.id })).retirementNoticedAt).toBeNull();

    // Another sweep tells no one again and removes nothing more.
    const again = await sweep();
    expect(again).toEqual({ noticed: [], retired: [], removedImages: 0, batches: 0, held: [], complete: true });
    expect(await notices()).toHaveLength(4);

    // First prints of a retired shoot, and of its images, answer IMAGES_RETIRED.
    const r = await c.gql(PLACE, { shootId: due.id, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: due.images[0] }] }] }, t.shop1);
    expect(r.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "IMAGES_RETIRED", field: ["shootId"] }] });
    const listed = await c.gql(`query($s: ID!) { shoot(id: $s) { imageCount } shootImages(shootId: $s) { imageId } }`, { s: due.id }, t.shop1);
    expect(listed.data).toEqual({ shoot: { imageCount: 0 }, shootImages: [] });
  });

  it("a shoot past its retention but not yet swept already refuses first prints", async () => {
    const due = await shootWith(1, addDays(today(), -(RETENTION_DAYS + 1)));
    const r = await c.gql(PLACE, { shootId: due.id, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: due.images[0] }] }] }, t.shop1);
    expect(r.data!.placeFirstPrints).toEqual({ order: null, errors: [{ code: "IMAGES_RETIRED", field: ["shootId"] }] });
    await sweep();
    expect((await c.ds.getRepository(ShootEntity).findOneByOrFail({ id: due.id })).retiredAt).not.toBeNull();
  });

  it("keeps the images of a shoot whose first prints are not printed yet, and removes them once the order has ended", async () => {
    const s = await shootWith(3, addDays(today(), 1));
    const placed = await c.gql(PLACE, { shootId: s.id, subOrders: [{ serviceId: "SV01", sheets: 1, items: [{ imageId: s.images[0] }] }] }, t.shop1);
    expect(placed.data!.placeFirstPrints.errors).toEqual([]);
    const orderId = placed.data!.placeFirstPrints.order.id as string;
    // Its retention ends while the order waits for the lab.
    await c.ds.getRepository(ShootEntity).update({ id: s.id }, { availableUntil: addDays(today(), -(RETENTION_DAYS + 1)) });

    const held = await sweep();
    expect([held.noticed, held.held, held.retired, held.removedImages]).toEqual([[s.id], [s.id], [], 0]);
    expect(storedFiles(s.images)).toHaveLength(6);
    expect((await c.ds.getRepository(ShootEntity).findOneByOrFail({ id: s.id })).retiredAt).toBeNull();

    const cancelled = await c.gql(`mutation($id: ID!) { cancelOrder(orderId: $id) { order { status } errors { code } } }`, { id: orderId }, t.shop1);
    expect(cancelled.data!.cancelOrder).toEqual({ order: { status: "CANCELLED" }, errors: [] });
    const done = await sweep();
    expect([done.noticed, done.held, done.retired, done.removedImages, done.batches]).toEqual([[], [], [s.id], 3, 2]);
    expect(storedFiles(s.images)).toEqual([]);
  });
});
