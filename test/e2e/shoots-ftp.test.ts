/**
 * FTP ingest end to end: real FTP clients (basic-ftp; Python's ftplib and curl where the machine
 * has them) send files into a running center. A stored file is the same shoot image an HTTP upload
 * makes; a bad key, another shop's shoot, a path outside any shoot, bytes that are not an image, an
 * interrupted transfer and a device revoked during its session are refused with an FTP reply naming
 * the refusal's code, and store nothing. With a certificate the center speaks explicit FTPS and
 * takes keys over TLS only; bad logins are limited per address.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { Client, FTPError } from "basic-ftp";
import { ShootEntity } from "../../src/shoots/shoot.entity";
import { ShootImageEntity } from "../../src/shoots/shoot-image.entity";
import { loginPeople, startCenter, type TestCenter } from "../support/center";
import { imageStore, makePng } from "../support/images";
import { REVOKE_DEVICE, newDevice, newShoot, sha } from "../support/shoots";
import { until } from "../support/until";

/** A passive port range of this test process's own, so that parallel runs do not share ports. */
function pasvRange(offset: number): string {
  const base = 40000 + ((process.pid * 7 + offset * 20) % 2000) * 10;
  return `${base}-${base + 9}`;
}

const has = (tool: string, args: string[]): boolean => {
  try {
    execFileSync(tool, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const HAS_PYTHON = has("python3", ["-c", "import ftplib"]);
const HAS_CURL = has("curl", ["--version"]);
const HAS_OPENSSL = has("openssl", ["version"]);

let c: TestCenter;
let t: Record<string, string>;
let ftpPort: number;
let tmp: string;
let shootId: string;
let device: { id: string; key: string };

beforeAll(async () => {
  c = await startCenter({ env: { FTP_PORT: "0", FTP_PASV_PORTS: pasvRange(0) } });
  t = await loginPeople(c, ["shop1", "shop2"]);
  ftpPort = c.server.ftpPort!;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-ftp-"));
  shootId = (await newShoot(c, t.shop1, { shopId: "SP01", name: "Marathon" })).shoot.id;
  device = await newDevice(c, t.shop1, "SP01");
});
afterAll(async () => {
  await c?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A logged-in basic-ftp client (closed after the test by `clients`). */
const clients: Client[] = [];
afterEach(() => {
  for (const cl of clients.splice(0)) cl.close();
});
async function connect(user: string, password: string, opts: { port?: number; secure?: boolean; ca?: Buffer } = {}): Promise<Client> {
  const client = new Client(10_000);
  clients.push(client);
  await client.access({
    host: "127.0.0.1",
    port: opts.port ?? ftpPort,
    user,
    password,
    secure: opts.secure ?? false,
    secureOptions: opts.ca ? { ca: opts.ca } : undefined,
  });
  return client;
}

/** The FTP reply code and text of a refused step. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FTPError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected an FTP refusal");
}

const rowsOf = (id: string) => c.ds.getRepository(ShootImageEntity).find({ where: { shootId: id }, order: { createdAt: "ASC" } });

describe("FTP upload by a capture device", () => {
  test("a device stores into a shoot and a subject folder; the same bytes again are the same image", async () => {
    const client = await connect(device.id, device.key);
    const listed = await client.list();
    expect(listed.map((f) => [f.name, f.isDirectory])).toContainEqual([shootId, true]);
    await client.cd(shootId);
    expect(await client.pwd()).toBe(`/${shootId}`);
    expect(await client.list()).toEqual([]);
    // A subject folder is a name only: made without creating anything, entered like a folder.
    expect((await client.send("MKD 1234")).code).toBe(257);
    await client.cd("1234");
    expect(await client.pwd()).toBe(`/${shootId}/1234`);

    const png = makePng(40, 30, 21);
    const first = await client.uploadFrom(Readable.from([png]), "IMG_0001.PNG");
    expect(first.code).toBe(226);
    const imageId = /as (IMG-\S+)$/.exec(first.message)?.[1];
    expect(imageId).toMatch(/^IMG-/);
    expect((await client.uploadFrom(Readable.from([png]), `/${shootId}/1234/copy.png`)).message).toBe(`226 Already stored copy.png as ${imageId}`);

    await client.cd("/");
    const plain = makePng(12, 12, 22);
    expect((await client.uploadFrom(Readable.from([plain]), `${shootId}/DSC_0002.png`)).code).toBe(226);

    const rows = await rowsOf(shootId);
    expect(rows.map((r) => [r.sha256, r.subject, r.deviceId, r.width, r.height])).toEqual([
      [sha(png), "1234", device.id, 40, 30],
      [sha(plain), null, device.id, 12, 12],
    ]);
    expect(rows[0].imageId).toBe(imageId);
    expect((await c.ds.getRepository(ShootEntity).findOneByOrFail({ id: shootId })).imageCount).toBe(2);
  });

  test("passive mode names the center's address and a port of FTP_PASV_PORTS", async () => {
    const client = await connect(device.id, device.key);
    const pasv = await client.send("PASV");
    const m = /\(127,0,0,1,(\d+),(\d+)\)/.exec(pasv.message);
    expect(m).not.toBeNull();
    const port = Number(m![1]) * 256 + Number(m![2]);
    const [min, max] = pasvRange(0).split("-").map(Number);
    expect(port).toBeGreaterThanOrEqual(min);
    expect(port).toBeLessThanOrEqual(max);
    // Take the data connection it opened (and drop it), as a client would.
    await new Promise<void>((resolve, reject) =>
      net
        .connect(port, "127.0.0.1", function (this: net.Socket) {
          this.destroy();
          resolve();
        })
        .once("error", reject),
    );
  });

  test("a bad key or an unknown device is refused at login (530)", async () => {
    expect(await refusal(connect(device.id, device.key.slice(0, -2) + "xx"))).toEqual({ code: 530, message: expect.stringContaining("UNAUTHENTICATED") });
    expect(await refusal(connect("0123456789abcdef", device.key))).toEqual({ code: 530, message: expect.stringContaining("UNAUTHENTICATED") });
  });

  test("another shop's shoot, a path outside any shoot, an unknown shoot, a bad subject: refused, nothing stored", async () => {
    const theirs = (await newShoot(c, t.shop2, { shopId: "SP02", name: "Their fair" })).shoot.id;
    const client = await connect(device.id, device.key);
    const before = await imageStore(c);
    const png = () => Readable.from([makePng(10, 10, 31)]);
    expect(await refusal(client.uploadFrom(png(), `${theirs}/a.png`))).toEqual({
      code: 550,
      message: `550 FORBIDDEN: Shoot ${theirs} is not a shoot of this device's shop`,
    });
    expect(await refusal(client.cd(theirs))).toEqual({ code: 550, message: expect.stringContaining("FORBIDDEN") });
    expect((await client.list()).map((f) => f.name)).not.toContain(theirs);
    expect(await refusal(client.uploadFrom(png(), "a.png"))).toEqual({ code: 553, message: expect.stringContaining("<shoot id>/<file>") });
    expect(await refusal(client.uploadFrom(png(), `${shootId}/a/b/c.png`))).toMatchObject({ code: 553 });
    // Nothing names the center's disk: `..` stops at the top, where the folders are shoots.
    expect(await refusal(client.uploadFrom(png(), `../../etc/passwd`))).toEqual({ code: 550, message: "550 NOT_FOUND: No shoot etc" });
    expect(await refusal(client.uploadFrom(png(), "SH-NOPE/a.png"))).toEqual({ code: 550, message: "550 NOT_FOUND: No shoot SH-NOPE" });
    expect(await refusal(client.send("MKD /SH-NOPE"))).toMatchObject({ code: 550 });
    expect(await refusal(client.uploadFrom(png(), `${shootId}/${"x".repeat(101)}/a.png`))).toMatchObject({
      code: 553,
      message: expect.stringContaining("INVALID_SUBJECT"),
    });
    // The session goes on after every refusal.
    expect(await client.pwd()).toBe("/");
    expect(await imageStore(c)).toEqual(before);
    expect(await rowsOf(theirs)).toEqual([]);
  });

  test("a closed shoot takes no more files", async () => {
    const closed = (await newShoot(c, t.shop1, { shopId: "SP01", name: "Last year's fair" })).shoot.id;
    await c.ds.getRepository(ShootEntity).update({ id: closed }, { availableUntil: "2000-01-01" });
    const client = await connect(device.id, device.key);
    expect(await refusal(client.uploadFrom(Readable.from([makePng(9, 9, 1)]), `${closed}/a.png`))).toMatchObject({
      code: 550,
      message: expect.stringContaining("SHOOT_CLOSED"),
    });
    expect(await rowsOf(closed)).toEqual([]);
  });

  test("bytes that are not an image are refused with the upload's code, nothing stored", async () => {
    const client = await connect(device.id, device.key);
    const before = await imageStore(c);
    expect(await refusal(client.uploadFrom(Readable.from([Buffer.from("not an image at all, just text\n".repeat(50))]), `${shootId}/notes.jpg`))).toEqual({
      code: 550,
      message: expect.stringMatching(/^550 UNSUPPORTED_MEDIA_TYPE: /),
    });
    expect(await refusal(client.uploadFrom(Readable.from([]), `${shootId}/empty.jpg`))).toEqual({
      code: 550,
      message: expect.stringMatching(/^550 EMPTY_BODY: /),
    });
    expect(await imageStore(c)).toEqual(before);
    // The same session stores the next file.
    expect((await client.uploadFrom(Readable.from([makePng(7, 7, 41)]), `${shootId}/ok.png`)).code).toBe(226);
  });

  test("reading, removing, renaming and SITE are refused", async () => {
    const client = await connect(device.id, device.key);
    for (const cmd of [
      `RETR ${shootId}/ok.png`,
      `DELE ${shootId}/ok.png`,
      `RNFR ${shootId}/ok.png`,
      "SITE CHMOD 777 x",
      `RMD ${shootId}`,
      `APPE ${shootId}/x.png`,
    ]) {
      expect(await refusal(client.send(cmd))).toMatchObject({ code: 502 });
    }
  });

  test("a device revoked during its session is refused from its next file on", async () => {
    const d = await newDevice(c, t.shop1, "SP01", "Camera R");
    const client = await connect(d.id, d.key);
    expect((await client.uploadFrom(Readable.from([makePng(8, 8, 51)]), `${shootId}/one.png`)).code).toBe(226);
    const r = await c.gql(REVOKE_DEVICE, { id: d.id }, t.shop1);
    expect(r.data!.revokeCaptureDevice).toEqual({ device: { id: d.id, revoked: true }, errors: [] });
    const before = await imageStore(c);
    expect(await refusal(client.uploadFrom(Readable.from([makePng(8, 8, 52)]), `${shootId}/two.png`))).toEqual({
      code: 530,
      message: expect.stringContaining("UNAUTHENTICATED"),
    });
    expect(await imageStore(c)).toEqual(before);
    expect((await rowsOf(shootId)).filter((row) => row.deviceId === d.id)).toHaveLength(1);
  });

  test("a client that goes away in the middle of a file stores nothing", async () => {
    const png = makePng(300, 200, 61);
    const before = await imageStore(c);
    const client = await connect(device.id, device.key);
    let sent = 0;
    client.trackProgress((info) => (sent = info.bytes));
    const half = png.subarray(0, png.length >> 1);
    // Half the file, then the stream waits for ever: the client is closed meanwhile.
    const body = new Readable({ read() {} });
    body.push(half);
    const upload = client.uploadFrom(body, `${shootId}/half.png`).catch((e: unknown) => e);
    await until("the client to have sent half the file", () => sent >= half.length);
    client.close();
    expect(await upload).toBeInstanceOf(Error);
    // A new session works; whatever the center did with the half file, it stored nothing.
    const next = await connect(device.id, device.key);
    expect((await next.uploadFrom(Readable.from([makePng(6, 6, 62)]), `${shootId}/after.png`)).code).toBe(226);
    const after = await imageStore(c);
    expect(after.rows).toBe(before.rows + 1);
    expect((await rowsOf(shootId)).map((r) => r.sha256)).not.toContain(sha(png));
  });
});

(HAS_PYTHON ? describe : describe.skip)("Python's ftplib", () => {
  const py = (scenario: string, remote: string, file: string, user = device.id, password = device.key): Promise<Record<string, string>> =>
    new Promise((resolve, reject) => {
      execFile(
        "python3",
        [path.join(__dirname, "../support/ftp_client.py"), scenario, "127.0.0.1", String(ftpPort), user, password, remote, file],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
      );
    });

  test("uploads over PASV", async () => {
    const file = path.join(tmp, "py.png");
    fs.writeFileSync(file, makePng(16, 16, 71));
    const r = await py("upload", `${shootId}/py/DSC_0071.png`, file);
    expect(r.stor).toMatch(/^226 Stored DSC_0071\.png as IMG-/);
    expect((await rowsOf(shootId)).find((row) => row.sha256 === sha(fs.readFileSync(file)))?.subject).toBe("py");
  });

  test("a data connection reset in the middle of a file stores nothing", async () => {
    const file = path.join(tmp, "reset.png");
    fs.writeFileSync(file, makePng(200, 150, 72));
    const before = await imageStore(c);
    const r = await py("reset", `${shootId}/reset.png`, file);
    // The center sees the reset as the end of the data (as the operating system reports it); the half file is refused.
    expect(r.stor).toMatch(/^550 INVALID_IMAGE: /);
    expect(await imageStore(c)).toEqual(before);
  });

  test("ABOR in the middle of a file stores nothing (426, then 226)", async () => {
    const file = path.join(tmp, "abor.png");
    fs.writeFileSync(file, makePng(200, 150, 73));
    const before = await imageStore(c);
    const r = await py("abort", `${shootId}/abor.png`, file);
    expect(r.stor).toMatch(/^426 Transfer aborted \(ABOR\)/);
    expect(r.abor).toMatch(/^226 /);
    expect(await imageStore(c)).toEqual(before);
  });
});

(HAS_CURL ? describe : describe.skip)("curl", () => {
  const curl = (args: string[]): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) => {
      execFile("curl", ["-sS", ...args], { timeout: 20_000 }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
    });

  test("curl -T stores a file; a bad key is refused", async () => {
    const file = path.join(tmp, "curl.png");
    fs.writeFileSync(file, makePng(18, 18, 81));
    const ok = await curl(["-T", file, "--user", `${device.id}:${device.key}`, `ftp://127.0.0.1:${ftpPort}/${shootId}/runner%2042/curl.png`]);
    expect(ok).toEqual({ code: 0, stderr: "" });
    expect((await rowsOf(shootId)).find((row) => row.sha256 === sha(fs.readFileSync(file)))?.subject).toBe("runner 42");
    const before = await imageStore(c);
    const bad = await curl(["-T", file, "--user", `${device.id}:${device.key.slice(0, -1)}y`, `ftp://127.0.0.1:${ftpPort}/${shootId}/bad.png`]);
    expect(bad.code).toBe(67); // CURLE_LOGIN_DENIED
    expect(await imageStore(c)).toEqual(before);
  });
});

(HAS_OPENSSL ? describe : describe.skip)("explicit FTPS, and logins limited per address", () => {
  let s: TestCenter;
  let port: number;
  let cert: Buffer;
  let d: { id: string; key: string };
  let shoot: string;

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    cert = fs.readFileSync(path.join(dir, "cert.pem"));
    s = await startCenter({
      env: {
        FTP_PORT: "0",
        FTP_PASV_PORTS: pasvRange(1),
        FTP_TLS_CERT: path.join(dir, "cert.pem"),
        FTP_TLS_KEY: path.join(dir, "key.pem"),
        BAD_KEY_RATE_LIMIT: "2",
        IMAGE_MAX_BYTES: "1000",
      },
    });
    port = s.server.ftpPort!;
    const shop1 = await s.login("shop-1", "shop-1-pass");
    shoot = (await newShoot(s, shop1, { shopId: "SP01", name: "Studio" })).shoot.id;
    d = await newDevice(s, shop1, "SP01");
  });
  afterAll(async () => {
    await s?.stop();
  });

  test("a device stores over FTPS (AUTH TLS, protected data connection)", async () => {
    const client = await connect(d.id, d.key, { port, secure: true, ca: cert });
    const png = makePng(20, 10, 91);
    expect((await client.uploadFrom(Readable.from([png]), `${shoot}/tls.png`)).code).toBe(226);
    const rows = await s.ds.getRepository(ShootImageEntity).find({ where: { shootId: shoot } });
    expect(rows.map((r) => r.sha256)).toEqual([sha(png)]);
  });

  test("a file over IMAGE_MAX_BYTES is refused (552), nothing stored", async () => {
    const client = await connect(d.id, d.key, { port, secure: true, ca: cert });
    const big = makePng(300, 300, 92);
    expect(big.length).toBeGreaterThan(1000);
    expect(await refusal(client.uploadFrom(Readable.from([big]), `${shoot}/big.png`))).toEqual({
      code: 552,
      message: expect.stringMatching(/^552 PAYLOAD_TOO_LARGE: /),
    });
    expect((await s.ds.getRepository(ShootImageEntity).find({ where: { shootId: shoot } })).map((r) => r.sha256)).not.toContain(sha(big));
  });

  test("a key sent without TLS is refused", async () => {
    expect(await refusal(connect(d.id, d.key, { port }))).toEqual({ code: 530, message: expect.stringContaining("AUTH TLS") });
  });

  test("after BAD_KEY_RATE_LIMIT bad keys, every login from the address is refused (530 RATE_LIMITED)", async () => {
    for (let i = 0; i < 2; i++) {
      expect(await refusal(connect(d.id, d.key.slice(0, -1) + "z", { port, secure: true, ca: cert }))).toMatchObject({
        code: 530,
        message: expect.stringContaining("UNAUTHENTICATED"),
      });
    }
    expect(await refusal(connect(d.id, d.key, { port, secure: true, ca: cert }))).toMatchObject({
      code: 530,
      message: expect.stringContaining("RATE_LIMITED"),
    });
  });

  test("stopping the center closes the FTP listener", async () => {
    await s.stop();
    const refused = await new Promise<string>((resolve) => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve("connected");
      });
      sock.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    s = undefined as unknown as TestCenter;
  });
});
