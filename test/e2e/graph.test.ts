/**
 * The schema as a graph: object fields beside the ids (an order's shop and lab, a shop's group, an
 * item's image and typed layout, a price row's product and scope), each scoped as its target is
 * readable by the caller, and read in batches: a page of orders costs the same statements whatever
 * its size.
 */
import { leastStatements, startCenter, type TestCenter, loginPeople } from "../support/center";
import { uploadPng } from "../support/images";
import { ImageUrlSigner } from "../../src/images/image-urls";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};
let photo: string;
let bobPhoto: string;
/** What these tests read of an order item and an order's page. */
type Item = { imageId: string; image: { id: string } | null };
type Page = { orders: { edges: Array<{ node: { subOrders: Array<{ items: Item[] }> } }> } };

const placed: Array<{ id: string; shopId: string }> = [];
let bobOrder: string;

const PLACE = `mutation($input: OrderInput!) { placeOrder(input: $input) { order { id total } errors { code message } } }`;
const CONFIRM = `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { order { id labId } errors { code message } } }`;
const GRAPH = `shopId labId shop { id name shopGroupId group { id name } } lab { id shopId }
  subOrders { items { imageId image { id contentType bytes width height sha256 url originalUrl thumbnailUrl urlExpiresAt } placement { page x y width height rotation } layout } }`;
const ORDERS = `query($first: Int) { orders(first: $first) { edges { node { id ${GRAPH} } } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { id ${GRAPH} } }`;

const order = (shopId: string, images: string[]) => ({
  shopId,
  fulfilment: { method: "PICKUP" },
  subOrders: [{ serviceId: "SV01", sheets: 2, items: images.map((imageId, i) => ({ imageId, layout: { x: 10 + i, y: 20, width: 100, height: 150 } })) }],
});

async function placeAndConfirm(input: object, token: string): Promise<string> {
  const p = await c.gql(PLACE, { input }, token);
  expect(p.data!.placeOrder.errors).toEqual([]);
  const { id, total } = p.data!.placeOrder.order;
  const r = await c.gql(CONFIRM, { id, total }, token);
  expect(r.data!.confirmOrder.errors).toEqual([]);
  return id;
}

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "customer", "groupA", "groupB", "shop1", "shop2"]));
  const made = await c.gql(
    `mutation { createUser(input: { id: "U101", login: "bob", name: "Bob", password: "bob-password", role: GENERAL_USER }) { errors { code } } }`,
    {},
    t.center,
  );
  expect(made.data!.createUser.errors).toEqual([]);
  t.bob = await c.login("bob", "bob-password");
  photo = (await uploadPng(c.url, t.customer, 1)).id;
  bobPhoto = (await uploadPng(c.url, t.bob, 2)).id;
  // Twelve orders of the customer, over two shops of two groups, each with its own image and a stock one.
  for (let i = 0; i < 12; i++) {
    const shopId = i % 2 === 0 ? "SP01" : "SP03";
    const own = i === 0 ? photo : (await uploadPng(c.url, t.customer, 10 + i)).id;
    placed.push({ id: await placeAndConfirm(order(shopId, [own, "IMG-C01"]), t.customer), shopId });
  }
  bobOrder = await placeAndConfirm(order("SP01", [bobPhoto]), t.bob);
});
afterAll(async () => {
  await c?.stop();
});

describe("object fields beside the ids", () => {
  it("gives the customer their order's shop and group, its items' images with a working signed link and typed layouts, and no lab", async () => {
    const r = await c.gql(ORDER, { id: placed[0].id }, t.customer);
    expect(r.errors).toBeUndefined();
    const o = r.data!.order;
    expect(o.shop).toEqual({ id: "SP01", name: "Printing shop 1", shopGroupId: "SG01", group: { id: "SG01", name: "Shop group A" } });
    expect(o.labId).toBe("LAB01");
    expect(o.lab).toBeNull(); // customers see no labs
    const [mine, stock] = o.subOrders[0].items;
    expect(mine.image).toMatchObject({ id: photo, contentType: "image/png", width: expect.any(Number), height: expect.any(Number) });
    expect(mine.image.url).toMatch(new RegExp(`^/images/${photo}/original\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(mine.image.urlExpiresAt)).toBeGreaterThan(Date.now());
    const download = await fetch(c.url + mine.image.url);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(mine.image.bytes);
    expect(mine.placement).toEqual({ page: 1, x: 10, y: 20, width: 100, height: 150, rotation: 0 });
    expect(JSON.parse(mine.layout)).toEqual({ page: 1, x: 10, y: 20, width: 100, height: 150, rotation: 0 });
    // A charged image the center knows only by id has no image row: null, its id stays.
    expect(stock).toMatchObject({ imageId: "IMG-C01", image: null, placement: { x: 11 } });
  });

  it("shows admins in scope the shop, the lab and the images; reads an order's image through no other customer", async () => {
    for (const who of ["center", "groupA", "shop1"]) {
      const o = (await c.gql(ORDER, { id: bobOrder }, t[who])).data!.order;
      expect([who, o.shop.id, o.shop.group.id, o.lab]).toEqual([who, "SP01", "SG01", { id: "LAB01", shopId: "SP01" }]);
      expect([who, o.subOrders[0].items[0].image.id]).toEqual([who, bobPhoto]);
    }
    // Outside their scope the order itself is not there, so neither is its image.
    for (const who of ["customer", "groupB", "shop2"]) {
      expect([who, (await c.gql(ORDER, { id: bobOrder }, t[who])).data!.order]).toEqual([who, null]);
    }
    const page = (await c.gql<Page>(ORDERS, { first: 50 }, t.customer)).data!.orders.edges;
    const images = page.flatMap((e) => e.node.subOrders.flatMap((s) => s.items.map((i) => i.image?.id ?? null)));
    expect(images).not.toContain(bobPhoto);
    expect(images.filter((id) => id !== null)).toHaveLength(12);
  });

  it("shows a lab its order's shop and itself, and no customer's image (a lab downloads through its job)", async () => {
    const o = (await c.gql(ORDER, { id: placed[0].id }, LAB01_KEY)).data!.order;
    expect(o.shop).toMatchObject({ id: "SP01", group: { id: "SG01" } });
    expect(o.lab).toEqual({ id: "LAB01", shopId: "SP01" });
    expect(o.subOrders[0].items.map((i: Item) => [i.imageId, i.image])).toEqual([
      [photo, null],
      ["IMG-C01", null],
    ]);
  });

  it("gives a price row its product, and its shop or group as the caller may see them", async () => {
    const rows = (
      await c.gql(`{ priceRows(productId: "P03") { id productId product { id name } shopGroupId shopGroup { id } shopId shop { id } } }`, {}, t.center)
    ).data!.priceRows;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.product).toEqual({ id: "P03", name: "A4 sheet charge" });
      expect(row.shopGroup?.id ?? null).toBe(row.shopGroupId);
      expect(row.shop?.id ?? null).toBe(row.shopId);
    }
  });
});

describe("signed image links an <img> can use", () => {
  it("serves the thumbnail and the original without a credential, and refuses a tampered, swapped or expired signature", async () => {
    const r = await c.gql(ORDER, { id: placed[0].id }, t.customer);
    const image = r.data!.order.subOrders[0].items[0].image;
    expect(image.originalUrl).toBe(image.url);
    expect(image.thumbnailUrl).toMatch(new RegExp(`^/images/${photo}/thumbnail\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    expect(new URL(image.thumbnailUrl, c.url).searchParams.get("exp")).toBe(String(Date.parse(image.urlExpiresAt) / 1000));
    const thumb = await fetch(c.url + image.thumbnailUrl);
    expect([thumb.status, thumb.headers.get("content-type")]).toEqual([200, "image/jpeg"]);
    const jpeg = Buffer.from(await thumb.arrayBuffer());
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    // The same bytes as the thumbnail its owner reads with a bearer header.
    const withHeader = await fetch(`${c.url}/images/${photo}/thumbnail`, { headers: { authorization: `Bearer ${t.customer}` } });
    expect(Buffer.from(await withHeader.arrayBuffer())).toEqual(jpeg);
    const original = await fetch(c.url + image.originalUrl);
    expect([original.status, Number(original.headers.get("content-length"))]).toEqual([200, image.bytes]);

    const u = new URL(image.thumbnailUrl, c.url);
    const exp = u.searchParams.get("exp")!;
    const sig = u.searchParams.get("sig")!;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    const signer = new ImageUrlSigner(c.config.jwtSecret);
    const originalSig = new URL(image.originalUrl, c.url).searchParams.get("sig");
    const refused: Array<[string, number, string]> = [
      [`/images/${photo}/thumbnail?exp=${exp}&sig=${flipped}`, 403, "INVALID_SIGNATURE"],
      [`/images/${photo}/thumbnail?exp=${Number(exp) + 60}&sig=${sig}`, 403, "INVALID_SIGNATURE"],
      [`/images/${bobPhoto}/thumbnail?exp=${exp}&sig=${sig}`, 403, "INVALID_SIGNATURE"],
      // A thumbnail's signature opens no original, and an original's no thumbnail.
      [`/images/${photo}/original?exp=${exp}&sig=${sig}`, 403, "INVALID_SIGNATURE"],
      [`/images/${photo}/thumbnail?exp=${exp}&sig=${originalSig}`, 403, "INVALID_SIGNATURE"],
      [signer.signedThumbnailUrl(photo, 60, Date.now() - 120_000), 403, "SIGNATURE_EXPIRED"],
      // Neither a signature nor a credential: the route asks for one.
      [`/images/${photo}/thumbnail`, 401, "UNAUTHENTICATED"],
    ];
    for (const [path, status, code] of refused) {
      const res = await fetch(c.url + path);
      const body = (await res.json()) as { error: { code: string } };
      expect([path, res.status, body.error.code]).toEqual([path, status, code]);
    }
  });
});

describe("batches, not one read per row", () => {
  // Group A and shop 1 see the seven orders of shop 1; the others the customer's twelve.
  it.each([
    ["center", 12],
    ["groupA", 7],
    ["shop1", 7],
    ["customer", 12],
  ] as const)("reads a page of orders with shop, group, lab and images in the same statements for 3 as for more (%s, %i)", async (who, more) => {
    const cost = async (first: number) =>
      (
        await leastStatements(2, async () => {
          const r = await c.gql(ORDERS, { first }, t[who]);
          expect(r.errors).toBeUndefined();
          expect(r.data!.orders.edges.length).toBe(first);
          return r;
        })
      ).count;
    const small = await cost(3);
    const large = await cost(more);
    expect(large).toBe(small);
    // The page, its sub-orders, its items, the shops, the groups, the labs (two), the images, the
    // admin's image scope, and the caller's own rows (their user, their shop): a dozen at most.
    expect(large).toBeLessThanOrEqual(12);
  });
});

describe("scalar errors", () => {
  it("name the scalar the client sees, in a literal and in a variable", async () => {
    const literal = await c.gql(`{ shopOffer(shopId: "SP01", date: "2026-02-30") { shopId } }`, {}, t.customer);
    expect(literal.errors![0].message).toContain("Value is not a valid Date: 2026-02-30");
    const variable = await c.gql(`query($d: Date) { shopOffer(shopId: "SP01", date: $d) { shopId } }`, { d: "2026-13-01" }, t.customer);
    expect(variable.errors![0].message).toContain("Value is not a valid Date: 2026-13-01");
    const money = await c.gql(
      `mutation($id: ID!, $total: Money!) { confirmOrder(orderId: $id, acceptedTotal: $total) { errors { code } } }`,
      { id: placed[0].id, total: 1.5 },
      t.customer,
    );
    expect(money.errors![0].message).toContain("Money cannot represent non-integer value: 1.5");
    for (const r of [literal, variable, money]) expect(r.errors![0].message).not.toMatch(/LocalDate|SafeInt/);
  });
});
