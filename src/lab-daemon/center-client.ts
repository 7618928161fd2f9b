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
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import {
  CenterGraphQLError,
  CenterUnreachableError,
  DownloadRefusedError,
  KeyRefusedError,
  backoffDelay,
  describeNetworkError,
  operationError,
  sleep,
  verifyImage,
} from "./center-errors";
import {
  CLAIM,
  COMPLETE,
  FAIL,
  HISTORY,
  JOB_STATUS,
  LOAD,
  PRINT_JOB,
  RENEW,
  SUBSCRIPTION,
  TEMPLATES,
  toJobEvent,
  type ClaimResult,
  type HistoryInput,
  type JobDetail,
  type JobEvent,
  type JobImage,
  type JobPayload,
  type RenewResult,
  type LoadInput,
  type PrintJobStatus,
  type RawJobEvent,
  type UserError,
} from "./center-protocol";

// The client's vocabulary, importable from here as before the split.
export * from "./center-errors";
export * from "./center-protocol";

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

  /** Pushes the lease out by the center's lease length (while a controller decides); the new end in `job.leaseExpiresAt`. */
  async renew(jobId: string, leaseToken: string): Promise<RenewResult> {
    return (await this.graphql<{ renewPrintJobLease: RenewResult }>("LabRenewPrintJobLease", RENEW, { jobId, leaseToken })).renewPrintJobLease;
  }

  async fail(jobId: string, leaseToken: string, reason: string, retryable: boolean): Promise<JobPayload> {
    return (await this.graphql<{ failPrintJob: JobPayload }>("LabFailPrintJob", FAIL, { jobId, leaseToken, reason: reason.slice(0, 1000), retryable }))
      .failPrintJob;
  }

  async printJob(id: string): Promise<JobDetail | null> {
    return (await this.graphql<{ printJob: JobDetail | null }>("LabPrintJob", PRINT_JOB, { id })).printJob;
  }

  async jobStatus(id: string): Promise<{ id: string; status: PrintJobStatus; attempts: number } | null> {
    return (await this.graphql<{ printJob: { id: string; status: PrintJobStatus; attempts: number } | null }>("LabPrintJobStatus", JOB_STATUS, { id }))
      .printJob;
  }

  async reportLoad(input: LoadInput): Promise<{ accepted: boolean; errors: UserError[] }> {
    return (await this.graphql<{ reportLabLoad: { accepted: boolean; errors: UserError[] } }>("LabReportLoad", LOAD, { input })).reportLabLoad;
  }

  async reportHistory(entries: HistoryInput[]): Promise<{ stored: number; errors: UserError[] }> {
    return (await this.graphql<{ reportPrintHistory: { stored: number; errors: UserError[] } }>("LabReportPrintHistory", HISTORY, { entries }))
      .reportPrintHistory;
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
