/**
 * GRAPHQL_HTTP_LANE: with `center` (the default) a plain POST is answered by the center's own
 * runner, with `apollo` by Apollo's pipeline; the answer is the same either way. Who answered shows
 * only in the lane counter (`printmesh_graphql_http_requests_total{lane}`), which each lane counts.
 */
import { startCenter, WORKED_EXAMPLE_ORDER, type TestCenter } from "../support/center";

const QUOTE = `query Quote($input: OrderInput!) { quote(input: $input) { errors { code field } quote { shopId total } } }`;

async function lanes(c: TestCenter): Promise<{ direct: number; apollo: number }> {
  const values = (await c.server.metrics.httpLanes.get()).values;
  const of = (lane: string): number => values.find((v) => v.labels.lane === lane)?.value ?? 0;
  return { direct: of("direct"), apollo: of("apollo") };
}

/** A plain POST (JSON, Content-Length, a credential): the status, the body and who answered it. */
async function plainPost(c: TestCenter, token: string, body: object): Promise<{ status: number; text: string; lane: "direct" | "apollo" | "none" }> {
  const before = await lanes(c);
  const r = await fetch(`${c.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  const after = await lanes(c);
  const lane =
    after.direct === before.direct + 1 && after.apollo === before.apollo
      ? "direct"
      : after.apollo === before.apollo + 1 && after.direct === before.direct
        ? "apollo"
        : "none";
  return { status: r.status, text, lane };
}

describe.each([
  ["center", "direct"],
  ["apollo", "apollo"],
] as const)("GRAPHQL_HTTP_LANE=%s", (lane, answeredBy) => {
  let c: TestCenter;
  let token: string;

  beforeAll(async () => {
    c = await startCenter({ env: { GRAPHQL_HTTP_LANE: lane } });
    token = await c.login("customer", "customer-pass");
  });

  afterAll(async () => {
    await c.stop();
  });

  it(`a plain query is answered by ${answeredBy}`, async () => {
    const r = await plainPost(c, token, { query: "{ me { login role } }" });
    expect(r).toEqual({ status: 200, text: '{"data":{"me":{"login":"customer","role":"GENERAL_USER"}}}', lane: answeredBy });
  });

  it(`a quote is answered by ${answeredBy}, with the same total`, async () => {
    const r = await plainPost(c, token, { query: QUOTE, variables: { input: WORKED_EXAMPLE_ORDER } });
    expect(r).toEqual({ status: 200, text: '{"data":{"quote":{"errors":[],"quote":{"shopId":"SP01","total":1050}}}}', lane: answeredBy });
  });

  it("a request with a syntax error is Apollo's in either lane", async () => {
    const r = await plainPost(c, token, { query: "{ me { login " });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
  });
});
