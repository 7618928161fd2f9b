/**
 * The lab daemon's only way to the center: the public GraphQL API. The printJobs subscription is
 * held over graphql-ws, and while that socket is up, queries and mutations (claims, completions,
 * reports) go over it too, which spares the center and the lab an HTTP request each; while it is
 * down they go over HTTP POST with the lab key as a bearer token. The subscription is
 * connected eagerly (`lazy: false`), retried forever with capped, jittered backoff, kept alive with
 * pings (a silent connection is cut and retried), and re-subscribed after every reconnect, which
 * makes the center send the lab's backlog again. A key the center refuses (close code 4403) is
 * reported each time and given up on after a few refusals, rather than retried forever.
 */
import { createHash } from "node:crypto";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export type PrintJobStatus = "QUEUED" | "LEASED" | "DONE" | "FAILED";

/** A job as the printJobs subscription announces it. */
export interface JobEvent {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  lastError?: string | null;
  /** Sheets ordered, over all sub-orders (for the load report). */
  sheets: number;
}

export interface UserError {
  code: string;
  message: string;
  field?: string[] | null;
}

export interface JobImage {
  imageId: string;
  /**
   * A signed, short-lived download path relative to the center's URL (or an absolute URL); null for
   * a stock image the center holds no bytes of (the lab prints it from its own library).
   */
  url: string | null;
  sha256: string | null;
  bytes: number | null;
  width: number | null;
  height: number | null;
  contentType: string | null;
}

export interface JobItem {
  id: string;
  imageId: string;
  designTemplateId: string | null;
  layout: string | null;
}

export interface JobSubOrder {
  id: string;
  serviceId: string;
  sheets: number;
  items: JobItem[];
}

/** The whole job, as the printJob query gives it to its lab. */
export interface JobDetail {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  order: { id: string; status: string; subOrders: JobSubOrder[] };
  images: JobImage[];
}

export interface ClaimResult {
  job: { id: string; orderId: string; status: PrintJobStatus; attempts: number } | null;
  leaseToken: string | null;
  leaseExpiresAt: string | null;
  errors: UserError[];
}

export interface JobPayload {
  job: { id: string; status: PrintJobStatus; attempts: number } | null;
  errors: UserError[];
}

export interface LoadInput {
  queuedJobs: number;
  queuedSheets: number;
  utilisation: number;
}

export interface HistoryInput {
  jobId: string;
  printedAt: string;
  sheets: number;
  printer: string | null;
  ok: boolean;
}

/** The center could not be reached, timed out, or answered 5xx: worth retrying later. */
export class CenterUnreachableError extends Error {
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`center unreachable at ${url}: ${detail}`);
    this.name = "CenterUnreachableError";
  }
}

/** The center refused the lab key (HTTP UNAUTHENTICATED, or WebSocket close 4403). */
export class KeyRefusedError extends Error {
  constructor(detail = "") {
    super(`the center refused the lab key${detail ? ` (${detail})` : ""}: check --key`);
    this.name = "KeyRefusedError";
  }
}

/** A GraphQL error the center answered (FORBIDDEN, BAD_USER_INPUT, a validation error, ...). */
export class CenterGraphQLError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "CenterGraphQLError";
  }
}

/** An image whose bytes are not what the job says (size or sha256). */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly imageId: string,
    detail: string,
  ) {
    super(`image ${imageId}: ${detail}`);
    this.name = "ChecksumMismatchError";
  }
}

/** An image that could not be downloaded (the center answered 4xx). */
export class DownloadRefusedError extends Error {
  constructor(
    readonly imageId: string,
    readonly status: number,
    detail: string,
  ) {
    super(`image ${imageId}: download answered ${status}${detail ? ` ${detail}` : ""}`);
    this.name = "DownloadRefusedError";
  }
}

/**
 * Capped exponential backoff with jitter: `base * 2^attempt`, at most `cap`, then a random point in
 * its upper half (so retries from many labs spread out, and none comes sooner than half the step).
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** `--url` as given (with or without /graphql) to the center's base URL, or a RangeError. */
export function centerBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new RangeError(`--url must be the center's URL, such as http://localhost:4000, got "${raw}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new RangeError(`--url must start with http:// or https://, got "${raw}"`);
  if (u.username || u.password) throw new RangeError("--url must not carry a user or password: the lab key goes in --key");
  const pathname = u.pathname.replace(/\/+$/, "").replace(/\/graphql$/, "");
  return `${u.protocol}//${u.host}${pathname}`;
}

const JOB_EVENT_FIELDS = "id orderId labId status attempts lastError order { subOrders { sheets } }";
/** The error an operation's first GraphQL error means for the daemon: its key refused, or a plain failure. */
function operationError(first: { message: string; extensions?: { code?: unknown } }): KeyRefusedError | CenterGraphQLError {
  const code = String(first.extensions?.code ?? "GRAPHQL_ERROR");
  return code === "UNAUTHENTICATED" ? new KeyRefusedError("UNAUTHENTICATED") : new CenterGraphQLError(code, first.message);
}

/** The daemon's subscription, as it sends it (the dispatch benchmark's labs send the same). */
export const SUBSCRIPTION = `subscription LabPrintJobs { printJobs { job { ${JOB_EVENT_FIELDS} } } }`;
const ERRORS = "errors { code message field }";
/** The daemon's claim and completion, as it sends them (the dispatch benchmark sends the same). */
export const CLAIM = `mutation LabClaimPrintJob($jobId: ID!, $claimKey: String) { claimPrintJob(jobId: $jobId, claimKey: $claimKey) { job { id orderId status attempts } leaseToken leaseExpiresAt ${ERRORS} } }`;
export const COMPLETE = `mutation LabCompletePrintJob($jobId: ID!, $leaseToken: String!) { completePrintJob(jobId: $jobId, leaseToken: $leaseToken) { job { id status attempts } ${ERRORS} } }`;
const FAIL = `mutation LabFailPrintJob($jobId: ID!, $leaseToken: String!, $reason: String!, $retryable: Boolean!) { failPrintJob(jobId: $jobId, leaseToken: $leaseToken, reason: $reason, retryable: $retryable) { job { id status attempts } ${ERRORS} } }`;
const PRINT_JOB = `query LabPrintJob($id: ID!) { printJob(id: $id) { id orderId labId status attempts order { id status subOrders { id serviceId sheets items { id imageId designTemplateId layout } } } images { imageId url sha256 bytes width height contentType } } }`;
const JOB_STATUS = `query LabPrintJobStatus($id: ID!) { printJob(id: $id) { id status attempts } }`;
const TEMPLATES = `mutation LabReportTemplates($templates: [HeldDesignTemplateInput!]!) { reportLabTemplates(templates: $templates) { ${ERRORS} } }`;
const LOAD = `mutation LabReportLoad($input: LabLoadInput!) { reportLabLoad(input: $input) { accepted ${ERRORS} } }`;
const HISTORY = `mutation LabReportPrintHistory($entries: [PrintHistoryInput!]!) { reportPrintHistory(entries: $entries) { stored ${ERRORS} } }`;

export interface SubscriptionHandlers {
  /** A job event (backlog first after every (re)subscribe, then live). */
  onJob(job: JobEvent): void;
  /** The socket was acknowledged (again): the backlog follows. */
  onConnected(reconnect: boolean): void;
  /** An established connection was lost. */
  onDisconnected(code: number, reason: string): void;
  /** The next attempt waits `delayMs`; `refused` when the last attempt was refused (4403). */
  onRetry(info: { delayMs: number; refused: boolean; detail: string }): void;
  /** The key was refused `maxRefusals` times in a row; the client has stopped. */
  onGiveUp(error: KeyRefusedError): void;
  /** Something the operator should know that is not fatal (a subscription error). */
  onWarning(message: string): void;
}

export interface CenterClientOptions {
  url: string;
  key: string;
  /** First retry step and the cap, in milliseconds (default 1000 and 30000). */
  backoff?: { baseMs: number; capMs: number };
  /** Ping every this many ms; no pong within `pongTimeoutMs` cuts the connection (default 10000, 5000). */
  keepAliveMs?: number;
  pongTimeoutMs?: number;
  /** Refusals of the key in a row before giving up (default 3). */
  maxRefusals?: number;
  /** Per-request time limit for GraphQL over HTTP (default 30000) and for downloads (default 120000). */
  requestTimeoutMs?: number;
  downloadTimeoutMs?: number;
}

export class CenterClient {
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  private readonly opts: Required<Omit<CenterClientOptions, "url" | "key">>;
  private ws: Client | null = null;
  private subscription: { id: number; dispose: () => void } | null = null;
  private subSeq = 0;
  private resubscribeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Aborted by close(): cuts a retry's wait short. */
  private readonly closing = new AbortController();
  private authRefusals = 0;
  /** The socket is acknowledged: operations go over it. */
  private online = false;
  /** Operations under way over the socket, sent again over HTTP when it closes before answering. */
  private readonly inFlight = new Set<() => void>();

  private readonly key: string;

  constructor(
    opts: CenterClientOptions,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.baseUrl = centerBaseUrl(opts.url);
    this.graphqlUrl = this.baseUrl + "/graphql";
    this.key = opts.key;
    this.opts = {
      backoff: opts.backoff ?? { baseMs: 1000, capMs: 30000 },
      keepAliveMs: opts.keepAliveMs ?? 10000,
      pongTimeoutMs: opts.pongTimeoutMs ?? 5000,
      maxRefusals: opts.maxRefusals ?? 3,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30000,
      downloadTimeoutMs: opts.downloadTimeoutMs ?? 120000,
    };
  }

  // --- GraphQL operations ----------------------------------------------------------------------------

  /**
   * One operation, over the socket when it is up, else over HTTP; throws CenterUnreachableError,
   * KeyRefusedError or CenterGraphQLError.
   */
  async graphql<T>(operationName: string, query: string, variables: Record<string, unknown>): Promise<T> {
    if (this.ws && this.online && !this.closed) return this.overSocket<T>(this.ws, operationName, query, variables);
    return this.overHttp<T>(operationName, query, variables);
  }

  /** Where the operations go now (for tests and the operator's log). */
  get transport(): "ws" | "http" {
    return this.ws && this.online && !this.closed ? "ws" : "http";
  }

  /**
   * One operation over the held socket. If the socket closes before the answer, the operation is
   * sent again over HTTP (graphql-ws would otherwise hold it until it reconnects): every operation
   * the daemon sends is safe to repeat (a claim carries its claim key, a completion or failure its
   * lease token, reports are stored once per job, reads are reads).
   */
  private overSocket<T>(ws: Client, operationName: string, query: string, variables: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let result: { data?: unknown; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> } | null = null;
      let dispose: () => void = () => undefined;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(resend);
        dispose();
        settle();
      };
      const fail = (e: Error): void => finish(() => reject(e));
      const resend = (): void => finish(() => this.overHttp<T>(operationName, query, variables).then(resolve, reject));
      const timer = setTimeout(() => fail(new CenterUnreachableError(this.baseUrl, "timed out")), this.opts.requestTimeoutMs);
      this.inFlight.add(resend);
      dispose = ws.subscribe<T>(
        { operationName, query, variables },
        {
          next: (r) => {
            result = r as typeof result;
          },
          error: (err) => {
            const list = Array.isArray(err) ? (err as Array<{ message: string; extensions?: { code?: string } }>) : [];
            if (list.length === 0) return fail(new CenterUnreachableError(this.baseUrl, describeNetworkError(err)));
            fail(operationError(list[0]));
          },
          complete: () =>
            finish(() => {
              const first = result?.errors?.[0];
              if (first) reject(operationError(first));
              else if (!result?.data) reject(new CenterGraphQLError("BAD_RESPONSE", "the center answered over the socket without data"));
              else resolve(result.data as T);
            }),
        },
      );
    });
  }

  private async overHttp<T>(operationName: string, query: string, variables: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.graphqlUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          authorization: `Bearer ${this.key}`,
        },
        body: JSON.stringify({ operationName, query, variables }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
    } catch (e) {
      throw new CenterUnreachableError(this.baseUrl, describeNetworkError(e));
    }
    // A proxy's or load balancer's answer while the center is down or restarting.
    if (res.status === 502 || res.status === 503 || res.status === 504) throw new CenterUnreachableError(this.baseUrl, `HTTP ${res.status}`);
    let body: { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      if (res.status >= 500) throw new CenterUnreachableError(this.baseUrl, `HTTP ${res.status}`);
      throw new CenterGraphQLError("BAD_RESPONSE", `the center answered HTTP ${res.status} without a GraphQL body`);
    }
    const first = body.errors?.[0];
    if (first) throw res.status === 401 ? new KeyRefusedError("UNAUTHENTICATED") : operationError(first);
    if (!body.data) throw new CenterGraphQLError("BAD_RESPONSE", `the center answered HTTP ${res.status} without data`);
    return body.data;
  }

  /** `claimKey`: the same key for the same claim sent again (its answer lost), a new one otherwise. */
  async claim(jobId: string, claimKey?: string): Promise<ClaimResult> {
    return (await this.graphql<{ claimPrintJob: ClaimResult }>("LabClaimPrintJob", CLAIM, { jobId, claimKey: claimKey ?? null })).claimPrintJob;
  }

  async complete(jobId: string, leaseToken: string): Promise<JobPayload> {
    return (await this.graphql<{ completePrintJob: JobPayload }>("LabCompletePrintJob", COMPLETE, { jobId, leaseToken })).completePrintJob;
  }

  async fail(jobId: string, leaseToken: string, reason: string, retryable: boolean): Promise<JobPayload> {
    return (await this.graphql<{ failPrintJob: JobPayload }>("LabFailPrintJob", FAIL, { jobId, leaseToken, reason: reason.slice(0, 1000), retryable })).failPrintJob;
  }

  async printJob(id: string): Promise<JobDetail | null> {
    return (await this.graphql<{ printJob: JobDetail | null }>("LabPrintJob", PRINT_JOB, { id })).printJob;
  }

  async jobStatus(id: string): Promise<{ id: string; status: PrintJobStatus; attempts: number } | null> {
    return (await this.graphql<{ printJob: { id: string; status: PrintJobStatus; attempts: number } | null }>("LabPrintJobStatus", JOB_STATUS, { id })).printJob;
  }

  async reportLoad(input: LoadInput): Promise<{ accepted: boolean; errors: UserError[] }> {
    return (await this.graphql<{ reportLabLoad: { accepted: boolean; errors: UserError[] } }>("LabReportLoad", LOAD, { input })).reportLabLoad;
  }

  async reportHistory(entries: HistoryInput[]): Promise<{ stored: number; errors: UserError[] }> {
    return (await this.graphql<{ reportPrintHistory: { stored: number; errors: UserError[] } }>("LabReportPrintHistory", HISTORY, { entries })).reportPrintHistory;
  }

  /**
   * Downloads an image and proves it is the one the job names (size and sha256). The signed path
   * needs no credential, so the lab key is never sent with it (it may point elsewhere one day).
   */
  async download(image: JobImage): Promise<Buffer> {
    if (!image.url) throw new DownloadRefusedError(image.imageId, 0, "no download path");
    const url = new URL(image.url, this.baseUrl + "/").toString();
    let res: Response;
    try {
      res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.opts.downloadTimeoutMs) });
    } catch (e) {
      throw new CenterUnreachableError(this.baseUrl, describeNetworkError(e));
    }
    if (res.status >= 500) throw new CenterUnreachableError(this.baseUrl, `HTTP ${res.status} for image ${image.imageId}`);
    if (res.status !== 200) {
      let detail = "";
      try {
        detail = ((await res.json()) as { error?: { code?: string } }).error?.code ?? "";
      } catch {
        // not JSON
      }
      throw new DownloadRefusedError(image.imageId, res.status, detail);
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      throw new CenterUnreachableError(this.baseUrl, `download of image ${image.imageId} cut: ${describeNetworkError(e)}`);
    }
    verifyImage(image, bytes);
    return bytes;
  }

  /**
   * Tells the center which design templates the lab holds (the project's reportLabTemplates; not
   * part of the core contract). Answers the payload errors, or null when the center lacks the
   * operation.
   */
  async reportTemplates(templates: Array<{ id: string; sha256: string }>): Promise<UserError[] | null> {
    try {
      const r = await this.graphql<{ reportLabTemplates: { errors: UserError[] } }>("LabReportTemplates", TEMPLATES, { templates });
      return r.reportLabTemplates.errors;
    } catch (e) {
      if (e instanceof CenterGraphQLError && e.code === "GRAPHQL_VALIDATION_FAILED") return null;
      throw e;
    }
  }

  // --- the printJobs subscription ------------------------------------------------------------------

  /** Connects now and holds the printJobs subscription until `close`. */
  start(handlers: SubscriptionHandlers): void {
    if (this.ws) throw new Error("already started");
    const { backoff, keepAliveMs, pongTimeoutMs, maxRefusals } = this.opts;
    let refusals = 0;
    let lastProblem: { refused: boolean; detail: string } = { refused: false, detail: "not connected yet" };
    let socket: WebSocket | null = null;
    let acknowledged = false;
    let pongTimer: NodeJS.Timeout | null = null;
    const clearPong = () => {
      if (pongTimer) clearTimeout(pongTimer);
      pongTimer = null;
    };

    this.ws = createClient({
      url: this.graphqlUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.key}` },
      lazy: false,
      // The library gives up after 5 retries by default, and treats a refused TCP connection as
      // fatal: a lab must keep trying for as long as it runs.
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        if (this.closed) return;
        const delayMs = backoffDelay(retries, backoff.baseMs, backoff.capMs);
        handlers.onRetry({ delayMs, ...lastProblem });
        await sleep(delayMs, this.closing.signal);
      },
      keepAlive: keepAliveMs,
      connectionAckWaitTimeout: 10000,
      // A close the library treats as fatal (4500, say): the subscription's own retry carries on.
      onNonLazyError: (e) => {
        if (!this.closed) handlers.onWarning(`the connection to the center failed (${describeNetworkError(e)}); connecting again`);
      },
      on: {
        opened: (s) => {
          socket = s as WebSocket;
        },
        connected: (_s, _payload, wasRetry) => {
          refusals = 0;
          acknowledged = true;
          this.online = true;
          lastProblem = { refused: false, detail: "" };
          handlers.onConnected(wasRetry);
        },
        ping: (received) => {
          if (received) return;
          // Our ping is out: a connection that stays silent (a dead route, a frozen peer) is cut, and
          // the retry loop connects again and re-subscribes.
          clearPong();
          const s = socket;
          pongTimer = setTimeout(() => s?.terminate(), pongTimeoutMs);
        },
        pong: (received) => {
          if (received) clearPong();
        },
        error: (e) => {
          lastProblem = { refused: false, detail: describeNetworkError(e) };
        },
        closed: (event) => {
          clearPong();
          socket = null;
          this.online = false;
          const { code, reason } = event as { code: number; reason: string };
          // Operations the closed socket did not answer go over HTTP.
          for (const resend of [...this.inFlight]) resend();
          if (code === 4403) {
            refusals += 1;
            lastProblem = { refused: true, detail: `${code}` };
            if (refusals >= maxRefusals && !this.closed) {
              void this.close();
              handlers.onGiveUp(new KeyRefusedError(String(code)));
            }
            return;
          }
          if (acknowledged) {
            acknowledged = false;
            handlers.onDisconnected(code, String(reason ?? ""));
          }
          if (!lastProblem.detail || lastProblem.refused) lastProblem = { refused: false, detail: `closed with ${code}` };
        },
      },
    });
    this.subscribe(handlers);
  }

  /**
   * Subscribes again (the center then sends the backlog again) and only then drops the previous
   * subscription, so that no announcement falls between the two. Jobs may come twice; the daemon
   * sorts that out.
   */
  resubscribe(handlers: SubscriptionHandlers): void {
    if (this.closed || !this.ws) return;
    this.subscribe(handlers);
  }

  private subscribe(handlers: SubscriptionHandlers, attempt = 0): void {
    if (this.closed || !this.ws) return;
    const id = ++this.subSeq;
    const previous = this.subscription;
    const current = () => this.subscription?.id === id && !this.closed;
    const again = (delayMs: number) => {
      if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
      this.resubscribeTimer = setTimeout(() => {
        this.resubscribeTimer = null;
        if (current()) this.subscribe(handlers, attempt + 1);
      }, delayMs);
    };
    const dispose = this.ws.subscribe<{ printJobs: { job: RawJobEvent } }>(
      { operationName: "LabPrintJobs", query: SUBSCRIPTION },
      {
        next: (msg) => {
          if (msg.errors?.length) handlers.onWarning(`the center sent a job event with errors: ${msg.errors.map((e) => e.message).join("; ")}`);
          const raw = msg.data?.printJobs?.job;
          if (raw) {
            attempt = 0;
            this.authRefusals = 0;
            handlers.onJob(toJobEvent(raw));
          }
        },
        error: (err) => {
          if (!current()) return;
          const list = Array.isArray(err) ? (err as Array<{ message?: string; extensions?: { code?: string } }>) : [];
          const text = list.length > 0 ? list.map((e) => e.message).join("; ") : describeNetworkError(err);
          // A valid credential that is not a lab key (a person's token) is refused at subscribe time.
          if (list.some((e) => e.extensions?.code === "FORBIDDEN" || e.extensions?.code === "UNAUTHENTICATED")) {
            this.authRefusals += 1;
            if (this.authRefusals >= this.opts.maxRefusals) {
              void this.close();
              handlers.onGiveUp(new KeyRefusedError(`not a lab key: ${text}`));
              return;
            }
          }
          const delayMs = backoffDelay(attempt, this.opts.backoff.baseMs, this.opts.backoff.capMs);
          handlers.onWarning(`the printJobs subscription failed (${text}); subscribing again in ${Math.ceil(delayMs / 1000)}s`);
          again(delayMs);
        },
        complete: () => {
          // The center ended the stream (it is stopping, say): subscribe again; the client reconnects.
          if (current()) again(backoffDelay(attempt, this.opts.backoff.baseMs, this.opts.backoff.capMs));
        },
      },
    );
    this.subscription = { id, dispose };
    previous?.dispose();
  }

  /** Drops the subscription and the connection; no more retries. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.online = false;
    for (const resend of [...this.inFlight]) resend();
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
    this.closing.abort();
    this.subscription?.dispose();
    this.subscription = null;
    const ws = this.ws;
    // dispose() waits for a connection attempt under way, and rejects when that attempt fails.
    if (ws) {
      const limit = new AbortController();
      await Promise.race([Promise.resolve(ws.dispose()).catch(() => undefined), sleep(5000, limit.signal)]);
      limit.abort();
    }
  }
}

interface RawJobEvent {
  id: string;
  orderId: string;
  labId: string;
  status: PrintJobStatus;
  attempts: number;
  lastError?: string | null;
  order?: { subOrders?: Array<{ sheets: number }> } | null;
}

function toJobEvent(raw: RawJobEvent): JobEvent {
  const sheets = (raw.order?.subOrders ?? []).reduce((n, s) => n + (Number.isFinite(s.sheets) ? s.sheets : 0), 0);
  return { id: raw.id, orderId: raw.orderId, labId: raw.labId, status: raw.status, attempts: raw.attempts, lastError: raw.lastError ?? null, sheets };
}

/** Checks bytes against the size and sha256 the job gives (when it gives them); throws ChecksumMismatchError. */
export function verifyImage(image: Pick<JobImage, "imageId" | "bytes" | "sha256">, bytes: Buffer): void {
  if (image.bytes !== null && image.bytes !== undefined && bytes.length !== image.bytes) {
    throw new ChecksumMismatchError(image.imageId, `expected ${image.bytes} bytes, got ${bytes.length}`);
  }
  if (image.sha256) {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== image.sha256.toLowerCase()) throw new ChecksumMismatchError(image.imageId, `expected sha256 ${image.sha256.toLowerCase()}, got ${sha256}`);
  }
}

/** A short, human reason for a network failure (ECONNREFUSED, a timeout, a close code). */
export function describeNetworkError(e: unknown): string {
  if (e && typeof e === "object") {
    const o = e as { name?: string; code?: string; message?: string; cause?: unknown; reason?: string; error?: unknown };
    if (o.name === "TimeoutError") return "timed out";
    if (o.cause) {
      const inner = describeNetworkError(o.cause);
      if (inner) return inner;
    }
    if (o.error && o.error !== e) return describeNetworkError(o.error);
    if (typeof o.code === "string") return o.code;
    if (typeof o.code === "number") return `closed with ${o.code}${o.reason ? ` ${o.reason}` : ""}`;
    if (typeof o.message === "string" && o.message) return o.message;
  }
  return String(e);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
