/**
 * The one authorization matrix: an operation tried as each kind of caller (anonymous, customer,
 * shop admin of another shop, group admin of another group, center admin, lab key, ...), the
 * exact outcome asserted per caller, and, on every refusal, the relevant tables compared before
 * and after to prove nothing changed.
 *
 * `authzMatrix` answers one cell per (operation, caller): a title and a `run` that asserts it.
 * A test file either gives each cell its own test (`for (const cell of ...) it(cell.title, cell.run)`)
 * or runs them all inside one test that has set up shared state (`for (...) await cell.run()`).
 */
import type { GqlResult, TestCenter } from "./center";

/** What one attempt answered: the error code (null when it went through), and what it returned. */
export interface Attempt<R = unknown> {
  code: string | null;
  /** The HTTP status, for operations whose status is part of the contract. */
  status?: number;
  /** What the operation returned (a GraphQL field's value); a refusal must return nothing. */
  value?: unknown;
  /** The raw answer, for checks on an allowed call. */
  result?: R;
}

/** "allowed", an error code, or an HTTP status with its code ("allowed" when the status is a success). */
export type Outcome = "allowed" | (string & {}) | { status: number; code: string };

export interface MatrixOperation<V = any, R = any> {
  /** The operation's name, in titles and failure messages. */
  op: string;
  /** The variables of one attempt, seeding what it needs; each cell gets fresh ones. */
  prepare?: () => Promise<V> | V;
  /** Sends the operation as `bearer` (null: no credential). */
  send(variables: V, bearer: string | null): Promise<Attempt<R>>;
  /** Whether the attempt took effect: true after an allowed call, false after a refusal. */
  applied?: (variables: V) => Promise<boolean>;
  /** More checks after an allowed call; `before` is the snapshot taken before it. */
  whenAllowed?: (attempt: Attempt<R>, variables: V, before: unknown) => Promise<void> | void;
}

/** A caller: a title, its credential (read when the cell runs, after logins), and its outcome. */
export type MatrixCaller<O extends MatrixOperation = MatrixOperation> = [who: string, bearer: () => string | null, outcome: Outcome | ((op: O) => Outcome)];

export interface MatrixSpec<O extends MatrixOperation> {
  operations: O[];
  callers: Array<MatrixCaller<O>>;
  /** The rows a refusal must leave as they were (the relevant tables). */
  snapshot?: () => Promise<unknown>;
  /** The cell's title; by default "<op> by <who>: allowed" or "<op> by <who>: <CODE>, nothing changed". */
  title?: (op: O, who: string, outcome: Outcome) => string;
}

export interface MatrixCell {
  title: string;
  run(): Promise<void>;
}

const codeOf = (o: Outcome) => (typeof o === "string" ? o : o.code);

export function describeOutcome(o: Outcome): string {
  return typeof o === "string" ? o : `${o.status} ${o.code}`;
}

export function authzMatrix<O extends MatrixOperation>(spec: MatrixSpec<O>): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const op of spec.operations) {
    for (const [who, bearer, expected] of spec.callers) {
      const outcome = typeof expected === "function" ? expected(op) : expected;
      const want = codeOf(outcome);
      const title = spec.title?.(op, who, outcome) ?? `${op.op} by ${who}: ${want === "allowed" ? "allowed" : `${describeOutcome(outcome)}, nothing changed`}`;
      cells.push({
        title,
        run: async () => {
          const variables = op.prepare ? await op.prepare() : (undefined as never);
          const before = spec.snapshot ? await spec.snapshot() : undefined;
          const attempt = await op.send(variables, bearer());
          // The operation and the caller ride along, so a failure names the cell.
          expect([op.op, who, attempt.code ?? "allowed"]).toEqual([op.op, who, want]);
          if (typeof outcome === "object") expect([op.op, who, attempt.status]).toEqual([op.op, who, outcome.status]);
          if (want === "allowed") {
            if (op.applied) expect(await op.applied(variables)).toBe(true);
            await op.whenAllowed?.(attempt, variables, before);
          } else {
            expect(attempt.value ?? null).toBeNull();
            if (op.applied) expect(await op.applied(variables)).toBe(false);
            if (spec.snapshot) expect(await spec.snapshot()).toEqual(before);
          }
        },
      });
    }
  }
  return cells;
}

/**
 * Sends a GraphQL operation whose answer is the field `field`: the attempt's code is its first
 * error's code, its value the field's value.
 */
export function graphqlAttempt(
  c: TestCenter,
  query: string,
  field: string,
  variables: Record<string, unknown> | undefined,
  bearer: string | null,
): Promise<Attempt<GqlResult<any>>> {
  return c
    .gql(query, variables ?? {}, bearer)
    .then((r) => ({ code: (r.errors?.[0]?.extensions?.code as string | undefined) ?? null, value: r.data?.[field] ?? null, result: r }));
}

/** The usual check of an allowed mutation: no GraphQL error, and a payload with no errors. */
export function expectCleanPayload(attempt: Attempt<GqlResult<any>>, field: string): Record<string, any> {
  expect(attempt.result!.errors).toBeUndefined();
  const payload = attempt.result!.data![field];
  expect(payload.errors).toEqual([]);
  return payload;
}
