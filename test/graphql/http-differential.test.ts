/**
 * The differential mode of plain HTTP requests (GRAPHQL_HTTP_DIFFERENTIAL=1): each request the
 * center's own runner answers is answered by Apollo too, replaying the runner's execution, and a
 * difference answers 500 HTTP_LANE_DIFFERENCE. First the mechanism, on a small schema with a
 * runner made to answer differently from Apollo; then the center itself, where a mutation runs
 * once and every answer passes.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, specifiedRules, type GraphQLFormattedError } from "graphql";
import pino from "pino";
import { compiledExecution, compiledOperations } from "../../src/graphql/compiled-execution";
import type { RequestContext } from "../../src/core/request-context";
import { DocumentCache } from "../../src/graphql/document-cache";
import { replayingOperations } from "../../src/graphql/http-differential";
import { httpOperations } from "../../src/graphql/http-operations";
import { graphqlHttp } from "../../src/graphql/http-transport";
import { ShopGroupEntity } from "../../src/catalog/shop-group.entity";
import { startCenter, type TestCenter } from "../support/center";

describe("the mechanism, on a small schema", () => {
  let executions = 0;
  let server: http.Server;
  let url: string;
  let apollo: ApolloServer<RequestContext>;
  const differences: Array<{ why: string; direct: unknown; apollo: unknown }> = [];
  /** How the runner formats an error; Apollo always formats as `plain`. */
  let runnerFormat: (f: GraphQLFormattedError) => GraphQLFormattedError;
  let runnerFails = false;
  const plain = (f: GraphQLFormattedError) => f;

  beforeAll(async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: "Query",
        fields: {
          hello: { type: GraphQLString, resolve: () => `world ${++executions}` },
          refused: {
            type: GraphQLString,
            resolve: () => {
              executions++;
              throw new GraphQLError("Not allowed", { extensions: { code: "FORBIDDEN" } });
            },
          },
        },
      }),
    });
    const operations = compiledOperations(schema);
    apollo = new ApolloServer<RequestContext>({
      gateway: compiledExecution(schema, replayingOperations(operations)),
      formatError: plain,
      stringifyResult: (r) => JSON.stringify(r),
    });
    await apollo.start();
    const context = async (req: http.IncomingMessage, requestId: string) =>
      ({ auth: { kind: "anonymous" }, requestId, ip: "local", memo: new Map() }) as unknown as RequestContext;
    const direct = httpOperations({
      schema,
      documents: new DocumentCache({ maxEntries: 10, maxChars: 10_000, maxTokens: 1000 }),
      rules: specifiedRules,
      operations,
      context,
      formatError: (f) => runnerFormat(f),
      errorPlugins: [],
      keepReplay: true,
      record: () => {
        if (runnerFails) throw new Error("the runner broke after executing");
      },
    });
    const handle = graphqlHttp({
      apollo,
      path: "/graphql",
      bodyLimit: 10_000,
      context,
      logger: pino({ level: "silent" }),
      direct,
      differential: { differs: (_id, why, d, a) => differences.push({ why, direct: d, apollo: a }) },
    });
    server = http.createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await apollo.stop();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    differences.length = 0;
    runnerFormat = plain;
    runnerFails = false;
  });

  const post = async (query: string) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
  };

  it("answers alike pass, each operation executed once", async () => {
    const before = executions;
    expect(await post("{ hello }")).toEqual({ status: 200, type: "application/json; charset=utf-8", body: `{"data":{"hello":"world ${before + 1}"}}` });
    const refused = await post("{ refused }");
    expect([refused.status, JSON.parse(refused.body).errors[0].extensions.code]).toEqual([200, "FORBIDDEN"]);
    expect(executions).toBe(before + 2);
    expect(differences).toEqual([]);
  });

  it("an error the runner formats otherwise: 500 HTTP_LANE_DIFFERENCE, both answers reported, executed once", async () => {
    runnerFormat = (f) => ({ ...f, message: f.message + "!" });
    const before = executions;
    const r = await post("{ refused }");
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body)).toEqual({
      errors: [{ message: "The center's HTTP lane and Apollo answered differently: the answers differ in body", extensions: { code: "HTTP_LANE_DIFFERENCE" } }],
    });
    expect(executions).toBe(before + 1);
    expect(differences).toHaveLength(1);
    expect(differences[0].direct).toMatchObject({ status: 200, body: expect.stringContaining('"message":"Not allowed!"') });
    expect(differences[0].apollo).toMatchObject({ status: 200, body: expect.stringContaining('"message":"Not allowed"') });
  });

  it("a runner that fails after executing: a difference, and Apollo does not execute again", async () => {
    runnerFails = true;
    const before = executions;
    const r = await post("{ hello }");
    expect([r.status, JSON.parse(r.body).errors[0].extensions.code]).toEqual([500, "HTTP_LANE_DIFFERENCE"]);
    expect(executions).toBe(before + 1);
    expect(differences.map((d) => d.why)).toEqual(["the center's runner failed: the runner broke after executing"]);
  });
});

describe("the center in differential mode", () => {
  let c: TestCenter;
  beforeAll(async () => {
    c = await startCenter({ env: { GRAPHQL_HTTP_DIFFERENTIAL: "1" } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const counts = async () => {
    const lanes = (await c.server.metrics.httpLanes.get()).values;
    return {
      direct: lanes.find((v) => v.labels.lane === "direct")?.value ?? 0,
      apollo: lanes.find((v) => v.labels.lane === "apollo")?.value ?? 0,
      differences: (await c.server.metrics.httpLaneDifferences.get()).values[0]?.value ?? 0,
    };
  };

  it("a mutation runs once, its refusal and a query answer as ever; Apollo's replays are not counted", async () => {
    const token = await c.login("center", "center-pass-1");
    const customer = await c.login("customer", "customer-pass");
    const before = await counts();
    const CREATE = `mutation($input: CreateShopGroupInput!) { createShopGroup(input: $input) { shopGroup { id name } errors { code field } } }`;
    const made = await c.gql(CREATE, { input: { id: "SG09", name: "Differential" } }, token);
    // Had Apollo executed it again, its answer would be DUPLICATE_ID and the request a 500.
    expect([made.status, made.data]).toEqual([200, { createShopGroup: { shopGroup: { id: "SG09", name: "Differential" }, errors: [] } }]);
    const again = await c.gql(CREATE, { input: { id: "SG09", name: "Differential" } }, token);
    expect(again.data!.createShopGroup).toEqual({ shopGroup: null, errors: [{ code: "DUPLICATE_ID", field: ["input", "id"] }] });
    const refused = await c.gql(CREATE, { input: { id: "SG10", name: "Nope" } }, customer);
    expect([refused.status, refused.data, refused.errors!.map((e) => e.extensions!.code)]).toEqual([200, null, ["FORBIDDEN"]]);
    const me = await c.gql("{ me { login } }", {}, token);
    expect([me.status, me.data]).toEqual([200, { me: { login: "center" } }]);
    expect(await counts()).toEqual({ direct: before.direct + 4, apollo: before.apollo, differences: 0 });
    const groups = await c.ds.getRepository(ShopGroupEntity).find({ order: { id: "ASC" } });
    expect(groups.map((g) => g.id)).toEqual(["SG01", "SG02", "SG09"]);
  });
});
