/**
 * A bare graphql-transport-ws socket for tests that need to see the protocol itself: every message
 * the server sends, in order, and how it closed (code and reason), with nothing a client library
 * would add, retry or hide.
 */
import WebSocket from "ws";
import { until } from "./until";

export interface Closed {
  code: number;
  reason: string;
}

export type Message = { type: string; id?: string; payload?: any };

export class RawSocket {
  readonly messages: Message[] = [];
  closed: Closed | null = null;
  private readonly opened: Promise<void>;

  constructor(url: string, protocol: string | null = "graphql-transport-ws") {
    this.ws = protocol === null ? new WebSocket(url) : new WebSocket(url, protocol);
    this.ws.on("error", () => undefined);
    this.ws.on("message", (d) => this.messages.push(JSON.parse(String(d)) as Message));
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("close", () => resolve());
      this.ws.once("unexpected-response", () => reject(new Error("the upgrade was refused")));
    });
  }

  readonly ws: WebSocket;

  static async open(url: string, protocol?: string | null): Promise<RawSocket> {
    const s = new RawSocket(url, protocol);
    await s.opened;
    return s;
  }

  /** Opens a socket and sends connection_init with the credential; resolves once acknowledged (or closed). */
  static async init(url: string, bearer?: string): Promise<RawSocket> {
    const s = await RawSocket.open(url);
    s.send({ type: "connection_init", payload: bearer ? { authorization: `Bearer ${bearer}` } : {} });
    await until("the acknowledgement or a close", () => s.closed !== null || s.messages.some((m) => m.type === "connection_ack"), { timeoutMs: 10_000 });
    return s;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>, operationName?: string): void {
    this.send({ id, type: "subscribe", payload: { query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) } });
  }

  /** The messages of one operation id. */
  of(id: string): Message[] {
    return this.messages.filter((m) => m.id === id);
  }

  /** Resolves once the operation has ended (complete or error), with its messages. */
  async done(id: string, ms = 10_000): Promise<Message[]> {
    await until(`operation ${id} to end`, () => this.closed !== null || this.of(id).some((m) => m.type === "complete" || m.type === "error"), {
      timeoutMs: ms,
    });
    return this.of(id);
  }

  async whenClosed(ms = 10_000): Promise<Closed> {
    await until("the socket to close", () => this.closed !== null, { timeoutMs: ms });
    return this.closed!;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
