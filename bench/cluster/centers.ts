/**
 * The center processes of a cluster (`node dist/src/main.js`, production configuration, each on
 * its own port and database node, Redis through Sentinel) and HAProxy in front of them for HTTP
 * and WebSocket, its health check GET /readyz.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { GaveUp, waitUntil, type Daemon, type Daemons } from "./daemons";

/** The project's folder: two up from here in the sources (the tests), three in dist/ (the benchmark). */
const ROOT = [path.resolve(__dirname, "..", ".."), path.resolve(__dirname, "..", "..", "..")].find((d) => fs.existsSync(path.join(d, "package.json")))!;
export const CENTER_MAIN = path.join(ROOT, "dist", "src", "main.js");

export interface CenterProcess {
  /** c1, c2, ...: also the name HAProxy gives it (the X-Center header of each answer). */
  name: string;
  port: number;
  /** http://127.0.0.1:<port>: the center itself, past HAProxy. */
  url: string;
  env: Record<string, string>;
  daemon: Daemon | null;
}

export class Centers {
  readonly list: CenterProcess[];

  constructor(
    private readonly daemons: Daemons,
    envs: Array<{ port: number; env: Record<string, string> }>,
  ) {
    this.list = envs.map(({ port, env }, i) => ({
      name: `c${i + 1}`,
      port,
      url: `http://127.0.0.1:${port}`,
      env: { ...env, PORT: String(port), HOST: "127.0.0.1" },
      daemon: null,
    }));
  }

  byName(name: string): CenterProcess {
    const c = this.list.find((x) => x.name === name);
    if (!c) throw new Error(`no center ${name}`);
    return c;
  }

  /** Starts a center (not running) and waits for its ready line and /readyz. */
  async start(c: CenterProcess): Promise<void> {
    if (c.daemon?.running()) throw new Error(`center ${c.name} is running`);
    const d = this.daemons.spawn(c.name, process.execPath, [CENTER_MAIN], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...c.env } });
    c.daemon = d;
    await waitUntil(
      `center ${c.name} ready`,
      async () => {
        if (!d.running()) throw new GaveUp(`center ${c.name} exited:\n${d.tail()}`);
        return /ready at http/.test(d.tail()) && (await fetch(`${c.url}/readyz`)).status === 200;
      },
      60_000,
      () => d.tail(),
    );
  }

  /** kill -9. */
  async kill(c: CenterProcess): Promise<void> {
    await c.daemon?.kill();
    c.daemon = null;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list.map((c) => c.daemon?.stop("SIGTERM", 15_000)));
    for (const c of this.list) c.daemon = null;
  }
}

/** HAProxy in front of the centers: one HTTP frontend, WebSockets tunnelled, /readyz checked twice a second. */
export class Balancer {
  private daemon: Daemon | null = null;
  readonly socket: string;

  constructor(
    private readonly daemons: Daemons,
    private readonly dir: string,
    readonly port: number,
    private readonly centers: CenterProcess[],
  ) {
    this.socket = path.join(dir, "haproxy.sock");
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  config(): string {
    return [
      "global",
      "  maxconn 4096",
      `  stats socket ${this.socket} mode 600 level admin`,
      "",
      "defaults",
      "  mode http",
      "  option httplog",
      "  timeout connect 2s",
      "  timeout client 60s",
      "  timeout server 60s",
      // A WebSocket (a lab's subscription) is a tunnel once upgraded: it may stay quiet for long.
      "  timeout tunnel 1h",
      "  timeout http-keep-alive 10s",
      "  retries 2",
      "  option redispatch",
      "",
      "frontend centers",
      `  bind 127.0.0.1:${this.port}`,
      "  default_backend centers",
      "",
      "backend centers",
      "  balance roundrobin",
      "  option httpchk GET /readyz",
      "  http-check expect status 200",
      // Which center answered: the tests confirm an order on another center than the one that placed it.
      "  http-response set-header X-Center %[srv_name]",
      "  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions",
      ...this.centers.map((c) => `  server ${c.name} 127.0.0.1:${c.port} check`),
      "",
    ].join("\n");
  }

  async start(): Promise<void> {
    const file = path.join(this.dir, "haproxy.cfg");
    fs.writeFileSync(file, this.config());
    this.daemon = this.daemons.spawn("haproxy", "haproxy", ["-db", "-f", file]);
    await this.awaitUp(this.centers.map((c) => c.name));
  }

  /** The servers HAProxy counts as UP. */
  async up(): Promise<string[]> {
    const stat = await this.command("show stat");
    const lines = stat.split("\n").filter((l) => l.startsWith("centers,"));
    // pxname,svname,...,status (the 18th field)
    return lines
      .map((l) => l.split(","))
      .filter((f) => f[1] !== "BACKEND" && f[1] !== "FRONTEND" && f[17] === "UP")
      .map((f) => f[1]);
  }

  async awaitUp(names: string[], timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      `HAProxy to count ${names.join(", ")} up`,
      async () => {
        if (!this.daemon?.running()) throw new GaveUp(`haproxy exited:\n${this.daemon?.tail()}`);
        const up = await this.up();
        return names.every((n) => up.includes(n));
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.daemon?.stop("SIGTERM", 5000);
    this.daemon = null;
  }

  private command(cmd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = "";
      const s = net.connect(this.socket, () => s.end(cmd + "\n"));
      s.on("data", (d) => (out += String(d)));
      s.on("end", () => resolve(out));
      s.on("error", reject);
    });
  }
}

/** A TCP port nothing listens on (127.0.0.1). */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}
