/**
 * FTP ingest for capture devices (cameras send by FTP themselves): an FTP server in the center on
 * FTP_PORT (ftp-srv), explicit FTPS (AUTH TLS) when a certificate is configured. A device logs in
 * with its id as the user and its key as the password; `STOR <shoot id>/<file>` or
 * `<shoot id>/<subject>/<file>` goes through ShootIngestService, exactly as an HTTP upload does.
 * The folders exist only as names (ftp-paths.ts): nothing on the center's disk is ever shown, and
 * nothing but STOR writes. A file counts once its data connection has closed cleanly while its
 * session is still open; a reset data connection, ABOR or a lost session stores nothing.
 */
import type { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import type { AddressInfo, Server, Socket } from "node:net";
import { PassThrough } from "node:stream";
import { FileSystem, FtpSrv, type FtpConnection } from "ftp-srv";
import type { Logger } from "pino";
import type { FtpConfig } from "../config";
import { HttpRefusal } from "../core/http-refusal";
import type { AppContext } from "../core/request-context";
import { businessDate } from "../pricing/business-date";
import type { CaptureDevicesService } from "./capture-devices.service";
import { folderOf, pathOf, segmentsOf, storeTargetOf, type Folder, type StoreTarget } from "./ftp-paths";
import { cleanSubject, type ShootIngestService } from "./shoot-ingest.service";
import { ShootEntity } from "./shoot.entity";
import { shootOpen } from "./shoots.service";

export interface FtpIngestOptions {
  devices: CaptureDevicesService;
  ingest: ShootIngestService;
}

export interface FtpIngest {
  /** The control port it listens on. */
  port: number;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

/** Commands that would read, remove or rename: refused (502) for everyone. */
const REFUSED_COMMANDS = ["RETR", "DELE", "RNFR", "RNTO", "SITE", "APPE", "STOU", "RMD", "XRMD"];
/** A session silent this long on its control connection is closed (not while it sends a file). */
const IDLE_MS = 5 * 60 * 1000;
/** Open shoots a LIST shows at most. */
const LIST_LIMIT = 200;

/** The session a device logged in to. */
interface Device {
  id: string;
  shopId: string;
}

/** What a command looks like once ftp-srv has parsed it. */
interface ParsedCommand {
  directive: string;
  arg: string | null;
}

/** The parts of an ftp-srv 4 connection this module drives (see the STOR handler below). */
interface ConnectionInternals {
  commands: { handle(command: string | ParsedCommand): Promise<unknown>; parse(message: string): ParsedCommand };
  commandSocket: Socket;
  connector: { waitForConnection(): PromiseLike<Socket>; end(): void };
  authenticated?: boolean;
  fs?: unknown;
  restByteCount: number | undefined;
  reply(code: number, message?: string): Promise<unknown>;
}

/** A refusal as an FTP reply code: 530 a key no longer valid, 553 a bad name, 552 too large, 451 try again later, else 550. */
export function ftpCodeOf(refusal: HttpRefusal): number {
  if (refusal.status === 401) return 530;
  if (refusal.code === "INVALID_SUBJECT") return 553;
  if (refusal.status === 413) return 552;
  if (refusal.status === 429 || refusal.status >= 500) return 451;
  return 550;
}

/** One reply line: the refusal's code, then its message. */
function replyText(code: string, message: string): string {
  return `${code}: ${message}`.replace(/[\r\n]+/g, " ");
}

class FtpRefusal extends Error {
  constructor(refusal: HttpRefusal) {
    super(replyText(refusal.code, refusal.message));
  }
}

export async function startFtpIngest(app: AppContext, ftp: FtpConfig, { devices, ingest }: FtpIngestOptions): Promise<FtpIngest> {
  const logger = app.logger.child({ component: "ftp" });
  const today = () => businessDate(new Date(), app.config.businessTimeZone);

  /** The shoot a device may store into (its shop's, open), and the subject cleaned; the refusals of ShootIngestService. */
  const admit = async (device: Device, shootId: string, subject: string | null): Promise<{ shoot: ShootEntity; subject: string | null }> => {
    const clean = cleanSubject(subject);
    const shoot = await app.ds.getRepository(ShootEntity).findOne({ where: { id: shootId } });
    if (!shoot || shoot.id !== shootId) throw new HttpRefusal(404, "NOT_FOUND", `No shoot ${shootId}`);
    if (shoot.shopId !== device.shopId) throw new HttpRefusal(403, "FORBIDDEN", `Shoot ${shoot.id} is not a shoot of this device's shop`);
    if (!shootOpen(shoot, today())) throw new HttpRefusal(403, "SHOOT_CLOSED", `Shoot ${shoot.id} takes no more images`);
    return { shoot, subject: clean };
  };
  const openShoots = async (device: Device): Promise<ShootEntity[]> => {
    const rows = await app.ds.getRepository(ShootEntity).find({ where: { shopId: device.shopId }, order: { createdAt: "DESC", id: "ASC" }, take: LIST_LIMIT });
    const day = today();
    return rows.filter((s) => shootOpen(s, day));
  };

  /** The folders of one session (ftp-srv's file system, with nothing on disk behind it). */
  class ShootFolders extends FileSystem {
    private folder: Folder = { kind: "root" };

    constructor(
      connection: FtpConnection,
      readonly device: Device,
    ) {
      super(connection, { root: "/", cwd: "/" });
    }

    override currentDirectory(): string {
      return pathOf(this.folder);
    }

    get where(): string {
      return pathOf(this.folder);
    }

    override async chdir(arg?: string): Promise<string> {
      this.folder = await this.reachable(arg);
      return pathOf(this.folder);
    }

    /** A shoot's folder exists already; a subject folder may be "made" (nothing is created). */
    override async mkdir(arg: string): Promise<string> {
      const segments = segmentsOf(this.where, arg);
      const folder = segments && folderOf(segments);
      if (folder?.kind === "root" || (folder?.kind === "shoot" && segments!.length === 1 && !(await this.exists(folder.shootId)))) {
        throw new Error("NOT_FOUND: shoots are made in the center; make the shoot there, then use its id as the folder");
      }
      return pathOf(await this.reachable(arg));
    }

    override async get(arg: string): Promise<unknown> {
      const folder = await this.reachable(arg);
      return directory(folder.kind === "root" ? "/" : folder.kind === "shoot" ? folder.shootId : folder.subject, new Date());
    }

    /** At the top, the shop's open shoots; inside a shoot nothing (files sent are not shown again). */
    override async list(arg?: string): Promise<unknown[]> {
      const folder = await this.reachable(arg);
      if (folder.kind !== "root") return [];
      return (await openShoots(this.device)).map((s) => directory(s.id, s.createdAt));
    }

    override write(): never {
      throw new Error("FORBIDDEN: files are stored with STOR into a shoot only");
    }
    override read(): Promise<never> {
      return Promise.reject(new Error("FORBIDDEN: the center gives no files back over FTP"));
    }
    override delete(): Promise<never> {
      return Promise.reject(new Error("FORBIDDEN: nothing is removed over FTP"));
    }
    override rename(): Promise<never> {
      return Promise.reject(new Error("FORBIDDEN: nothing is renamed over FTP"));
    }
    override chmod(): Promise<never> {
      return Promise.reject(new Error("FORBIDDEN: nothing is changed over FTP"));
    }
    override getUniqueName(): string {
      throw new Error("FORBIDDEN: files are stored with STOR into a shoot only");
    }

    private async exists(shootId: string): Promise<boolean> {
      try {
        await admit(this.device, shootId, null);
        return true;
      } catch {
        return false;
      }
    }

    /** The folder `arg` names, if this device may stand in it; throws the refusal's reply otherwise. */
    private async reachable(arg: string | undefined): Promise<Folder> {
      const segments = segmentsOf(this.where, arg);
      const folder = segments && folderOf(segments);
      if (!folder) throw new Error("NOT_FOUND: the folders are / , /<shoot id> and /<shoot id>/<subject>");
      if (folder.kind === "root") return folder;
      try {
        const { subject } = await admit(this.device, folder.shootId, folder.kind === "subject" ? folder.subject : null);
        return folder.kind === "subject" ? { ...folder, subject: subject ?? folder.subject } : folder;
      } catch (e) {
        throw e instanceof HttpRefusal ? new FtpRefusal(e) : e;
      }
    }
  }

  /**
   * STOR, done here rather than by ftp-srv: its own handler answers every failure 550 and takes a
   * data connection's end as a whole file whatever happened to the session. The target is checked
   * before the data connection is used (nothing is sent for a refused name); the bytes stream into
   * ShootIngestService, which stores nothing unless they end cleanly and pass every check.
   */
  const store = async (conn: ConnectionInternals, files: ShootFolders, arg: string | null, session: Session): Promise<void> => {
    const target = storeTargetOf(files.where, arg);
    if (conn.restByteCount !== undefined) {
      conn.restByteCount = 0;
      await dropData(conn);
      await conn.reply(550, "FORBIDDEN: resumed transfers (REST) are not taken; send the whole file again");
      return;
    }
    if (!target) {
      await dropData(conn);
      await conn.reply(553, replyText("NOT_FOUND", "store files as <shoot id>/<file> or <shoot id>/<subject>/<file>"));
      return;
    }
    try {
      if (!(await devices.current(files.device.id)))
        throw new HttpRefusal(401, "UNAUTHENTICATED", "This capture device's key is not valid (unknown or revoked)");
      await admit(files.device, target.shootId, target.subject);
    } catch (e) {
      await dropData(conn);
      await refuse(conn, e, target);
      return;
    }
    let data: Socket;
    try {
      data = await conn.connector.waitForConnection();
    } catch {
      conn.connector.end();
      await conn.reply(425, "No data connection: send EPSV, PASV or PORT first");
      return;
    }
    const body = new PassThrough();
    // Destroyed on an abort; the ingest reports it (from the spool's own listener).
    body.on("error", () => undefined);
    let ended = false;
    let aborted: string | null = null;
    const abort = (why: string) => {
      if (ended || aborted !== null) return;
      aborted = why;
      body.destroy(new Error(why));
    };
    data.once("end", () => (ended = true));
    data.once("error", () => abort("the data connection failed"));
    data.once("close", () => abort("the data connection closed before the file ended"));
    const lost = () => abort("the session was lost");
    conn.commandSocket.once("close", lost);
    session.abort = abort;
    conn.commandSocket.setTimeout(0);
    data.pipe(body);
    try {
      await conn.reply(150, `Storing ${target.fileName}`);
      const { image, created } = await ingest.ingest(files.device.id, { shootId: target.shootId, subject: target.subject, body, contentType: null });
      logger.info(
        {
          event: "ftp_stored",
          deviceId: files.device.id,
          shootId: image.shootId,
          imageId: image.imageId,
          subject: image.subject,
          file: target.fileName,
          created,
        },
        "file stored over FTP",
      );
      await conn.reply(226, `${created ? "Stored" : "Already stored"} ${target.fileName} as ${image.imageId}`);
    } catch (e) {
      if (aborted !== null) {
        logger.info({ event: "ftp_aborted", deviceId: files.device.id, file: target.fileName, why: aborted }, "FTP transfer aborted; nothing stored");
        await conn.reply(426, `Transfer aborted (${aborted}); nothing stored`);
      } else {
        await refuse(conn, e, target);
      }
    } finally {
      session.abort = null;
      conn.commandSocket.removeListener("close", lost);
      conn.commandSocket.setTimeout(IDLE_MS);
      body.destroy();
      conn.connector.end();
    }
  };

  const refuse = async (conn: ConnectionInternals, e: unknown, target: StoreTarget): Promise<void> => {
    if (e instanceof HttpRefusal) {
      if (e.status >= 500) logger.error({ err: e }, "FTP store failed");
      await conn.reply(ftpCodeOf(e), replyText(e.code, e.message));
    } else {
      logger.error({ err: e, file: target.fileName }, "FTP store failed");
      await conn.reply(451, replyText("INTERNAL_SERVER_ERROR", "the file could not be stored; try again"));
    }
  };

  const tls = ftp.tls ? { cert: readFileSync(ftp.tls.certFile), key: readFileSync(ftp.tls.keyFile) } : false;
  const host = app.config.host.includes(":") ? `[${app.config.host}]` : app.config.host;
  const signals = ["SIGTERM", "SIGINT", "SIGQUIT"] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const server = new FtpSrv({
    url: `ftp://${host}:${ftp.port}`,
    pasv_url: ftp.pasvHost,
    pasv_min: ftp.pasvPorts.min,
    pasv_max: ftp.pasvPorts.max,
    tls,
    anonymous: false,
    greeting: ["Printmesh: log in with the capture device's id and its key"],
    blacklist: REFUSED_COMMANDS,
    log: libraryLog(logger),
    timeout: 0,
  });
  // ftp-srv exits the process on these signals; the center's main owns them and stops in order.
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  // ftp-srv 4.6 arms a timer on every disconnect that it never clears (it would hold a stopping
  // process up to a second after each session): sessions are dropped here without it.
  const internals = server as unknown as { connections: Record<string, { close(code: number): unknown }>; disconnectClient(id: string): Promise<void> };
  internals.disconnectClient = async (id) => {
    const session = internals.connections[id];
    if (!session) return;
    delete internals.connections[id];
    await session.close(0);
  };

  server.on("login", ({ connection, username, password }, resolve, reject) => {
    void (async () => {
      if (tls && !connection.secure) throw new Error("Log in over FTPS: send AUTH TLS first (this center takes keys over TLS only)");
      const check = await devices.checkLogin(username, password, connection.ip ?? "unknown");
      if (!check.ok && check.reason === "limited")
        throw new Error(replyText("RATE_LIMITED", `too many bad keys from this address; try again in ${check.retryAfterSeconds} s`));
      if (!check.ok) throw new Error(replyText("UNAUTHENTICATED", "this capture device's id or key is not valid (unknown or revoked)"));
      logger.info({ event: "ftp_login", deviceId: check.device.id, ip: connection.ip }, "capture device logged in over FTP");
      return { fs: new ShootFolders(connection, { id: check.device.id, shopId: check.device.shopId }) };
    })().then(resolve, reject);
  });
  // Events ftp-srv emits but does not declare.
  const events: EventEmitter = server;
  events.on("connect", ({ connection }: { connection: FtpConnection }) => takeOver(connection as unknown as ConnectionInternals));
  server.on("client-error", ({ context, error }: { context: string; error: Error }) => logger.debug({ context, err: error }, "FTP client connection error"));
  events.on("server-error", ({ error }: { error: Error }) => logger.error({ err: error }, "FTP server error"));

  /**
   * Every session's commands run one after another (ftp-srv runs those of separate reads at once);
   * STOR is this module's; ABOR during a transfer stops it at once.
   */
  function takeOver(conn: ConnectionInternals): void {
    conn.commandSocket.setTimeout(IDLE_MS);
    const session: Session = { abort: null };
    const handle = conn.commands.handle.bind(conn.commands);
    let queue: Promise<unknown> = Promise.resolve();
    conn.commands.handle = (raw) => {
      const command = typeof raw === "string" ? conn.commands.parse(raw) : raw;
      // Some clients send ABOR after Telnet "interrupt" bytes.
      if (command.directive.endsWith("ABOR") && session.abort) {
        session.abort("ABOR");
        queue = queue.then(() => conn.reply(226, "Transfer aborted"));
        return queue;
      }
      const run = () =>
        command.directive === "STOR" && conn.authenticated && conn.fs instanceof ShootFolders ? store(conn, conn.fs, command.arg, session) : handle(command);
      queue = queue.then(run).catch((e: unknown) => logger.error({ err: e, directive: command.directive }, "FTP command failed"));
      return queue;
    };
  }

  await server.listen();
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
  logger.info({ port, tls: Boolean(tls), pasvPorts: `${ftp.pasvPorts.min}-${ftp.pasvPorts.max}` }, "FTP ingest listening");
  let closed: Promise<void> | null = null;
  return {
    port,
    close: () => (closed ??= server.close().then(() => undefined)),
  };
}

/**
 * Closes the data connection of a refused transfer. The client may have opened it just before its
 * STOR: it is taken first, so that ftp-srv's passive listener does not linger waiting for it.
 */
async function dropData(conn: ConnectionInternals): Promise<void> {
  try {
    await conn.connector.waitForConnection();
  } catch {
    // none was set up, or none came
  }
  conn.connector.end();
}

interface Session {
  /** Stops the transfer in progress, if any. */
  abort: ((why: string) => void) | null;
}

/** A folder as ftp-srv lists it. */
function directory(name: string, mtime: Date): { name: string; size: number; mtime: Date; isDirectory(): boolean } {
  return { name, size: 0, mtime, isDirectory: () => true };
}

/** ftp-srv's own log lines (every refused command at error) go to the center's log at debug. */
function libraryLog(logger: Logger): unknown {
  const debug = (...args: unknown[]) => (logger.debug as (...a: unknown[]) => void)(...args);
  const log = { child: () => log, trace: debug, debug, info: debug, warn: debug, error: debug, fatal: debug };
  return log;
}
