/**
 * Relay connections beside the contract's plain lists: notices and price history a page at a time,
 * newest first, the id breaking ties between rows of the same instant, opaque cursors, bounded
 * `first`, and each caller's scope kept on every page.
 */
import { startCenter, type TestCenter } from "../support/center";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { PriceHistoryEntity } from "../../src/pricing/price-history.entity";
import { LabLoadReportEntity } from "../../src/labs/lab-report.entity";

let c: TestCenter;
const t: Record<string, string> = {};
const AT = new Date("2026-04-01T09:00:00Z");

type LoadPage = { edges: Array<{ node: { queuedJobs: number } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
type Page = { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

beforeAll(async () => {
  c = await startCenter();
  t.shop1 = await c.login("shop-1", "shop-1-pass");
  t.shop2 = await c.login("shop-2", "shop-2-pass");
  t.groupA = await c.login("group-a", "group-a-pass");
  t.groupB = await c.login("group-b", "group-b-pass");
  t.customer = await c.login("customer", "customer-pass");
  t.center = await c.login("center", "center-pass-1");
  // Seven notices of shop 1's admin, three of them at one instant (the id breaks the tie), one read.
  const notices = Array.from({ length: 7 }, (_, i) => ({
    id: `N-${String(i).padStart(2, "0")}`,
    userId: "U001",
    kind: "PRICE_CHANGED",
    message: `notice ${i}`,
    actorUserId: null,
    createdAt: new Date(AT.getTime() + Math.min(i, 4) * 1000),
    readAt: i === 1 ? AT : null,
  }));
  await c.ds.getRepository(NotificationEntity).insert(notices);
  await c.ds.getRepository(NotificationEntity).insert({ ...notices[0], id: "N-OTHER", userId: "U002" });
  // Five changes to group B's price of P05, two at one instant.
  await c.ds.getRepository(PriceHistoryEntity).insert(
    Array.from({ length: 5 }, (_, i) => ({
      id: `H-${i}`,
      entityKind: "PRICE_ROW",
      entityId: "PR-X",
      productId: "P05",
      shopGroupId: "SG02",
      shopId: null,
      action: "UPDATED",
      actorUserId: "U020",
      at: new Date(AT.getTime() + Math.min(i, 3) * 1000),
      before: null,
      after: null,
    })),
  );
  // Four load reports of LAB01, two at one instant.
  await c.ds.getRepository(LabLoadReportEntity).insert(
    Array.from({ length: 4 }, (_, i) => ({
      id: `L-${i}`,
      labId: "LAB01",
      reportedAt: new Date(AT.getTime() + Math.min(i, 2) * 1000),
      queuedJobs: i,
      queuedSheets: i * 10,
      utilisation: i / 10,
    })),
  );
});
afterAll(async () => {
  await c?.stop();
});

async function all(query: string, field: string, token: string, first: number): Promise<{ ids: string[]; pages: Page[] }> {
  const pages: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const r = await c.gql(query, { first, after }, token);
    expect(r.errors).toBeUndefined();
    const page = r.data![field] as Page;
    pages.push(page);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { ids: pages.flatMap((p) => p.edges.map((e) => e.node.id)), pages };
}

describe("notificationsConnection", () => {
  const Q = `query($first: Int, $after: String) { notificationsConnection(first: $first, after: $after) { edges { cursor node { id read } } pageInfo { hasNextPage endCursor } } }`;

  it("pages the caller's notices newest first, the id breaking ties, each once", async () => {
    const { ids, pages } = await all(Q, "notificationsConnection", t.shop1, 2);
    expect(ids).toEqual(["N-06", "N-05", "N-04", "N-03", "N-02", "N-01", "N-00"]);
    expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 2, 1]);
    expect(pages[3].pageInfo).toEqual({ hasNextPage: false, endCursor: pages[3].edges[0].cursor });
    // The same order as the contract's plain list.
    const plain = await c.gql(`{ notifications(first: 50) { id } }`, {}, t.shop1);
    expect(plain.data!.notifications.map((n: { id: string }) => n.id)).toEqual(ids);
  });

  it("filters unread notices, shows each caller only theirs, and refuses bad bounds and cursors", async () => {
    const unread = await c.gql(`{ notificationsConnection(unreadOnly: true, first: 100) { edges { node { id } } } }`, {}, t.shop1);
    expect(unread.data!.notificationsConnection.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain("N-01");
    expect(unread.data!.notificationsConnection.edges).toHaveLength(6);
    expect((await all(Q, "notificationsConnection", t.shop2, 10)).ids).toEqual(["N-OTHER"]);
    expect((await all(Q, "notificationsConnection", t.customer, 10)).ids).toEqual([]);
    for (const first of [0, 101]) {
      const r = await c.gql(Q, { first }, t.shop1);
      expect([first, r.errors![0].extensions!.code]).toEqual([first, "BAD_USER_INPUT"]);
    }
    const bad = await c.gql(Q, { first: 2, after: "not-a-cursor" }, t.shop1);
    expect(bad.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect((await c.gql(Q, { first: 2 })).errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("priceHistoryConnection", () => {
  const Q = `query($first: Int, $after: String) { priceHistoryConnection(productId: "P05", shopGroupId: "SG02", first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;

  it("pages the history newest first for admins in scope, and shows none to another group's admin", async () => {
    const { ids } = await all(Q, "priceHistoryConnection", t.groupB, 2);
    expect(ids).toEqual(["H-4", "H-3", "H-2", "H-1", "H-0"]);
    expect((await all(Q, "priceHistoryConnection", t.groupA, 2)).ids).toEqual([]);
    expect((await c.gql(Q, { first: 2 }, t.customer)).errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("labLoadHistoryConnection", () => {
  const Q = `query($first: Int, $after: String) { labLoadHistoryConnection(labId: "LAB01", first: $first, after: $after) { edges { cursor node { queuedJobs } } pageInfo { hasNextPage endCursor } } }`;

  it("pages a lab's load reports newest first for admins in scope only", async () => {
    for (const who of ["center", "shop1", "groupA"]) {
      const pages: number[][] = [];
      let after: string | null = null;
      for (;;) {
        const r = await c.gql<{ labLoadHistoryConnection: LoadPage }>(Q, { first: 3, after }, t[who]);
        expect(r.errors).toBeUndefined();
        const page: LoadPage = r.data!.labLoadHistoryConnection;
        pages.push(page.edges.map((e) => e.node.queuedJobs));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect([who, pages]).toEqual([who, [[3, 2, 1], [0]]]);
    }
    for (const who of ["shop2", "groupB"]) {
      const r = await c.gql(Q, { first: 3 }, t[who]);
      expect([who, r.data?.labLoadHistoryConnection ?? null, r.errors![0].extensions!.code]).toEqual([who, null, "FORBIDDEN"]);
    }
  });
});
