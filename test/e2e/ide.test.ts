/**
 * The admins' GraphQL IDE, driven in a real headless Chromium against the real center: the page
 * loads with nothing from outside the center's origin, runs `{ me { login } }` with a bearer token
 * typed in its headers editor, and sends subscriptions over graphql-ws with that token.
 *
 * Needs Debian's chromium (/usr/bin/chromium); without it the browser tests are skipped.
 */
import { CHROMIUM, haveChromium, launchChromium } from "../support/browser";
import "reflect-metadata";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { DataSource } from "typeorm";
import { loadConfig } from "../../src/config";
import { UserEntity } from "../../src/identity/user.entity";
import { NotificationEntity } from "../../src/notifications/notification.entity";
import { hashPassword } from "../../src/identity/passwords";
import { Role } from "../../src/identity/role";
import { createServer, type RunningServer } from "../../src/server";
import { openTestDatabase } from "../support/database";
import { CENTER_NODE_ENV } from "../support/env";
import { until } from "../support/until";

const describeInBrowser = haveChromium ? describe : describe.skip;
const browserSuite = haveChromium
  ? "GraphQL IDE in headless Chromium"
  : `GraphQL IDE in headless Chromium — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`;

const SCREENSHOT = "/tmp/ide.png";

let ds: DataSource;
let closeDb: () => Promise<void>;
let dataDir: string;
let server: RunningServer;
let token: string;

function centerConfig(extra: Record<string, string> = {}) {
  return loadConfig({
    DATABASE_URL: "sqlite::memory:",
    PORT: "0",
    JWT_SECRET: "x".repeat(40),
    NODE_ENV: CENTER_NODE_ENV,
    DATA_DIR: dataDir,
    // The IDE needs introspection; both are off by default in production configuration.
    GRAPHQL_IDE: "1",
    GRAPHQL_INTROSPECTION: "1",
    ...extra,
  });
}

async function postGraphql(query: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  return res.json();
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-ide-"));
  ({ ds, close: closeDb } = await openTestDatabase());
  await ds.getRepository(UserEntity).insert({
    id: "U1",
    login: "center",
    name: "Center",
    role: Role.CENTER_ADMIN,
    shopGroupId: null,
    shopId: null,
    passwordHash: await hashPassword("center-pass-1"),
    disabled: false,
    createdAt: new Date(),
    updatedAt: new Date(),
  });
  server = await createServer(centerConfig(), { ds });
  const body = (await postGraphql('mutation { login(login: "center", password: "center-pass-1") { token } }')) as {
    data?: { login?: { token?: string | null } };
  };
  const t = body.data?.login?.token;
  if (!t) throw new Error(`login failed: ${JSON.stringify(body)}`);
  token = t;
});

afterAll(async () => {
  await server?.stop();
  await closeDb?.();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("GET /graphql without a browser", () => {
  it("serves the IDE to a browser, with a strict Content-Security-Policy", async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain("<title>Printmesh GraphQL IDE</title>");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
  });

  it("leaves GraphQL GET queries and JSON clients to Apollo", async () => {
    const query = encodeURIComponent("{ me { login } }");
    const get = await fetch(`${server.url}/graphql?query=${query}`, {
      // A browser's Accept header, and the header that gets a GET past Apollo's CSRF prevention.
      headers: { accept: "text/html,*/*;q=0.8", "apollo-require-preflight": "true" },
    });
    expect(get.headers.get("content-type")).toMatch(/json/);
    expect(await get.json()).toEqual({ data: { me: null } });

    const json = await fetch(`${server.url}/graphql`, { headers: { accept: "application/json" } });
    expect(json.headers.get("content-type") ?? "").not.toMatch(/^text\/html/);
    expect(await json.text()).not.toContain("Printmesh GraphQL IDE");
  });

  it("does not serve the IDE or its assets with GRAPHQL_IDE=0", async () => {
    const off = await createServer(centerConfig({ GRAPHQL_IDE: "0" }), { ds });
    try {
      const page = await fetch(`${off.url}/graphql`, { headers: { accept: "text/html" } });
      expect(page.headers.get("content-type") ?? "").not.toMatch(/^text\/html/);
      expect(await page.text()).not.toContain("Printmesh GraphQL IDE");

      // The asset URLs of the running IDE do not exist on a center without it.
      const html = await (await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } })).text();
      const asset = /src="(\/graphql\/ide\/[^"]+\/graphiql\.min\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
      expect((await fetch(`${off.url}${asset}`)).status).not.toBe(200);
    } finally {
      await off.stop();
    }
  });
});

describeInBrowser(browserSuite, () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  /** Requests and WebSockets to anywhere but the center. */
  const foreign: string[] = [];
  /** Console errors (failed loads, CSP violations) and uncaught exceptions. */
  const pageErrors: string[] = [];
  /** Every GraphQL POST the IDE made, with the headers it sent. */
  const posts: Array<{ headers: Record<string, string>; body: string }> = [];
  /** Frames the IDE sent over its WebSockets. */
  const wsFrames: string[] = [];

  beforeAll(async () => {
    origin = new URL(server.url).origin;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on("request", (r) => {
      const url = r.url();
      // data: URLs (GraphiQL's embedded fonts) never leave the browser.
      if (!url.startsWith("data:") && new URL(url).origin !== origin) foreign.push(url);
      if (r.method() === "POST" && new URL(url).pathname === "/graphql") posts.push({ headers: r.headers(), body: r.postData() ?? "" });
    });
    page.on("websocket", (ws) => {
      const u = new URL(ws.url());
      if (u.host !== new URL(origin).host || u.pathname !== "/graphql") foreign.push(ws.url());
      ws.on("framesent", (f) => wsFrames.push(typeof f.payload === "string" ? f.payload : f.payload.toString("utf8")));
    });
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(`uncaught: ${e.message}`));

    await page.goto(`${server.url}/graphql`);
    await page.locator(".graphiql-query-editor .CodeMirror").waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
  });

  // GraphiQL 3's CodeMirror 5 editors; the hidden one of variables/headers is not the target.
  const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
  const RESULT_EDITOR = ".graphiql-response .CodeMirror";
  const HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";

  /** What an editor holds, read from CodeMirror itself (its DOM only renders the visible lines). */
  function editorValue(selector: string): Promise<string> {
    return page.evaluate<string>(`document.querySelector(${JSON.stringify(selector)}).CodeMirror.getValue()`);
  }

  /** Replaces an editor's text as a person would: click, select all, type. */
  async function typeInto(selector: string, text: string): Promise<void> {
    await page.locator(selector).click();
    await page.keyboard.press("Control+A");
    // insertText types the text in one input event, so CodeMirror's bracket auto-closing does not double the braces.
    await page.keyboard.insertText(text);
    expect(await editorValue(selector)).toBe(text);
  }

  async function run(): Promise<void> {
    await page.locator(".graphiql-execute-button").click();
  }

  /** The result pane's text once it contains `needle`. */
  async function waitForResult(needle: string): Promise<string> {
    // Polled from here: page.waitForFunction with a string polls through eval, which the page's CSP forbids.
    let value = "";
    await until(`the result to contain ${needle}`, async () => (value = await editorValue(RESULT_EDITOR)).includes(needle), {
      timeoutMs: 10_000,
      intervalMs: 100,
      detail: () => value,
    });
    return value;
  }

  it("opens on the default query, with how to log in", async () => {
    expect(await page.title()).toBe("Printmesh GraphQL IDE");
    const query = await editorValue(QUERY_EDITOR);
    expect(query).toContain('login(login: "...", password: "...")');
    expect(query).toContain('{"Authorization": "Bearer <token>"}');
    expect(query).toMatch(/me \{\s+login\s+role\s+\}/);
  });

  it("runs { me { login } } with the Authorization header typed in the headers editor", async () => {
    await typeInto(QUERY_EDITOR, "{ me { login } }");
    await page.getByRole("button", { name: "Headers", exact: true }).click();
    await typeInto(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }));
    await run();

    const result = await waitForResult('"login": "center"');
    expect(JSON.parse(result)).toEqual({ data: { me: { login: "center" } } });
    await page.screenshot({ path: SCREENSHOT });

    // The IDE itself sent it: a JSON POST (what Apollo's CSRF prevention lets through) with the header.
    const sent = posts.find((p) => p.body.includes("me { login }"));
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["authorization"]).toBe(`Bearer ${token}`);

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("runs a subscription over graphql-ws with the typed Authorization header, and shows its events", async () => {
    const query = "subscription { notifications { kind message } }";
    // Run at once after typing: the IDE must not rely on GraphiQL's debounced parse of the editor.
    await typeInto(QUERY_EDITOR, query);
    await run();

    // The IDE sends the typed header in connection_init, then the operation, over /graphql.
    const sent = () => wsFrames.map((f) => JSON.parse(f) as { type: string; payload?: Record<string, unknown> });
    await until("the subscribe message", () => sent().some((m) => m.type === "subscribe" && m.payload?.query === query), {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(sent().find((m) => m.type === "connection_init")?.payload).toEqual({ authorization: `Bearer ${token}` });
    expect(posts.some((p) => p.body.includes("notifications {"))).toBe(false);

    // A notice for the logged-in admin, rung until the center's subscription (set up a moment after
    // the subscribe message arrives) has picked it up.
    const notificationId = "N-ide-1";
    await ds.getRepository(NotificationEntity).insert({
      id: notificationId,
      userId: "U1",
      kind: "TEST",
      message: "Hello from the IDE test",
      actorUserId: null,
      createdAt: new Date(),
      readAt: null,
    });
    const shown = () => editorValue(RESULT_EDITOR).then((v) => v.includes("Hello from the IDE test"));
    await until(
      "the notice in the result pane",
      async () => {
        server.app.events.publish("notification", "U1", { notificationId });
        return shown();
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(JSON.parse(await editorValue(RESULT_EDITOR))).toEqual({ data: { notifications: { kind: "TEST", message: "Hello from the IDE test" } } });

    // The run button stops a running subscription.
    await run();
    await page.locator(".graphiql-execute-button[aria-label^='Execute']").waitFor();

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("shows the center's refusal of a bad token on the WebSocket", async () => {
    await typeInto(HEADERS_EDITOR, JSON.stringify({ Authorization: "Bearer not-a-token" }));
    await run();
    expect(await waitForResult("refused the WebSocket")).toContain("4403");
    const inits = wsFrames.map((f) => JSON.parse(f) as { type: string; payload?: unknown }).filter((m) => m.type === "connection_init");
    expect(inits.at(-1)?.payload).toEqual({ authorization: "Bearer not-a-token" });

    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
