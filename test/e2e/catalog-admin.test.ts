/**
 * Catalog management end to end (seed 003, Fig. 19-21): register, correct and delete shop groups,
 * shops and a shop's group, services, products, templates and their products, and charged images,
 * over HTTP against the real center. Every change is re-read from the database and through the read
 * queries; every fault is checked for its code, its field and that nothing changed; every mutation
 * has its authorization table; change notices reach the admins concerned, one of them live.
 */
import { getMetadataStorage } from "type-graphql";
import { nextEvent, loginPeople, startCenter, type GqlResult, type TestCenter } from "../support/center";
import { authzMatrix, expectCleanPayload, graphqlAttempt, type Attempt, type MatrixCaller } from "../support/authz-matrix";
import { CatalogAdminResolver } from "../../src/catalog/catalog-admin.resolver";
import { ProductEntity } from "../../src/catalog/product.entity";
import { ServiceEntity } from "../../src/catalog/service.entity";
import { ShopGroupEntity } from "../../src/catalog/shop-group.entity";
import { ShopEntity } from "../../src/catalog/shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "../../src/catalog/template.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { ChargedImageEntity } from "../../src/pricing/charged-image.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "../../src/pricing/shop-price-allowance.entity";
import { appSchema } from "../../src/graphql/schema";

const LAB01_KEY = "lab01-key-0123456789abcdef";

let c: TestCenter;
const t: Record<string, string> = {};

beforeAll(async () => {
  c = await startCenter();
  Object.assign(t, await loginPeople(c, ["center", "groupA", "groupB", "shop1", "shop2", "shop3", "customer"]));
});
afterAll(async () => {
  await c?.stop();
});

// --- Operations -------------------------------------------------------------------------------

const ERR = "errors { code field message }";
const GROUP = "shopGroup { id name }";
const SHOP = "shop { id name shopGroupId location { lat lng } postalCode region }";
const TEMPLATE = "template { id name serviceId shopGroupId shopId productIds }";
const IMAGE = "chargedImage { imageId feePerSheet rightsHolder }";

const OPS = {
  createShopGroup: `mutation($input: CreateShopGroupInput!) { createShopGroup(input: $input) { ${GROUP} ${ERR} } }`,
  updateShopGroup: `mutation($id: ID!, $input: UpdateShopGroupInput!) { updateShopGroup(id: $id, input: $input) { ${GROUP} ${ERR} } }`,
  deleteShopGroup: `mutation($id: ID!) { deleteShopGroup(id: $id) { ${GROUP} ${ERR} } }`,
  createShop: `mutation($input: CreateShopInput!) { createShop(input: $input) { ${SHOP} ${ERR} } }`,
  updateShop: `mutation($id: ID!, $input: UpdateShopInput!) { updateShop(id: $id, input: $input) { ${SHOP} ${ERR} } }`,
  moveShopToGroup: `mutation($shopId: ID!, $shopGroupId: ID!) { moveShopToGroup(shopId: $shopId, shopGroupId: $shopGroupId) { ${SHOP} ${ERR} } }`,
  deleteShop: `mutation($id: ID!) { deleteShop(id: $id) { ${SHOP} ${ERR} } }`,
  createService: `mutation($input: CreateServiceInput!) { createService(input: $input) { service { id name } ${ERR} } }`,
  updateService: `mutation($id: ID!, $input: UpdateServiceInput!) { updateService(id: $id, input: $input) { service { id name } ${ERR} } }`,
  deleteService: `mutation($id: ID!) { deleteService(id: $id) { service { id name } ${ERR} } }`,
  createProduct: `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id name } ${ERR} } }`,
  updateProduct: `mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { product { id name } ${ERR} } }`,
  deleteProduct: `mutation($id: ID!) { deleteProduct(id: $id) { product { id name } ${ERR} } }`,
  createTemplate: `mutation($input: CreateTemplateInput!) { createTemplate(input: $input) { ${TEMPLATE} ${ERR} } }`,
  updateTemplate: `mutation($id: ID!, $input: UpdateTemplateInput!) { updateTemplate(id: $id, input: $input) { ${TEMPLATE} ${ERR} } }`,
  setTemplateProducts: `mutation($templateId: ID!, $productIds: [ID!]!) { setTemplateProducts(templateId: $templateId, productIds: $productIds) { ${TEMPLATE} ${ERR} } }`,
  deleteTemplate: `mutation($id: ID!) { deleteTemplate(id: $id) { ${TEMPLATE} ${ERR} } }`,
  setTemplateExcludedShops: `mutation($templateId: ID!, $shopIds: [ID!]!) { setTemplateExcludedShops(templateId: $templateId, shopIds: $shopIds) { templateId excludedShopIds ${ERR} } }`,
  createChargedImage: `mutation($input: CreateChargedImageInput!) { createChargedImage(input: $input) { ${IMAGE} ${ERR} } }`,
  updateChargedImage: `mutation($imageId: ID!, $input: UpdateChargedImageInput!) { updateChargedImage(imageId: $imageId, input: $input) { ${IMAGE} ${ERR} } }`,
  deleteChargedImage: `mutation($imageId: ID!) { deleteChargedImage(imageId: $imageId) { ${IMAGE} ${ERR} } }`,
} as const;
type OpName = keyof typeof OPS;

/** Which payload field holds the entity, per operation. */
const ENTITY: Record<OpName, string> = {
  createShopGroup: "shopGroup",
  updateShopGroup: "shopGroup",
  deleteShopGroup: "shopGroup",
  createShop: "shop",
  updateShop: "shop",
  moveShopToGroup: "shop",
  deleteShop: "shop",
  createService: "service",
  updateService: "service",
  deleteService: "service",
  createProduct: "product",
  updateProduct: "product",
  deleteProduct: "product",
  createTemplate: "template",
  updateTemplate: "template",
  setTemplateProducts: "template",
  deleteTemplate: "template",
  setTemplateExcludedShops: "templateId",
  createChargedImage: "chargedImage",
  updateChargedImage: "chargedImage",
  deleteChargedImage: "chargedImage",
};

interface Payload {
  errors: Array<{ code: string; field: string[] | null; message: string }>;
  [entity: string]: any;
}

async function run(op: OpName, variables: Record<string, unknown>, token: string | null) {
  return c.gql(OPS[op], variables, token);
}

/** Runs an operation that must answer a payload (no GraphQL error) and returns it. */
async function ok(op: OpName, variables: Record<string, unknown>, token: string): Promise<Payload> {
  const r = await run(op, variables, token);
  expect(r.errors).toBeUndefined();
  return r.data![op] as Payload;
}

const read = {
  shopGroups: async (token = t.center) => (await c.gql("{ shopGroups { id name } }", {}, token)).data!.shopGroups as Array<{ id: string; name: string }>,
  shops: async (token = t.center, shopGroupId: string | null = null) =>
    (await c.gql("query($g: ID) { shops(shopGroupId: $g) { id name shopGroupId location { lat lng } postalCode region } }", { g: shopGroupId }, token)).data!
      .shops as any[],
  shop: async (id: string, token = t.center) =>
    (await c.gql("query($id: ID!) { shop(id: $id) { id name shopGroupId location { lat lng } postalCode region } }", { id }, token)).data!.shop,
  services: async (token = t.center) => (await c.gql("{ services { id name } }", {}, token)).data!.services as Array<{ id: string; name: string }>,
  products: async (token = t.center) => (await c.gql("{ products { id name } }", {}, token)).data!.products as Array<{ id: string; name: string }>,
  templates: async (token = t.center, filter: { g?: string; s?: string } = {}) =>
    (await c.gql("query($g: ID, $s: ID) { templates(shopGroupId: $g, shopId: $s) { id name serviceId shopGroupId shopId productIds } }", filter, token)).data!
      .templates as any[],
  chargedImages: async (token = t.center) => (await c.gql("{ chargedImages { imageId feePerSheet rightsHolder } }", {}, token)).data!.chargedImages as any[],
};

const repo = {
  groups: () => c.ds.getRepository(ShopGroupEntity),
  shops: () => c.ds.getRepository(ShopEntity),
  services: () => c.ds.getRepository(ServiceEntity),
  products: () => c.ds.getRepository(ProductEntity),
  templates: () => c.ds.getRepository(TemplateEntity),
  links: () => c.ds.getRepository(TemplateProductEntity),
  excluded: () => c.ds.getRepository(TemplateExcludedShopEntity),
  images: () => c.ds.getRepository(ChargedImageEntity),
  priceRows: () => c.ds.getRepository(PriceRowEntity),
  allowances: () => c.ds.getRepository(ShopPriceAllowanceEntity),
};

/** Everything catalog management may write, to prove that a refused operation wrote nothing. */
async function snapshot() {
  return {
    groups: await repo.groups().find({ order: { id: "ASC" } }),
    shops: await repo.shops().find({ order: { id: "ASC" } }),
    services: await repo.services().find({ order: { id: "ASC" } }),
    products: await repo.products().find({ order: { id: "ASC" } }),
    excluded: await repo.excluded().find({ order: { templateId: "ASC", shopId: "ASC" } }),
    templates: await repo.templates().find({ order: { id: "ASC" } }),
    links: await repo.links().find({ order: { templateId: "ASC", position: "ASC" } }),
    images: await repo.images().find({ order: { imageId: "ASC" } }),
    notifications: await c.ds.getRepository(NotificationEntity).count(),
  };
}

async function productsOf(templateId: string): Promise<string[]> {
  return (await repo.links().find({ where: { templateId }, order: { position: "ASC" } })).map((l) => l.productId);
}

// --- Fresh fixtures written straight to the database ------------------------------------------

let seq = 0;
const fresh = (prefix: string) => `${prefix}-${String(++seq).padStart(3, "0")}`;

async function seedGroup(id = fresh("XG")): Promise<string> {
  await repo.groups().insert({ id, name: `Group ${id}` });
  return id;
}
async function seedShop(shopGroupId = "SG01", id = fresh("XS")): Promise<string> {
  await repo.shops().insert({ id, name: `Shop ${id}`, shopGroupId, adminUserId: null, lat: null, lng: null, postalCode: null, region: null });
  return id;
}
async function seedService(id = fresh("XV")): Promise<string> {
  await repo.services().insert({ id, name: `Service ${id}` });
  return id;
}
async function seedProduct(id = fresh("XP")): Promise<string> {
  await repo.products().insert({ id, name: `Product ${id}` });
  return id;
}
/** A template of a group or a shop, for a fresh service, with product P01. */
async function seedTemplate(owner: { shopGroupId?: string; shopId?: string }, id = fresh("XT")): Promise<string> {
  const serviceId = await seedService();
  await repo.templates().insert({ id, name: `Template ${id}`, serviceId, shopGroupId: owner.shopGroupId ?? null, shopId: owner.shopId ?? null });
  await repo.links().insert({ templateId: id, productId: "P01", position: 1 });
  return id;
}
async function seedImage(id = fresh("XI")): Promise<string> {
  await repo.images().insert({ imageId: id, feePerSheet: 3, rightsHolder: "Someone" });
  return id;
}

// --- Notices ----------------------------------------------------------------------------------

async function clearInbox(...tokens: string[]): Promise<void> {
  for (const token of tokens) await c.gql("mutation { markNotificationsRead { updated } }", {}, token);
}
async function inbox(token: string): Promise<Array<{ kind: string; message: string }>> {
  return (await c.gql("{ notifications(unreadOnly: true, first: 200) { kind message } }", {}, token)).data!.notifications;
}

// =============================================================================================
// Faults: exact code and field, nothing written (the fixture as imported)
// =============================================================================================

describe("faults: each reported with its code and field, nothing written", () => {
  beforeAll(async () => {
    // A shop's own template, so that a second one for the same shop and service is a duplicate.
    await repo.services().insert({ id: "SVX", name: "Service only SP04 offers" });
    await repo.templates().insert({ id: "T-SP04", name: "SP04's own", serviceId: "SVX", shopGroupId: null, shopId: "SP04" });
    await repo.links().insert({ templateId: "T-SP04", productId: "P03", position: 1 });
  });

  const long = "x".repeat(201);
  const many = Array.from({ length: 101 }, (_, i) => `P${i}`);
  const cases: Array<[string, OpName, Record<string, unknown>, string, string[], keyof typeof t | null]> = [
    ["shop group id with a space", "createShopGroup", { input: { id: "bad id!", name: "X" } }, "INVALID_ID", ["input", "id"], null],
    ["shop group id of 65 characters", "createShopGroup", { input: { id: "G".repeat(65), name: "X" } }, "INVALID_ID", ["input", "id"], null],
    ["shop group id taken", "createShopGroup", { input: { id: "SG01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["shop group id taken in other letter case", "createShopGroup", { input: { id: "sg01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["shop group name empty", "createShopGroup", { input: { id: "SGV1", name: "" } }, "INVALID_NAME", ["input", "name"], null],
    ["shop group name blank", "createShopGroup", { input: { id: "SGV1", name: "   " } }, "INVALID_NAME", ["input", "name"], null],
    ["shop group name of 201 characters", "createShopGroup", { input: { id: "SGV1", name: long } }, "INVALID_NAME", ["input", "name"], null],
    ["renaming an unknown group", "updateShopGroup", { id: "SG99", input: { name: "X" } }, "NOT_FOUND", ["id"], null],
    ["renaming a group named in other letter case", "updateShopGroup", { id: "sg01", input: { name: "X" } }, "NOT_FOUND", ["id"], null],
    ["renaming a group to nothing", "updateShopGroup", { id: "SG01", input: { name: "" } }, "INVALID_NAME", ["input", "name"], null],
    ["a group admin renaming an unknown group", "updateShopGroup", { id: "SG99", input: { name: "X" } }, "NOT_FOUND", ["id"], "groupA"],
    [
      "a group admin renaming their group to 201 characters",
      "updateShopGroup",
      { id: "SG01", input: { name: long } },
      "INVALID_NAME",
      ["input", "name"],
      "groupA",
    ],
    ["deleting an unknown group", "deleteShopGroup", { id: "SG99" }, "NOT_FOUND", ["id"], null],
    [
      "a shop in an unknown group",
      "createShop",
      { input: { id: "SPV1", name: "X", shopGroupId: "SG99" } },
      "UNKNOWN_SHOP_GROUP",
      ["input", "shopGroupId"],
      null,
    ],
    [
      "a shop in a group named in other letter case",
      "createShop",
      { input: { id: "SPV1", name: "X", shopGroupId: "sg01" } },
      "UNKNOWN_SHOP_GROUP",
      ["input", "shopGroupId"],
      null,
    ],
    ["shop id taken", "createShop", { input: { id: "SP01", name: "X", shopGroupId: "SG01" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["shop id taken in other letter case", "createShop", { input: { id: "sp01", name: "X", shopGroupId: "SG01" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["shop id with a space", "createShop", { input: { id: "SP 01", name: "X", shopGroupId: "SG01" } }, "INVALID_ID", ["input", "id"], null],
    ["shop name empty", "createShop", { input: { id: "SPV1", name: "", shopGroupId: "SG01" } }, "INVALID_NAME", ["input", "name"], null],
    [
      "shop latitude above 90",
      "createShop",
      { input: { id: "SPV1", name: "X", shopGroupId: "SG01", location: { lat: 90.5, lng: 0 } } },
      "INVALID_LOCATION",
      ["input", "location", "lat"],
      null,
    ],
    [
      "shop longitude below -180",
      "createShop",
      { input: { id: "SPV1", name: "X", shopGroupId: "SG01", location: { lat: 0, lng: -180.5 } } },
      "INVALID_LOCATION",
      ["input", "location", "lng"],
      null,
    ],
    ["correcting an unknown shop", "updateShop", { id: "SP99", input: { name: "X" } }, "NOT_FOUND", ["id"], null],
    [
      "correcting a shop's latitude to -91",
      "updateShop",
      { id: "SP01", input: { location: { lat: -91, lng: 0 } } },
      "INVALID_LOCATION",
      ["input", "location", "lat"],
      null,
    ],
    ["correcting a shop's name to nothing", "updateShop", { id: "SP01", input: { name: " " } }, "INVALID_NAME", ["input", "name"], null],
    ["moving an unknown shop", "moveShopToGroup", { shopId: "SP99", shopGroupId: "SG02" }, "NOT_FOUND", ["shopId"], null],
    [
      "moving a shop to an unknown group (it would be left without one)",
      "moveShopToGroup",
      { shopId: "SP01", shopGroupId: "SG99" },
      "UNKNOWN_SHOP_GROUP",
      ["shopGroupId"],
      null,
    ],
    ["deleting an unknown shop", "deleteShop", { id: "SP99" }, "NOT_FOUND", ["id"], null],
    ["service id taken", "createService", { input: { id: "SV01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["service id taken in other letter case", "createService", { input: { id: "sv01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["service id empty", "createService", { input: { id: "", name: "X" } }, "INVALID_ID", ["input", "id"], null],
    ["service name of 201 characters", "createService", { input: { id: "SVV1", name: long } }, "INVALID_NAME", ["input", "name"], null],
    ["correcting an unknown service", "updateService", { id: "SV99", input: { name: "X" } }, "NOT_FOUND", ["id"], null],
    ["correcting a service's name to nothing", "updateService", { id: "SV01", input: { name: "" } }, "INVALID_NAME", ["input", "name"], null],
    ["deleting an unknown service", "deleteService", { id: "SV99" }, "NOT_FOUND", ["id"], null],
    ["product id taken", "createProduct", { input: { id: "P01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["product id taken in other letter case", "createProduct", { input: { id: "p01", name: "X" } }, "DUPLICATE_ID", ["input", "id"], null],
    ["product id with a slash", "createProduct", { input: { id: "P/1", name: "X" } }, "INVALID_ID", ["input", "id"], null],
    ["product name empty", "createProduct", { input: { id: "PV1", name: "" } }, "INVALID_NAME", ["input", "name"], null],
    ["correcting an unknown product", "updateProduct", { id: "P99", input: { name: "X" } }, "NOT_FOUND", ["id"], null],
    ["correcting a product's name to 201 characters", "updateProduct", { id: "P01", input: { name: long } }, "INVALID_NAME", ["input", "name"], null],
    ["deleting an unknown product", "deleteProduct", { id: "P99" }, "NOT_FOUND", ["id"], null],
    [
      "a template of a group and a shop at once",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG01", shopId: "SP01", productIds: ["P01"] } },
      "INVALID_SCOPE",
      ["input", "shopId"],
      "groupA",
    ],
    [
      "a template of neither a group nor a shop",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", productIds: ["P01"] } },
      "INVALID_SCOPE",
      ["input", "shopGroupId"],
      null,
    ],
    [
      "a template for an unknown service",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SV99", shopGroupId: "SG01", productIds: ["P01"] } },
      "UNKNOWN_SERVICE",
      ["input", "serviceId"],
      "groupA",
    ],
    [
      "a second template of a group for a service",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SV01", shopGroupId: "SG01", productIds: ["P01"] } },
      "DUPLICATE_TEMPLATE",
      ["input", "serviceId"],
      "groupA",
    ],
    [
      "a second template of a shop for a service",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopId: "SP04", productIds: ["P01"] } },
      "DUPLICATE_TEMPLATE",
      ["input", "serviceId"],
      "groupB",
    ],
    [
      "a template without products",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: [] } },
      "NO_PRODUCTS",
      ["input", "productIds"],
      "groupA",
    ],
    [
      "a template listing a product twice",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: ["P01", "P01"] } },
      "DUPLICATE_PRODUCT",
      ["input", "productIds", "1"],
      "groupA",
    ],
    [
      "a template with an unknown product",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: ["P01", "P99"] } },
      "UNKNOWN_PRODUCT",
      ["input", "productIds", "1"],
      "groupA",
    ],
    [
      "a template naming a product in other letter case",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: ["p01"] } },
      "UNKNOWN_PRODUCT",
      ["input", "productIds", "0"],
      null,
    ],
    [
      "a template of an unknown shop",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopId: "SP99", productIds: ["P01"] } },
      "UNKNOWN_SHOP",
      ["input", "shopId"],
      "groupA",
    ],
    [
      "a template of an unknown group",
      "createTemplate",
      { input: { id: "TV1", name: "X", serviceId: "SVX", shopGroupId: "SG99", productIds: ["P01"] } },
      "UNKNOWN_SHOP_GROUP",
      ["input", "shopGroupId"],
      null,
    ],
    [
      "template id taken",
      "createTemplate",
      { input: { id: "T01", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: ["P01"] } },
      "DUPLICATE_ID",
      ["input", "id"],
      "groupA",
    ],
    [
      "template id taken in other letter case",
      "createTemplate",
      { input: { id: "t-sp04", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: ["P01"] } },
      "DUPLICATE_ID",
      ["input", "id"],
      null,
    ],
    [
      "template name empty",
      "createTemplate",
      { input: { id: "TV1", name: "", serviceId: "SVX", shopGroupId: "SG01", productIds: ["P01"] } },
      "INVALID_NAME",
      ["input", "name"],
      "groupA",
    ],
    ["correcting an unknown template", "updateTemplate", { id: "T99", input: { name: "X" } }, "NOT_FOUND", ["id"], "groupA"],
    ["correcting a template to no products", "updateTemplate", { id: "T01", input: { productIds: [] } }, "NO_PRODUCTS", ["input", "productIds"], "groupA"],
    ["correcting a template's name to nothing", "updateTemplate", { id: "T01", input: { name: " " } }, "INVALID_NAME", ["input", "name"], "groupA"],
    [
      "correcting a template to an unknown product",
      "updateTemplate",
      { id: "T01", input: { productIds: ["P01", "P99"] } },
      "UNKNOWN_PRODUCT",
      ["input", "productIds", "1"],
      null,
    ],
    ["setting the products of an unknown template", "setTemplateProducts", { templateId: "T99", productIds: ["P01"] }, "NOT_FOUND", ["templateId"], "groupA"],
    [
      "setting a product twice",
      "setTemplateProducts",
      { templateId: "T01", productIds: ["P03", "P01", "P03"] },
      "DUPLICATE_PRODUCT",
      ["productIds", "2"],
      "groupA",
    ],
    ["setting no products", "setTemplateProducts", { templateId: "T01", productIds: [] }, "NO_PRODUCTS", ["productIds"], "groupA"],
    ["setting an unknown product", "setTemplateProducts", { templateId: "T03", productIds: ["P99"] }, "UNKNOWN_PRODUCT", ["productIds", "0"], "groupB"],
    ["setting 101 products", "setTemplateProducts", { templateId: "T01", productIds: many }, "TOO_MANY_PRODUCTS", ["productIds"], null],
    ["deleting an unknown template", "deleteTemplate", { id: "T99" }, "NOT_FOUND", ["id"], "groupA"],
    [
      "a negative fee",
      "createChargedImage",
      { input: { imageId: "IMG-V1", feePerSheet: -1, rightsHolder: "X" } },
      "NEGATIVE_CHARGE",
      ["input", "feePerSheet"],
      null,
    ],
    [
      "charged image id taken",
      "createChargedImage",
      { input: { imageId: "IMG-C01", feePerSheet: 1, rightsHolder: "X" } },
      "DUPLICATE_ID",
      ["input", "imageId"],
      null,
    ],
    [
      "charged image id taken in other letter case",
      "createChargedImage",
      { input: { imageId: "img-c01", feePerSheet: 1, rightsHolder: "X" } },
      "DUPLICATE_ID",
      ["input", "imageId"],
      null,
    ],
    [
      "charged image id with a slash",
      "createChargedImage",
      { input: { imageId: "bad/id", feePerSheet: 1, rightsHolder: "X" } },
      "INVALID_ID",
      ["input", "imageId"],
      null,
    ],
    [
      "no rights holder",
      "createChargedImage",
      { input: { imageId: "IMG-V1", feePerSheet: 1, rightsHolder: "" } },
      "INVALID_NAME",
      ["input", "rightsHolder"],
      null,
    ],
    ["correcting an unknown charged image", "updateChargedImage", { imageId: "IMG-X", input: { feePerSheet: 1 } }, "NOT_FOUND", ["imageId"], null],
    [
      "correcting a fee to a negative one",
      "updateChargedImage",
      { imageId: "IMG-C01", input: { feePerSheet: -5 } },
      "NEGATIVE_CHARGE",
      ["input", "feePerSheet"],
      null,
    ],
    ["deleting an unknown charged image", "deleteChargedImage", { imageId: "IMG-X" }, "NOT_FOUND", ["imageId"], null],
  ];

  for (const [title, op, variables, code, field, caller] of cases) {
    it(`${op}: ${title} -> ${code} at ${field.join(".")}`, async () => {
      const before = await snapshot();
      const payload = await ok(op, variables, t[caller ?? "center"]);
      expect(payload.errors).toEqual([{ code, field, message: expect.any(String) }]);
      expect(payload[ENTITY[op]]).toBeNull();
      expect(await snapshot()).toEqual(before);
    });
  }

  it("reports every fault of one input at once, in field order", async () => {
    const before = await snapshot();
    const payload = await ok("createShop", { input: { id: "bad id", name: "", shopGroupId: "SG99", location: { lat: 100, lng: 200 } } }, t.center);
    expect(payload.errors.map((e) => [e.code, e.field])).toEqual([
      ["INVALID_ID", ["input", "id"]],
      ["INVALID_NAME", ["input", "name"]],
      ["UNKNOWN_SHOP_GROUP", ["input", "shopGroupId"]],
      ["INVALID_LOCATION", ["input", "location", "lat"]],
      ["INVALID_LOCATION", ["input", "location", "lng"]],
    ]);
    expect(payload.shop).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it("refuses malformed input at the edge: a fee that is not a whole amount, a shop without a group", async () => {
    const before = await snapshot();
    const fee = await run("createChargedImage", { input: { imageId: "IMG-V2", feePerSheet: 1.5, rightsHolder: "X" } }, t.center);
    expect(fee.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(fee.errors![0].message).toContain("feePerSheet");
    const noGroup = await run("createShop", { input: { id: "SPV2", name: "X" } }, t.center);
    expect(noGroup.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(noGroup.errors![0].message).toContain("shopGroupId");
    const tooMany = await run("createTemplate", { input: { id: "TV2", name: "X", serviceId: "SVX", shopGroupId: "SG01", productIds: many } }, t.center);
    expect(tooMany.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(await snapshot()).toEqual(before);
  });

  describe("deleting what is still used: IN_USE, naming the users", () => {
    const idsOf = async <T>(rows: Promise<T[]>, key: keyof T) => (await rows).map((r) => String(r[key])).join(", ");

    it("a shop group with shops, templates, price rows and an admin", async () => {
      const before = await snapshot();
      const rows = await idsOf(repo.priceRows().find({ where: { shopGroupId: "SG01" }, order: { id: "ASC" } }), "id");
      const payload = await ok("deleteShopGroup", { id: "SG01" }, t.center);
      expect(payload.errors).toEqual([
        {
          code: "IN_USE",
          field: ["id"],
          message: `Shop group SG01 is still used by shops SP01, SP02, templates T01, T02, T04, price rows ${rows} and users group-a`,
        },
      ]);
      expect(payload.shopGroup).toBeNull();
      expect(await snapshot()).toEqual(before);
    });

    it("a shop group with one shop only; a long list is cut after ten", async () => {
      const group = await seedGroup();
      const shop = await seedShop(group);
      expect((await ok("deleteShopGroup", { id: group }, t.center)).errors).toEqual([
        { code: "IN_USE", field: ["id"], message: `Shop group ${group} is still used by shops ${shop}` },
      ]);

      const big = await seedGroup();
      const shops: string[] = [];
      for (let i = 1; i <= 12; i++) shops.push(await seedShop(big, `${big}-S${String(i).padStart(2, "0")}`));
      const before = await snapshot();
      const payload = await ok("deleteShopGroup", { id: big }, t.center);
      expect(payload.errors[0].message).toBe(`Shop group ${big} is still used by shops ${shops.slice(0, 10).join(", ")} (+2 more)`);
      expect(await snapshot()).toEqual(before);
    });

    it("a shop with a lab and its admin; a shop with a template, a price row and an allowance", async () => {
      const before = await snapshot();
      expect((await ok("deleteShop", { id: "SP01" }, t.center)).errors).toEqual([
        { code: "IN_USE", field: ["id"], message: "Shop SP01 is still used by labs LAB01 and users shop-1" },
      ]);
      expect(await snapshot()).toEqual(before);

      const shop = await seedShop("SG01");
      const template = await seedTemplate({ shopId: shop });
      await repo.priceRows().insert({
        id: `PR-${shop}`,
        shopGroupId: null,
        shopId: shop,
        productId: "P01",
        validFrom: "2026-01-01",
        validUntil: null,
        basicCharge: 1,
        amountCharge: 1,
        minSheets: null,
        maxSheets: null,
        updatedAt: new Date(),
      });
      await repo.allowances().insert({ shopId: shop, productId: "P02", minBasicCharge: 0, maxBasicCharge: 10, minAmountCharge: 0, maxAmountCharge: 10 });
      const payload = await ok("deleteShop", { id: shop }, t.center);
      expect(payload.errors).toEqual([
        { code: "IN_USE", field: ["id"], message: `Shop ${shop} is still used by templates ${template}, price rows PR-${shop} and allowances of products P02` },
      ]);
      expect(await repo.shops().countBy({ id: shop })).toBe(1);
    });

    it("a service with templates and labs", async () => {
      const before = await snapshot();
      expect((await ok("deleteService", { id: "SV01" }, t.center)).errors).toEqual([
        { code: "IN_USE", field: ["id"], message: "Service SV01 is still used by templates T01, T03 and labs LAB01, LAB02, LAB03, LAB04" },
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it("a product with templates and price rows; a product with an allowance", async () => {
      const before = await snapshot();
      const rows = await idsOf(repo.priceRows().find({ where: { productId: "P03" }, order: { id: "ASC" } }), "id");
      expect((await ok("deleteProduct", { id: "P03" }, t.center)).errors).toEqual([
        { code: "IN_USE", field: ["id"], message: `Product P03 is still used by templates T-SP04, T01, T03 and price rows ${rows}` },
      ]);
      expect(await snapshot()).toEqual(before);

      const product = await seedProduct();
      await repo.allowances().insert({ shopId: "SP02", productId: product, minBasicCharge: 0, maxBasicCharge: 10, minAmountCharge: 0, maxAmountCharge: 10 });
      expect((await ok("deleteProduct", { id: product }, t.center)).errors).toEqual([
        { code: "IN_USE", field: ["id"], message: `Product ${product} is still used by allowances of shops SP02` },
      ]);
      expect(await repo.products().countBy({ id: product })).toBe(1);
    });
  });
});

// =============================================================================================
// Happy paths: the change is in the database and in the read queries
// =============================================================================================

describe("shop groups", () => {
  it("registers a group (name trimmed), corrects it and deletes it", async () => {
    const created = await ok("createShopGroup", { input: { id: "SG03", name: "  Shop group C  " } }, t.center);
    expect(created).toEqual({ shopGroup: { id: "SG03", name: "Shop group C" }, errors: [] });
    expect(await repo.groups().findOneBy({ id: "SG03" })).toEqual({ id: "SG03", name: "Shop group C" });
    expect(await read.shopGroups()).toContainEqual({ id: "SG03", name: "Shop group C" });

    const renamed = await ok("updateShopGroup", { id: "SG03", input: { name: "Shop group Charlie" } }, t.center);
    expect(renamed).toEqual({ shopGroup: { id: "SG03", name: "Shop group Charlie" }, errors: [] });
    expect((await repo.groups().findOneByOrFail({ id: "SG03" })).name).toBe("Shop group Charlie");

    const deleted = await ok("deleteShopGroup", { id: "SG03" }, t.center);
    expect(deleted).toEqual({ shopGroup: { id: "SG03", name: "Shop group Charlie" }, errors: [] });
    expect(await repo.groups().countBy({ id: "SG03" })).toBe(0);
    expect((await read.shopGroups()).map((g) => g.id)).not.toContain("SG03");
  });

  it("lets a group admin rename their own group, and only that", async () => {
    const r = await ok("updateShopGroup", { id: "SG01", input: { name: "Shop group A (renamed by its admin)" } }, t.groupA);
    expect(r).toEqual({ shopGroup: { id: "SG01", name: "Shop group A (renamed by its admin)" }, errors: [] });
    expect(await read.shopGroups(t.groupA)).toEqual([{ id: "SG01", name: "Shop group A (renamed by its admin)" }]);
    expect((await repo.groups().findOneByOrFail({ id: "SG01" })).name).toBe("Shop group A (renamed by its admin)");

    const before = await snapshot();
    const other = await run("updateShopGroup", { id: "SG02", input: { name: "Taken over" } }, t.groupA);
    expect(other.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(await snapshot()).toEqual(before);
  });

  it("changes nothing (and tells no one) when the name is the same", async () => {
    const before = await snapshot();
    const name = (await repo.groups().findOneByOrFail({ id: "SG02" })).name;
    expect(await ok("updateShopGroup", { id: "SG02", input: { name } }, t.center)).toEqual({ shopGroup: { id: "SG02", name }, errors: [] });
    expect(await ok("updateShopGroup", { id: "SG02", input: {} }, t.center)).toEqual({ shopGroup: { id: "SG02", name }, errors: [] });
    expect(await snapshot()).toEqual(before);
  });
});

describe("shops", () => {
  it("registers a shop in a group, corrects it, moves it to another group and deletes it", async () => {
    const created = await ok(
      "createShop",
      {
        input: {
          id: "SP05",
          name: "Printing shop 5",
          shopGroupId: "SG02",
          location: { lat: 43.0621, lng: 141.3544 },
          postalCode: "060-0001",
          region: "Hokkaido",
        },
      },
      t.center,
    );
    const shop = {
      id: "SP05",
      name: "Printing shop 5",
      shopGroupId: "SG02",
      location: { lat: 43.0621, lng: 141.3544 },
      postalCode: "060-0001",
      region: "Hokkaido",
    };
    expect(created).toEqual({ shop, errors: [] });
    expect(await repo.shops().findOneBy({ id: "SP05" })).toEqual({
      id: "SP05",
      name: "Printing shop 5",
      shopGroupId: "SG02",
      adminUserId: null,
      lat: 43.0621,
      lng: 141.3544,
      postalCode: "060-0001",
      region: "Hokkaido",
    });
    expect(await read.shop("SP05")).toEqual(shop);
    expect((await read.shops(t.groupB)).map((s) => s.id)).toContain("SP05");

    const corrected = await ok(
      "updateShop",
      { id: "SP05", input: { name: "Printing shop 5 (Sapporo)", location: { lat: 43.07, lng: 141.35 }, postalCode: null } },
      t.center,
    );
    expect(corrected.shop).toEqual({ ...shop, name: "Printing shop 5 (Sapporo)", location: { lat: 43.07, lng: 141.35 }, postalCode: null });
    expect(await repo.shops().findOneBy({ id: "SP05" })).toMatchObject({
      name: "Printing shop 5 (Sapporo)",
      lat: 43.07,
      lng: 141.35,
      postalCode: null,
      region: "Hokkaido",
    });

    const cleared = await ok("updateShop", { id: "SP05", input: { location: null } }, t.center);
    expect(cleared.shop.location).toBeNull();
    expect(await repo.shops().findOneBy({ id: "SP05" })).toMatchObject({ lat: null, lng: null, name: "Printing shop 5 (Sapporo)" });

    const moved = await ok("moveShopToGroup", { shopId: "SP05", shopGroupId: "SG01" }, t.center);
    expect(moved.shop).toMatchObject({ id: "SP05", shopGroupId: "SG01" });
    expect((await repo.shops().findOneByOrFail({ id: "SP05" })).shopGroupId).toBe("SG01");
    expect((await read.shops(t.center, "SG01")).map((s) => s.id)).toEqual(expect.arrayContaining(["SP01", "SP02", "SP05"]));
    expect((await read.shops(t.center, "SG02")).map((s) => s.id)).not.toContain("SP05");
    expect((await read.shops(t.groupA)).map((s) => s.id)).toContain("SP05");
    expect((await read.shops(t.groupB)).map((s) => s.id)).not.toContain("SP05");

    const deleted = await ok("deleteShop", { id: "SP05" }, t.center);
    expect(deleted).toEqual({ shop: { ...shop, name: "Printing shop 5 (Sapporo)", shopGroupId: "SG01", location: null, postalCode: null }, errors: [] });
    expect(await repo.shops().countBy({ id: "SP05" })).toBe(0);
    expect(await read.shop("SP05")).toBeNull();
  });
});

describe("services and products", () => {
  it("registers, corrects and deletes a service", async () => {
    expect(await ok("createService", { input: { id: "SV04", name: "Poster printing" } }, t.center)).toEqual({
      service: { id: "SV04", name: "Poster printing" },
      errors: [],
    });
    expect({ ...(await repo.services().findOneBy({ id: "SV04" })) }).toEqual({
      id: "SV04",
      name: "Poster printing",
      printSizeName: null,
      printWidthMm: null,
      printHeightMm: null,
      printBorderless: null,
      printFit: null,
    });
    expect(await read.services(t.customer)).toContainEqual({ id: "SV04", name: "Poster printing" });
    expect(await ok("updateService", { id: "SV04", input: { name: "A2 poster printing" } }, t.center)).toEqual({
      service: { id: "SV04", name: "A2 poster printing" },
      errors: [],
    });
    expect((await repo.services().findOneByOrFail({ id: "SV04" })).name).toBe("A2 poster printing");
    expect(await ok("deleteService", { id: "SV04" }, t.center)).toEqual({ service: { id: "SV04", name: "A2 poster printing" }, errors: [] });
    expect(await repo.services().countBy({ id: "SV04" })).toBe(0);
    expect((await read.services()).map((s) => s.id)).not.toContain("SV04");
  });

  it("registers, corrects and deletes a product", async () => {
    expect(await ok("createProduct", { input: { id: "P06", name: "Lamination" } }, t.center)).toEqual({
      product: { id: "P06", name: "Lamination" },
      errors: [],
    });
    expect(await repo.products().findOneBy({ id: "P06" })).toEqual({ id: "P06", name: "Lamination" });
    expect(await read.products(t.groupA)).toContainEqual({ id: "P06", name: "Lamination" });
    expect(await ok("updateProduct", { id: "P06", input: { name: "Gloss lamination" } }, t.center)).toEqual({
      product: { id: "P06", name: "Gloss lamination" },
      errors: [],
    });
    expect((await repo.products().findOneByOrFail({ id: "P06" })).name).toBe("Gloss lamination");
    expect(await ok("deleteProduct", { id: "P06" }, t.center)).toEqual({ product: { id: "P06", name: "Gloss lamination" }, errors: [] });
    expect(await repo.products().countBy({ id: "P06" })).toBe(0);
    expect((await read.products()).map((p) => p.id)).not.toContain("P06");
  });
});

describe("templates", () => {
  beforeAll(async () => {
    await repo.services().insert({ id: "SV05", name: "Calendar printing" });
  });

  it("a group admin registers a template of their group with ordered products, corrects it, sets its products and deletes it", async () => {
    const created = await ok(
      "createTemplate",
      { input: { id: "T10", name: "Calendar", serviceId: "SV05", shopGroupId: "SG01", productIds: ["P05", "P01", "P03"] } },
      t.groupA,
    );
    const template = { id: "T10", name: "Calendar", serviceId: "SV05", shopGroupId: "SG01", shopId: null, productIds: ["P05", "P01", "P03"] };
    expect(created).toEqual({ template, errors: [] });
    expect(await repo.templates().findOneBy({ id: "T10" })).toEqual({ id: "T10", name: "Calendar", serviceId: "SV05", shopGroupId: "SG01", shopId: null });
    expect(await productsOf("T10")).toEqual(["P05", "P01", "P03"]);
    expect(await read.templates(t.shop1, { g: "SG01" })).toContainEqual(template);

    const corrected = await ok("updateTemplate", { id: "T10", input: { name: "Wall calendar", productIds: ["P02", "P05"] } }, t.groupA);
    expect(corrected).toEqual({ template: { ...template, name: "Wall calendar", productIds: ["P02", "P05"] }, errors: [] });
    expect((await repo.templates().findOneByOrFail({ id: "T10" })).name).toBe("Wall calendar");
    expect(await productsOf("T10")).toEqual(["P02", "P05"]);

    const renamedOnly = await ok("updateTemplate", { id: "T10", input: { name: "Desk calendar" } }, t.groupA);
    expect(renamedOnly.template).toMatchObject({ name: "Desk calendar", productIds: ["P02", "P05"] });
    expect(await productsOf("T10")).toEqual(["P02", "P05"]);

    const set = await ok("setTemplateProducts", { templateId: "T10", productIds: ["P05", "P02", "P04"] }, t.groupA);
    expect(set.template).toEqual({ ...template, name: "Desk calendar", productIds: ["P05", "P02", "P04"] });
    expect(await productsOf("T10")).toEqual(["P05", "P02", "P04"]);
    expect((await read.templates(t.groupA, { g: "SG01" })).find((x) => x.id === "T10").productIds).toEqual(["P05", "P02", "P04"]);

    const deleted = await ok("deleteTemplate", { id: "T10" }, t.groupA);
    expect(deleted).toEqual({ template: { ...template, name: "Desk calendar", productIds: ["P05", "P02", "P04"] }, errors: [] });
    expect(await repo.templates().countBy({ id: "T10" })).toBe(0);
    expect(await repo.links().countBy({ templateId: "T10" })).toBe(0);
    expect((await read.templates(t.center)).map((x) => x.id)).not.toContain("T10");
  });

  it("a group admin registers a shop's own template for a service its group has too: it wins in quotes at once", async () => {
    const quote = `query($input: OrderInput!, $at: DateTime) { quote(input: $input, at: $at) { quote { total subOrders { templateId } } errors { code } } }`;
    const order = { input: { shopId: "SP01", subOrders: [{ serviceId: "SV01", sheets: 5, items: [] }] }, at: "2026-04-01T00:00:00Z" };
    const before = await c.gql(quote, order, t.center);
    expect(before.data!.quote.quote.subOrders[0].templateId).toBe("T01");

    const created = await ok("createTemplate", { input: { id: "T11", name: "SP01's A4", serviceId: "SV01", shopId: "SP01", productIds: ["P03"] } }, t.groupA);
    expect(created).toEqual({
      template: { id: "T11", name: "SP01's A4", serviceId: "SV01", shopGroupId: null, shopId: "SP01", productIds: ["P03"] },
      errors: [],
    });
    expect(await repo.templates().findOneBy({ id: "T11" })).toEqual({ id: "T11", name: "SP01's A4", serviceId: "SV01", shopGroupId: null, shopId: "SP01" });
    expect((await read.templates(t.shop1, { s: "SP01" })).map((x) => x.id)).toEqual(["T11"]);
    expect((await read.templates(t.shop2)).map((x) => x.id)).not.toContain("T11");

    const after = await c.gql(quote, order, t.center);
    expect(after.data!.quote.quote).toEqual({ total: 50, subOrders: [{ templateId: "T11" }] });

    // A second one of that shop for that service is a duplicate.
    const twin = await ok("createTemplate", { input: { id: "T12", name: "Again", serviceId: "SV01", shopId: "SP01", productIds: ["P01"] } }, t.groupA);
    expect(twin.errors).toEqual([{ code: "DUPLICATE_TEMPLATE", field: ["input", "serviceId"], message: expect.stringContaining("T11") }]);

    // Group B's admin may not touch it; group A's removes it and the group's template applies again.
    const foreign = await run("deleteTemplate", { id: "T11" }, t.groupB);
    expect(foreign.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(await repo.templates().countBy({ id: "T11" })).toBe(1);
    expect((await ok("deleteTemplate", { id: "T11" }, t.groupA)).errors).toEqual([]);
    expect((await c.gql(quote, order, t.center)).data!.quote.quote.subOrders[0].templateId).toBe("T01");
  });

  it("keeps group admins to their own group's templates and its shops'", async () => {
    const before = await snapshot();
    for (const input of [
      { id: "TV9", name: "X", serviceId: "SV05", shopGroupId: "SG02", productIds: ["P01"] },
      { id: "TV9", name: "X", serviceId: "SV05", shopId: "SP03", productIds: ["P01"] },
    ]) {
      expect((await run("createTemplate", { input }, t.groupA)).errors![0].extensions!.code).toBe("FORBIDDEN");
    }
    expect((await run("updateTemplate", { id: "T03", input: { name: "X" } }, t.groupA)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await run("setTemplateProducts", { templateId: "T03", productIds: ["P01"] }, t.groupA)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect((await run("deleteTemplate", { id: "T03" }, t.groupA)).errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(await snapshot()).toEqual(before);
  });
});

describe("charged images", () => {
  it("registers, corrects and deletes a charged image; customers read them", async () => {
    expect(await ok("createChargedImage", { input: { imageId: "IMG-C02", feePerSheet: 25, rightsHolder: "  Studio K  " } }, t.center)).toEqual({
      chargedImage: { imageId: "IMG-C02", feePerSheet: 25, rightsHolder: "Studio K" },
      errors: [],
    });
    expect(await repo.images().findOneBy({ imageId: "IMG-C02" })).toEqual({ imageId: "IMG-C02", feePerSheet: 25, rightsHolder: "Studio K" });
    expect(await read.chargedImages(t.customer)).toEqual([
      { imageId: "IMG-C01", feePerSheet: 10, rightsHolder: "A copyright holder" },
      { imageId: "IMG-C02", feePerSheet: 25, rightsHolder: "Studio K" },
    ]);

    const corrected = await ok("updateChargedImage", { imageId: "IMG-C02", input: { feePerSheet: 0, rightsHolder: "Studio K Ltd." } }, t.center);
    expect(corrected).toEqual({ chargedImage: { imageId: "IMG-C02", feePerSheet: 0, rightsHolder: "Studio K Ltd." }, errors: [] });
    expect(await repo.images().findOneBy({ imageId: "IMG-C02" })).toEqual({ imageId: "IMG-C02", feePerSheet: 0, rightsHolder: "Studio K Ltd." });

    expect(await ok("deleteChargedImage", { imageId: "IMG-C02" }, t.center)).toEqual({
      chargedImage: { imageId: "IMG-C02", feePerSheet: 0, rightsHolder: "Studio K Ltd." },
      errors: [],
    });
    expect(await repo.images().countBy({ imageId: "IMG-C02" })).toBe(0);
    expect((await read.chargedImages(t.shop1)).map((i) => i.imageId)).toEqual(["IMG-C01"]);
  });

  it("keeps a fee exact up to 2^53 - 1", async () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect((await ok("createChargedImage", { input: { imageId: "IMG-MAX", feePerSheet: max, rightsHolder: "Big" } }, t.center)).chargedImage.feePerSheet).toBe(
      max,
    );
    expect((await repo.images().findOneByOrFail({ imageId: "IMG-MAX" })).feePerSheet).toBe(max);
    await ok("deleteChargedImage", { imageId: "IMG-MAX" }, t.center);
  });

  it("answers chargedImages to people only", async () => {
    const q = "{ chargedImages { imageId } }";
    expect((await c.gql(q)).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
    expect((await c.gql(q, {}, LAB01_KEY)).errors![0].extensions!.code).toBe("FORBIDDEN");
    for (const who of ["customer", "shop3", "groupB", "center"]) {
      expect((await c.gql(q, {}, t[who])).data!.chargedImages).toEqual([{ imageId: "IMG-C01" }]);
    }
  });
});

// =============================================================================================
// Quotes see a change as soon as it commits (the price book is invalidated)
// =============================================================================================

describe("changes that affect quotes", () => {
  const quote = `query($input: OrderInput!, $at: DateTime) { quote(input: $input, at: $at) { quote { total subOrders { templateId subtotal } } errors { code } } }`;
  const order = (shopId: string) => ({
    input: { shopId, subOrders: [{ serviceId: "SV01", sheets: 5, items: [{ imageId: "IMG-C01" }] }] },
    at: "2026-04-01T00:00:00Z",
  });
  const total = async (shopId: string) => {
    const r = await c.gql(quote, order(shopId), t.center);
    expect(r.data!.quote.errors).toEqual([]);
    return r.data!.quote.quote;
  };

  it("template products, a charged image's fee and a shop's group all apply to the next quote", async () => {
    // Seed 003's example: T01 = P01 (100 + 10 x 5) + P03 (10 x 5), plus the image's 10 x 5.
    expect(await total("SP02")).toEqual({ total: 250, subOrders: [{ templateId: "T01", subtotal: 250 }] });

    expect((await ok("setTemplateProducts", { templateId: "T01", productIds: ["P03"] }, t.groupA)).errors).toEqual([]);
    expect((await total("SP02")).total).toBe(100);
    expect((await ok("setTemplateProducts", { templateId: "T01", productIds: ["P01", "P03"] }, t.groupA)).errors).toEqual([]);
    expect((await total("SP02")).total).toBe(250);

    expect((await ok("updateChargedImage", { imageId: "IMG-C01", input: { feePerSheet: 20 } }, t.center)).errors).toEqual([]);
    expect((await total("SP02")).total).toBe(300);
    expect((await ok("updateChargedImage", { imageId: "IMG-C01", input: { feePerSheet: 10 } }, t.center)).errors).toEqual([]);

    // In group B, SV01 is T03: P03 at 9 a sheet.
    expect((await ok("moveShopToGroup", { shopId: "SP02", shopGroupId: "SG02" }, t.center)).errors).toEqual([]);
    expect(await total("SP02")).toEqual({ total: 95, subOrders: [{ templateId: "T03", subtotal: 95 }] });
    expect((await ok("moveShopToGroup", { shopId: "SP02", shopGroupId: "SG01" }, t.center)).errors).toEqual([]);
    expect((await total("SP02")).total).toBe(250);
  });
});

// =============================================================================================
// Change notices (seed 003, S21016)
// =============================================================================================

describe("change notices", () => {
  const everyone = () => [t.center, t.groupA, t.groupB, t.shop1, t.shop2, t.shop3];

  async function received(token: string, kind: string, marker: string): Promise<string[]> {
    return (await inbox(token)).filter((n) => n.kind === kind && n.message.includes(marker)).map((n) => n.message);
  }

  it("a center admin renaming SG01 tells group-a, shop-1 and shop-2, not group B or the actor", async () => {
    await clearInbox(...everyone());
    expect((await ok("updateShopGroup", { id: "SG01", input: { name: "Shop group Alpha" } }, t.center)).errors).toEqual([]);
    const message = /Shop group SG01 was renamed from ".*" to "Shop group Alpha" by center/;
    for (const who of [t.groupA, t.shop1, t.shop2]) {
      const got = await received(who, "SHOP_GROUP_UPDATED", "Shop group Alpha");
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(message);
    }
    for (const who of [t.groupB, t.shop3, t.center]) expect(await received(who, "SHOP_GROUP_UPDATED", "Shop group Alpha")).toEqual([]);
  });

  it("a group admin creating a template in SG01 tells shop-1 and shop-2 only", async () => {
    await clearInbox(...everyone());
    await repo.services().insert({ id: "SV06", name: "Photo book" });
    expect(
      (await ok("createTemplate", { input: { id: "T20", name: "Photo book", serviceId: "SV06", shopGroupId: "SG01", productIds: ["P02"] } }, t.groupA)).errors,
    ).toEqual([]);
    for (const who of [t.shop1, t.shop2]) {
      expect(await received(who, "TEMPLATE_CREATED", "T20")).toEqual([
        'Template T20 "Photo book" for service SV06 (shop group SG01, products P02) was created by group-a',
      ]);
    }
    for (const who of [t.groupA, t.groupB, t.shop3, t.center]) expect(await inbox(who)).toEqual([]);
  });

  it("a change to a shop's own template tells that shop's admin only, when the group admin makes it", async () => {
    const template = await seedTemplate({ shopId: "SP02" });
    await clearInbox(...everyone());
    expect((await ok("setTemplateProducts", { templateId: template, productIds: ["P04", "P01"] }, t.groupA)).errors).toEqual([]);
    expect(await received(t.shop2, "TEMPLATE_PRODUCTS_CHANGED", template)).toEqual([
      `The products of template ${template} (shop SP02) were set to P04, P01 (were P01) by group-a`,
    ]);
    for (const who of [t.shop1, t.groupA, t.groupB, t.shop3, t.center]) expect(await inbox(who)).toEqual([]);
  });

  it("a service registered by the center admin reaches every group and shop admin", async () => {
    await clearInbox(...everyone());
    expect((await ok("createService", { input: { id: "SV07", name: "Banner printing" } }, t.center)).errors).toEqual([]);
    for (const who of [t.groupA, t.groupB, t.shop1, t.shop2, t.shop3]) {
      expect(await received(who, "SERVICE_CREATED", "SV07")).toEqual(['Service SV07 "Banner printing" was created by center']);
    }
    expect(await inbox(t.center)).toEqual([]);
    expect(await inbox(t.customer)).toEqual([]);
  });

  it("moving a shop tells the admins of both groups and of the shop", async () => {
    await clearInbox(...everyone());
    expect((await ok("moveShopToGroup", { shopId: "SP02", shopGroupId: "SG02" }, t.center)).errors).toEqual([]);
    const text = 'Shop SP02 "Printing shop 2" was moved from shop group SG01 to SG02 by center';
    for (const who of [t.groupA, t.groupB, t.shop2]) expect(await received(who, "SHOP_MOVED", "SP02")).toEqual([text]);
    for (const who of [t.shop1, t.shop3, t.center]) expect(await inbox(who)).toEqual([]);
    expect((await ok("moveShopToGroup", { shopId: "SP02", shopGroupId: "SG01" }, t.center)).errors).toEqual([]);
  });

  it("a charged image's new fee reaches the admins; a refused change tells no one", async () => {
    await clearInbox(...everyone());
    expect((await ok("updateChargedImage", { imageId: "IMG-C01", input: { feePerSheet: 12 } }, t.center)).errors).toEqual([]);
    expect(await received(t.shop3, "CHARGED_IMAGE_UPDATED", "IMG-C01")).toEqual(["Charged image IMG-C01 was corrected by center: fee per sheet 10 -> 12"]);
    expect((await ok("updateChargedImage", { imageId: "IMG-C01", input: { feePerSheet: 10 } }, t.center)).errors).toEqual([]);
    await clearInbox(...everyone());
    expect((await ok("updateChargedImage", { imageId: "IMG-C01", input: { feePerSheet: -1 } }, t.center)).errors[0].code).toBe("NEGATIVE_CHARGE");
    for (const who of everyone()) expect(await inbox(who)).toEqual([]);
  });

  it("delivers a notice live over graphql-ws once the change has committed", async () => {
    const client = c.ws(t.shop3);
    const sub = nextEvent<{ notifications: { kind: string; message: string } }>(client, "subscription { notifications { kind message } }");
    await new Promise((r) => setTimeout(r, 200)); // no "subscribed" acknowledgement in the protocol
    expect(
      (await ok("createTemplate", { input: { id: "T-LIVE", name: "Postcards B", serviceId: "SV02", shopGroupId: "SG02", productIds: ["P04"] } }, t.groupB))
        .errors,
    ).toEqual([]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no notice within 5 s")), 5000)));
    const event = await Promise.race([sub.value, timeout]).finally(() => {
      clearTimeout(timer);
      sub.dispose();
    });
    expect(event.notifications).toEqual({
      kind: "TEMPLATE_CREATED",
      message: 'Template T-LIVE "Postcards B" for service SV02 (shop group SG02, products P04) was created by group-b',
    });
  });
});

// =============================================================================================
// Races: the database's constraints decide, never two winners
// =============================================================================================

describe("racing writers", () => {
  it("two registrations of one id (in two letter cases): one wins, the other is DUPLICATE_ID", async () => {
    for (const [a, b] of [
      ["RACE-1", "RACE-1"],
      ["RACE-2", "race-2"],
    ]) {
      const [x, y] = await Promise.all([
        ok("createShopGroup", { input: { id: a, name: "A" } }, t.center),
        ok("createShopGroup", { input: { id: b, name: "B" } }, t.center),
      ]);
      const outcomes = [x, y].map((p) => (p.errors.length === 0 ? "ok" : p.errors[0].code)).sort();
      expect(outcomes).toEqual(["DUPLICATE_ID", "ok"]);
      const rows = await repo.groups().createQueryBuilder("g").where("LOWER(g.id) = :id", { id: a.toLowerCase() }).getMany();
      expect(rows).toHaveLength(1);
    }
  });

  it("two templates of one group for one service under different ids: one wins, the other is DUPLICATE_TEMPLATE", async () => {
    const serviceId = await seedService();
    const [x, y] = await Promise.all(
      ["RACE-T1", "RACE-T2"].map((id) => ok("createTemplate", { input: { id, name: id, serviceId, shopGroupId: "SG02", productIds: ["P03"] } }, t.groupB)),
    );
    const outcomes = [x, y].map((p) => (p.errors.length === 0 ? "ok" : `${p.errors[0].code} ${p.errors[0].field!.join(".")}`)).sort();
    expect(outcomes).toEqual(["DUPLICATE_TEMPLATE input.serviceId", "ok"]);
    expect(await repo.templates().countBy({ shopGroupId: "SG02", serviceId })).toBe(1);
    const winner = (x.errors.length === 0 ? x : y).template.id;
    expect(await productsOf(winner)).toEqual(["P03"]);
    expect(await repo.links().countBy({ templateId: winner === "RACE-T1" ? "RACE-T2" : "RACE-T1" })).toBe(0);
  });

  it("deleting a group while a shop is registered in it: never a shop without a group", async () => {
    for (let i = 0; i < 5; i++) {
      const group = await seedGroup();
      const shopId = fresh("RS");
      const [del, add] = await Promise.all([
        ok("deleteShopGroup", { id: group }, t.center),
        ok("createShop", { input: { id: shopId, name: "Racing shop", shopGroupId: group } }, t.center),
      ]);
      const groupLeft = await repo.groups().countBy({ id: group });
      const shop = await repo.shops().findOneBy({ id: shopId });
      if (del.errors.length === 0) {
        expect(add.errors.map((e) => e.code)).toEqual(["UNKNOWN_SHOP_GROUP"]);
        expect(groupLeft).toBe(0);
        expect(shop).toBeNull();
      } else {
        expect(del.errors.map((e) => e.code)).toEqual(["IN_USE"]);
        expect(add.errors).toEqual([]);
        expect(groupLeft).toBe(1);
        expect(shop?.shopGroupId).toBe(group);
      }
    }
  });
});

// =============================================================================================
// Authorization: every mutation, every kind of caller
// =============================================================================================

describe("authorization table", () => {
  interface Row {
    op: OpName;
    /** Whether the group admin of the target's group (group-a, SG01) may do it. */
    groupAdmin: boolean;
    prepare: () => Promise<Record<string, any>>;
    /** True once the operation has taken effect. */
    applied: (v: Record<string, any>) => Promise<boolean>;
  }
  const exists = async (r: () => { countBy(w: object): Promise<number> }, where: object) => (await r().countBy(where)) === 1;
  const rows: Row[] = [
    {
      op: "createShopGroup",
      groupAdmin: false,
      prepare: async () => ({ input: { id: fresh("AG"), name: "New group" } }),
      applied: (v) => exists(repo.groups, { id: v.input.id }),
    },
    {
      op: "updateShopGroup",
      groupAdmin: true,
      prepare: async () => ({ id: "SG01", input: { name: `Shop group A ${fresh("n")}` } }),
      applied: async (v) => (await repo.groups().findOneByOrFail({ id: "SG01" })).name === v.input.name,
    },
    {
      op: "deleteShopGroup",
      groupAdmin: false,
      prepare: async () => ({ id: await seedGroup() }),
      applied: async (v) => !(await exists(repo.groups, { id: v.id })),
    },
    {
      op: "createShop",
      groupAdmin: false,
      prepare: async () => ({ input: { id: fresh("AS"), name: "New shop", shopGroupId: "SG01" } }),
      applied: (v) => exists(repo.shops, { id: v.input.id }),
    },
    {
      op: "updateShop",
      groupAdmin: false,
      prepare: async () => ({ id: await seedShop("SG01"), input: { name: "Corrected" } }),
      applied: async (v) => (await repo.shops().findOneByOrFail({ id: v.id })).name === "Corrected",
    },
    {
      op: "moveShopToGroup",
      groupAdmin: false,
      prepare: async () => ({ shopId: await seedShop("SG01"), shopGroupId: "SG02" }),
      applied: async (v) => (await repo.shops().findOneByOrFail({ id: v.shopId })).shopGroupId === "SG02",
    },
    {
      op: "deleteShop",
      groupAdmin: false,
      prepare: async () => ({ id: await seedShop("SG01") }),
      applied: async (v) => !(await exists(repo.shops, { id: v.id })),
    },
    {
      op: "createService",
      groupAdmin: false,
      prepare: async () => ({ input: { id: fresh("AV"), name: "New service" } }),
      applied: (v) => exists(repo.services, { id: v.input.id }),
    },
    {
      op: "updateService",
      groupAdmin: false,
      prepare: async () => ({ id: await seedService(), input: { name: "Corrected" } }),
      applied: async (v) => (await repo.services().findOneByOrFail({ id: v.id })).name === "Corrected",
    },
    {
      op: "deleteService",
      groupAdmin: false,
      prepare: async () => ({ id: await seedService() }),
      applied: async (v) => !(await exists(repo.services, { id: v.id })),
    },
    {
      op: "createProduct",
      groupAdmin: false,
      prepare: async () => ({ input: { id: fresh("AP"), name: "New product" } }),
      applied: (v) => exists(repo.products, { id: v.input.id }),
    },
    {
      op: "updateProduct",
      groupAdmin: false,
      prepare: async () => ({ id: await seedProduct(), input: { name: "Corrected" } }),
      applied: async (v) => (await repo.products().findOneByOrFail({ id: v.id })).name === "Corrected",
    },
    {
      op: "deleteProduct",
      groupAdmin: false,
      prepare: async () => ({ id: await seedProduct() }),
      applied: async (v) => !(await exists(repo.products, { id: v.id })),
    },
    {
      op: "createTemplate",
      groupAdmin: true,
      prepare: async () => ({
        input: { id: fresh("AT"), name: "New template", serviceId: await seedService(), shopGroupId: "SG01", productIds: ["P01", "P02"] },
      }),
      applied: (v) => exists(repo.templates, { id: v.input.id }),
    },
    {
      op: "updateTemplate",
      groupAdmin: true,
      prepare: async () => ({ id: await seedTemplate({ shopGroupId: "SG01" }), input: { name: "Corrected", productIds: ["P02"] } }),
      applied: async (v) => (await repo.templates().findOneByOrFail({ id: v.id })).name === "Corrected" && (await productsOf(v.id)).join() === "P02",
    },
    {
      op: "setTemplateProducts",
      // A template of one of group A's shops: group-a manages it too.
      groupAdmin: true,
      prepare: async () => ({ templateId: await seedTemplate({ shopId: "SP02" }), productIds: ["P03", "P01"] }),
      applied: async (v) => (await productsOf(v.templateId)).join() === "P03,P01",
    },
    {
      op: "setTemplateExcludedShops",
      groupAdmin: true,
      prepare: async () => ({ templateId: await seedTemplate({ shopGroupId: "SG01" }), shopIds: ["SP02"] }),
      applied: async (v) => (await repo.excluded().findBy({ templateId: v.templateId })).map((e) => e.shopId).join() === "SP02",
    },
    {
      op: "deleteTemplate",
      groupAdmin: true,
      prepare: async () => ({ id: await seedTemplate({ shopGroupId: "SG01" }) }),
      applied: async (v) => !(await exists(repo.templates, { id: v.id })),
    },
    {
      op: "createChargedImage",
      groupAdmin: false,
      prepare: async () => ({ input: { imageId: fresh("AI"), feePerSheet: 7, rightsHolder: "Holder" } }),
      applied: (v) => exists(repo.images, { imageId: v.input.imageId }),
    },
    {
      op: "updateChargedImage",
      groupAdmin: false,
      prepare: async () => ({ imageId: await seedImage(), input: { feePerSheet: 8 } }),
      applied: async (v) => (await repo.images().findOneByOrFail({ imageId: v.imageId })).feePerSheet === 8,
    },
    {
      op: "deleteChargedImage",
      groupAdmin: false,
      prepare: async () => ({ imageId: await seedImage() }),
      applied: async (v) => !(await exists(repo.images, { imageId: v.imageId })),
    },
  ];

  const operations = rows.map((row) => ({
    ...row,
    send: (variables: Record<string, any>, bearer: string | null) => graphqlAttempt(c, OPS[row.op], row.op, variables, bearer),
    whenAllowed: (attempt: Attempt<GqlResult<any>>) => {
      expect(expectCleanPayload(attempt, row.op)[ENTITY[row.op]]).not.toBeNull();
    },
  }));
  const callers: Array<MatrixCaller<(typeof operations)[number]>> = [
    ["anonymous", () => null, "UNAUTHENTICATED"],
    ["customer", () => t.customer, "FORBIDDEN"],
    ["shop admin (shop-1, SP01 in SG01)", () => t.shop1, "FORBIDDEN"],
    ["shop admin of another shop (shop-3)", () => t.shop3, "FORBIDDEN"],
    ["group admin of another group (group-b)", () => t.groupB, "FORBIDDEN"],
    ["lab key", () => LAB01_KEY, "FORBIDDEN"],
    ["group admin in scope (group-a)", () => t.groupA, (row) => (row.groupAdmin ? "allowed" : "FORBIDDEN")],
    ["center admin", () => t.center, "allowed"],
  ];

  for (const cell of authzMatrix({ operations, callers, snapshot })) it(cell.title, cell.run);

  it("covers every mutation of catalog management, and each is in the schema", async () => {
    const declared = getMetadataStorage()
      .mutations.filter((m) => m.target === CatalogAdminResolver)
      .map((m) => m.schemaName);
    expect(declared.sort()).toEqual(rows.map((x) => x.op).sort());
    const inSchema = Object.keys((await appSchema()).getMutationType()!.getFields());
    expect(inSchema).toEqual(expect.arrayContaining(declared));
  });
});
