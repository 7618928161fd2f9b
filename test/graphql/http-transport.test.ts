import * as http from "node:http";
import { startCenter, type TestCenter } from "../support/center";

let c: TestCenter;
let token: string;

beforeAll(async () => {
  c = await startCenter();
  token = await c.login("center", "center-pass-1");
});

afterAll(async () => {
  await c.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A raw HTTP request: the body written as given (in chunks when `chunked`), headers as given. */
function send(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: string | Buffer,
  opts: { chunked?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, c.url), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (b: Buffer) => chunks.push(b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (opts.chunked) {
      const b = Buffer.from(body);
      req.write(b.subarray(0, 5));
      setTimeout(() => req.end(b.subarray(5)), 20);
    } else req.end(body);
  });
}

const ME = JSON.stringify({ query: "{ me { login role } }" });
const json = (body: string, extra: Record<string, string | number> = {}) => ({
  "content-type": "application/json",
  "content-length": Buffer.byteLength(body),
  authorization: `Bearer ${token}`,
  ...extra,
});
/** POST /graphql with a JSON body of a declared length. */
const post = (body: string, extra: Record<string, string | number> = {}): Promise<Answer> => send("POST", "/graphql", json(body, extra), body);

describe("POST /graphql with a JSON body, straight to Apollo", () => {
  it("answers with Apollo's status, headers and body, and the request id", async () => {
    const r = await post(ME, { "x-request-id": "req-42.a_b" });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ data: { me: { login: "center", role: "CENTER_ADMIN" } } });
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(r.text)));
    expect(r.headers["x-request-id"]).toBe("req-42.a_b");
    // Express would have added its ETag and its own headers; this answer did not go through it.
    expect(r.headers.etag).toBeUndefined();
    // A request id that is not a plain token is replaced by a new one.
    const odd = await post(ME, { "x-request-id": "a b<script>" });
    expect(odd.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps Apollo's answers for a bad credential (401) and for an operation it refuses (400)", async () => {
    const bad = await post(ME, { authorization: "Bearer not-a-token" });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const batch = JSON.stringify([{ query: "{ me { login } }" }]);
    const batched = await post(batch);
    expect(batched.status).toBe(400);
    const unknown = await post(JSON.stringify({ query: "{ nothingHere }" }));
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers a body that is not JSON with 400 naming the fault, and the center goes on", async () => {
    const r = await post("{ not json");
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text);
    expect(body.errors[0].extensions.code).toBe("BAD_REQUEST");
    expect(body.errors[0].message).toMatch(/^The request body is not valid JSON: /);
    expect((await post(ME)).status).toBe(200);
  });

  it("survives a client that hangs up in the middle of its body", async () => {
    await new Promise<void>((resolve) => {
      const req = http.request(new URL("/graphql", c.url), { method: "POST", headers: json(ME) });
      req.on("error", () => resolve());
      req.write(ME.slice(0, 5));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect(JSON.parse((await post(ME)).text).data.me.login).toBe("center");
  });
});

describe("what still goes through Express", () => {
  it("a body without Content-Length (chunked), answered the same", async () => {
    const r = await send("POST", "/graphql", { "content-type": "application/json", authorization: `Bearer ${token}` }, ME, { chunked: true });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ data: { me: { login: "center", role: "CENTER_ADMIN" } } });
    expect(r.headers.etag).toBeDefined();
  });

  it("a body longer than the limit: 413, before it is read, as JSON without a stack in any configuration", async () => {
    const big = JSON.stringify({ query: "{ me { login } }", variables: { pad: "x".repeat(1024 * 1024) } });
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(r.text)).toEqual({
      errors: [{ message: "The request body is larger than 1048576 bytes (1 MiB)", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
  });

  it("another charset, refused as before (415), as JSON without a stack", async () => {
    const r = await post(ME, { "content-type": "application/json; charset=latin1" });
    expect(r.status).toBe(415);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(r.text)).toEqual({ errors: [{ message: 'unsupported charset "LATIN1"', extensions: { code: "BAD_REQUEST" } }] });
  });

  it("a GET query with the preflight header, and health", async () => {
    const r = await send("GET", `/graphql?query=${encodeURIComponent("{ me { login } }")}`, {
      authorization: `Bearer ${token}`,
      "apollo-require-preflight": "1",
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ data: { me: { login: "center" } } });
    expect((await send("GET", "/healthz", {})).status).toBe(200);
  });
});
