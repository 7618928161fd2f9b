/**
 * An internal error, made on purpose by replacing a service method with one that throws (no public
 * operation fails that way): the center logs it with its stack and the request id, and answers it
 * masked as INTERNAL_SERVER_ERROR.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { PATENT_FIXTURE } from "../support/center";
import { openTestDatabase } from "../support/database";
import { CENTER_NODE_ENV } from "../support/env";
import { loadConfig } from "../../src/config";
import { createServer, type RunningServer } from "../../src/server";
import { importBundle } from "../../src/catalog/bundle-import.service";

const LAB01_KEY = "lab01-key-0123456789abcdef";

describe("internal errors", () => {
  it("are logged with their stack and the request id, and answered masked", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { ds, test, close } = await openTestDatabase();
    await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")), {});
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-log-"));
    const config = loadConfig({
      NODE_ENV: CENTER_NODE_ENV,
      DATABASE_URL: test.url,
      PORT: "0",
      JWT_SECRET: "y".repeat(40),
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    let server: RunningServer | null = null;
    try {
      server = await createServer(config, { ds, logger: pino({ level: "info" }, sink) });
      // A fault the center does not expect: the orders service fails in a way no code covers.
      server.services.orders.list = async () => {
        throw new Error("disk on fire");
      };
      const post = (requestId: string) =>
        fetch(`${server!.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": requestId, authorization: `Bearer ${LAB01_KEY}` },
          body: JSON.stringify({ query: "{ orders { edges { node { id } } } }" }),
        }).then((r) => r.json() as Promise<{ errors: Array<{ message: string; extensions: { code: string } }> }>);
      for (const requestId of ["req-internal-1", "req-internal-2"]) {
        const body = await post(requestId);
        expect(body.errors.map((e) => [e.message, e.extensions.code])).toEqual([["Internal server error", "INTERNAL_SERVER_ERROR"]]);
        const logged = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.level === 50 && l.requestId === requestId);
        expect(logged).toHaveLength(1);
        expect(logged[0].err.message).toBe("disk on fire");
        expect(logged[0].err.stack).toMatch(/^Error: disk on fire\n\s+at /);
        expect(logged[0].path).toEqual(["orders"]);
      }
    } finally {
      await server?.stop();
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
