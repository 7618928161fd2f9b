/**
 * Who may read GET /metrics: open in development, off on the public port in production unless
 * METRICS_TOKEN guards it, and on a listener of its own with METRICS_PORT.
 */
import { startCenter, type TestCenter } from "../support/center";

const TOKEN = "metrics-token-0123456789abcdef";

async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, text: await res.text() };
}

describe("GET /metrics", () => {
  const centers: TestCenter[] = [];
  const start = async (env: Record<string, string>) => {
    const c = await startCenter({ env, bundle: null });
    centers.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of centers) await c.stop();
  });

  it("in production without METRICS_TOKEN or METRICS_PORT answers 404 on the public port", async () => {
    const c = await start({ NODE_ENV: "production", METRICS_TOKEN: "", METRICS_PORT: "" });
    expect(c.server.metricsUrl).toBeNull();
    const r = await get(`${c.url}/metrics`);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain("printmesh_");
    expect((await get(`${c.url}/healthz`)).status).toBe(200);
  });

  it("with METRICS_TOKEN answers 401 without the bearer token or with another, 200 with it", async () => {
    const c = await start({ NODE_ENV: "production", METRICS_TOKEN: TOKEN, METRICS_PORT: "" });
    expect(c.server.metricsUrl).toBe(`${c.url}/metrics`);
    const none = await get(`${c.url}/metrics`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toEqual({ error: "metrics need Authorization: Bearer <METRICS_TOKEN>" });
    expect((await get(`${c.url}/metrics`, TOKEN.slice(0, -1) + "X")).status).toBe(401);
    expect((await get(`${c.url}/metrics`, TOKEN + "0")).status).toBe(401);
    const ok = await get(`${c.url}/metrics`, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^# HELP printmesh_/m);
  });

  it("with METRICS_PORT serves them on their own loopback listener and not on the public port", async () => {
    const c = await start({ NODE_ENV: "production", METRICS_PORT: "0", METRICS_TOKEN: "" });
    const url = c.server.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(url).not.toBe(`${c.url}/metrics`);
    expect((await get(`${c.url}/metrics`)).status).toBe(404);
    const ok = await get(url);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^# HELP printmesh_/m);
    expect((await get(url.replace(/\/metrics$/, "/graphql"))).status).toBe(404);
  });

  it("with both, the own listener asks for the token too", async () => {
    const c = await start({ NODE_ENV: "production", METRICS_PORT: "0", METRICS_TOKEN: TOKEN });
    expect((await get(`${c.url}/metrics`, TOKEN)).status).toBe(404);
    expect((await get(c.server.metricsUrl!)).status).toBe(401);
    expect((await get(c.server.metricsUrl!, TOKEN)).status).toBe(200);
  });

  it("in development stays open on the public port", async () => {
    const c = await start({ NODE_ENV: "development", METRICS_TOKEN: "", METRICS_PORT: "" });
    const ok = await get(`${c.url}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/^# HELP printmesh_/m);
  });

  it("stops its own listener with the center", async () => {
    const c = await start({ NODE_ENV: "production", METRICS_PORT: "0", METRICS_TOKEN: "" });
    const url = c.server.metricsUrl!;
    expect((await get(url)).status).toBe(200);
    await c.server.stop();
    await expect(fetch(url)).rejects.toThrow();
  });
});
