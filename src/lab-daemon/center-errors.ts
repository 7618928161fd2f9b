/**
 * How the lab daemon's talk with the center fails, and how it waits before trying again: the
 * errors it tells apart (the center unreachable, the key refused, a GraphQL error, an image that
 * does not match its checksum or whose download is refused), their short human reasons, and the
 * capped, jittered backoff.
 */
import { createHash } from "node:crypto";
import type { JobImage } from "./center-protocol";

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

/** The error an operation's first GraphQL error means for the daemon: its key refused, or a plain failure. */
export function operationError(first: { message: string; extensions?: { code?: unknown } }): KeyRefusedError | CenterGraphQLError {
  const code = String(first.extensions?.code ?? "GRAPHQL_ERROR");
  return code === "UNAUTHENTICATED" ? new KeyRefusedError("UNAUTHENTICATED") : new CenterGraphQLError(code, first.message);
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

/**
 * Capped exponential backoff with jitter: `base * 2^attempt`, at most `cap`, then a random point in
 * its upper half (so retries from many labs spread out, and none comes sooner than half the step).
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
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
