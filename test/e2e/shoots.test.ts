/**
 * Shoots and capture devices (seed 002) end to end on the real center: admins make shoots and
 * devices, a device uploads over HTTP into its shop's shoot (same bytes once, subjects kept), and
 * every refusal (no key, a revoked device, another shop's shoot, a closed shoot, bytes that are not
 * an image) answers its status and code with nothing stored.
 */
import { createHash } from "node:crypto";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { ShootImageEntity } from "../../src/shoots/shoot-image.entity";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { imageStore, makePng } from "../support/images";
import { CREATE_DEVICE, newDevice as newDeviceVia, newShoot as newShootVia, REVOKE_DEVICE, uploadToShoot } from "../support/shoots";
import { CaptureDeviceEntity } from "../../src/shoots/capture-device.entity";
import { MAX_ACTIVE_DEVICES_PER_SHOP } from "../../src/shoots/capture-devices.service";

let c: TestCenter;
let t: Record<string, string>;

beforeAll(async () => {
  c = await startCenter();
  t = await loginPeople(c, ["center", "groupA", "shop1", "shop2", "customer"]);
});
afterAll(async () => {
  await c?.stop();
});

const CREATE_SHOOT = `mutation($input: ShootInput!) { createShoot(input: $input) { shoot { id } errors { code field } } }`;
const newShoot = (bearer: string, input: Record<string, unknown>) => newShootVia(c, bearer, input);
const newDevice = (bearer: string, shopId: string) => newDeviceVia(c, bearer, shopId);
const upload = (shootId: string, key: string | null, bytes: Buffer, headers: Record<string, string> = {}) => uploadToShoot(c, shootId, key, bytes, headers);

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("shoots", () => {
  test("a shop admin makes a shoot; the first-print lab defaults to the shop's lab", async () => {
    const p = await newShoot(t.shop1, { shopId: "SP01", name: "Sports day" });
    expect(p.errors).toEqual([]);
    expect(p.shoot).toMatchObject({ shopId: "SP01", name: "Sports day", firstPrintLabId: "LAB01", availableUntil: null, imageCount: 0 });
    const read = await c.gql(`query($id: ID!) { shoot(id: $id) { id name imageCount } }`, { id: p.shoot.id }, t.shop1);
    expect(read.data!.shoot).toEqual({ id: p.shoot.id, name: "Sports day", imageCount: 0 });
  });

  test("refusals name the field and write nothing", async () => {
    const before = await c.ds.getRepository(ShootEntity).count();
    const other = await newShoot(t.shop1, { shopId: "SP01", name: "x", firstPrintLabId: "LAB02" });
    expect(other).toEqual({ shoot: null, errors: [{ code: "NOT_SHOP_LAB", field: ["input", "firstPrintLabId"] }] });
    const past = await newShoot(t.shop1, { shopId: "SP01", name: "x", availableUntil: "2000-01-01" });
    expect(past.errors).toEqual([{ code: "INVALID_DATE", field: ["input", "availableUntil"] }]);
    const blank = await newShoot(t.shop1, { shopId: "SP01", name: "  " });
    expect(blank.errors).toEqual([{ code: "INVALID_NAME", field: ["input", "name"] }]);
    const foreign = await c.gql(CREATE_SHOOT, { input: { shopId: "SP02", name: "x" } }, t.shop1);
    expect(foreign.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const customer = await c.gql(CREATE_SHOOT, { input: { shopId: "SP01", name: "x" } }, t.customer);
    expect(customer.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    expect(await c.ds.getRepository(ShootEntity).count()).toBe(before);
  });
});

describe("HTTP upload by a capture device", () => {
  let shootId: string;
  let device: { id: string; key: string };

  beforeAll(async () => {
    shootId = (await newShoot(t.shop1, { shopId: "SP01", name: "Marathon" })).shoot.id;
    device = await newDevice(t.shop1, "SP01");
  });

  test("a device's key is shown once and has the documented form", () => {
    expect(device.key).toMatch(new RegExp(`^pmc_${device.id}_[A-Za-z0-9_-]{43}$`));
  });

  test("stores an image with its subject; the same bytes again are the same image", async () => {
    const png = makePng(40, 30, 11);
    const first = await upload(shootId, device.key, png, { "x-subject": " 1234 " });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({ imageId: expect.stringMatching(/^IMG-/), sha256: sha(png), width: 40, height: 30, subject: "1234" });
    const again = await upload(shootId, device.key, png, { "x-subject": "1234" });
    expect(again.status).toBe(200);
    expect(again.json.imageId).toBe(first.json.imageId);
    const rows = await c.ds.getRepository(ShootImageEntity).find({ where: { shootId } });
    expect(rows.map((r) => [r.imageId, r.subject, r.deviceId])).toEqual([[first.json.imageId, "1234", device.id]]);
    const list = await c.gql(
      `query($s: ID!) { shoot(id: $s) { imageCount } shootImages(shootId: $s) { imageId subject width height sha256 } }`,
      { s: shootId },
      t.groupA,
    );
    expect(list.data).toEqual({
      shoot: { imageCount: 1 },
      shootImages: [{ imageId: first.json.imageId, subject: "1234", width: 40, height: 30, sha256: sha(png) }],
    });
  });

  test("the same bytes sent at once by several devices are stored once", async () => {
    const png = makePng(20, 20, 77);
    const answers = await Promise.all(Array.from({ length: 4 }, () => upload(shootId, device.key, png)));
    const ids = new Set(answers.map((a) => a.json.imageId));
    expect(ids.size).toBe(1);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(await c.ds.getRepository(ShootImageEntity).count({ where: { shootId, sha256: sha(png) } })).toBe(1);
  });

  test("refusals: no key, a bad key, another shop's shoot, a non-image, an unknown shoot; nothing stored", async () => {
    const before = await imageStore(c);
    const png = makePng(10, 10, 5);
    expect(await upload(shootId, null, png)).toMatchObject({ status: 401, json: { error: { code: "UNAUTHENTICATED" } } });
    expect(await upload(shootId, device.key.slice(0, -2) + "xx", png)).toMatchObject({ status: 401, json: { error: { code: "UNAUTHENTICATED" } } });
    const other = await newDevice(t.shop2, "SP02");
    expect(await upload(shootId, other.key, png)).toMatchObject({ status: 403, json: { error: { code: "FORBIDDEN" } } });
    expect(await upload(shootId, device.key, Buffer.from("not an image at all"))).toMatchObject({
      status: 415,
      json: { error: { code: "UNSUPPORTED_MEDIA_TYPE" } },
    });
    expect(await upload("SH-NOPE", device.key, png)).toMatchObject({ status: 404, json: { error: { code: "NOT_FOUND" } } });
    expect(await upload(shootId, device.key, png, { "x-subject": "a/b" })).toMatchObject({ status: 400, json: { error: { code: "INVALID_SUBJECT" } } });
    expect(await imageStore(c)).toEqual(before);
  });

  test("a closed shoot takes no more images", async () => {
    const closed = (await newShoot(t.shop1, { shopId: "SP01", name: "Yesterday's fair" })).shoot.id;
    // As if its last day had passed.
    await c.ds.getRepository(ShootEntity).update({ id: closed }, { availableUntil: "2000-01-01" });
    const before = await imageStore(c);
    expect(await upload(closed, device.key, makePng(9, 9, 1))).toMatchObject({ status: 403, json: { error: { code: "SHOOT_CLOSED" } } });
    expect(await imageStore(c)).toEqual(before);
  });

  test("a revoked device is refused at once", async () => {
    const d = await newDevice(t.shop1, "SP01");
    expect((await upload(shootId, d.key, makePng(8, 8, 2))).status).toBe(201);
    const r = await c.gql(`mutation($id: ID!) { revokeCaptureDevice(id: $id) { device { id revoked } errors { code } } }`, { id: d.id }, t.shop1);
    expect(r.data!.revokeCaptureDevice).toEqual({ device: { id: d.id, revoked: true }, errors: [] });
    const before = await imageStore(c);
    expect(await upload(shootId, d.key, makePng(8, 8, 3))).toMatchObject({ status: 401, json: { error: { code: "UNAUTHENTICATED" } } });
    expect(await imageStore(c)).toEqual(before);
  });
});

describe("capture devices per shop", () => {
  test(`a shop has at most ${MAX_ACTIVE_DEVICES_PER_SHOP} devices in use; revoking one makes room`, async () => {
    const made: string[] = [];
    for (let i = 0; i < MAX_ACTIVE_DEVICES_PER_SHOP; i++) made.push((await newDevice(t.center, "SP04")).id);
    const over = await c.gql(CREATE_DEVICE, { shopId: "SP04", name: "One too many" }, t.center);
    expect(over.data!.createCaptureDevice).toEqual({ device: null, key: null, errors: [{ code: "TOO_MANY_DEVICES", field: ["shopId"] }] });
    expect(await c.ds.getRepository(CaptureDeviceEntity).count({ where: { shopId: "SP04" } })).toBe(MAX_ACTIVE_DEVICES_PER_SHOP);
    const r = await c.gql(REVOKE_DEVICE, { id: made[0] }, t.center);
    expect(r.data!.revokeCaptureDevice.errors).toEqual([]);
    const again = await c.gql(CREATE_DEVICE, { shopId: "SP04", name: "Replacement" }, t.center);
    expect(again.data!.createCaptureDevice.errors).toEqual([]);
    const listed = await c.gql<{ captureDevices: Array<{ id: string; revoked: boolean }> }>(
      `query { captureDevices(shopId: "SP04") { id revoked } }`,
      {},
      t.center,
    );
    expect(listed.data!.captureDevices).toHaveLength(MAX_ACTIVE_DEVICES_PER_SHOP + 1);
    expect(listed.data!.captureDevices.filter((d) => d.revoked).map((d) => d.id)).toEqual([made[0]]);
  });
});
