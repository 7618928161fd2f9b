import {
  execute,
  getOperationAST,
  GraphQLEnumType,
  GraphQLError,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
} from "graphql";
import { compiledOperations } from "../../src/graphql/compiled-execution";

let parsedDays = 0;
const Day = new GraphQLScalarType({
  name: "Day",
  parseValue: (v) => {
    parsedDays++;
    if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new TypeError(`not a day: ${String(v)}`);
    return new Date(`${v}T00:00:00Z`);
  },
  serialize: (v) => (v as Date).toISOString().slice(0, 10),
});
// Internal values unlike the names: a second coercion of a coerced value would fail.
const Speed = new GraphQLEnumType({ name: "Speed", values: { STANDARD: { value: 1 }, EXPRESS: { value: 2 } } });
const Layout = new GraphQLInputObjectType({
  name: "Layout",
  fields: {
    page: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 1 },
    speed: { type: new GraphQLNonNull(Speed), defaultValue: 1 },
    note: { type: GraphQLString },
  },
});
const Filter = new GraphQLInputObjectType({ name: "Filter", fields: { name: { type: GraphQLString }, from: { type: Day } } });

const Echo = new GraphQLObjectType({
  name: "Echo",
  fields: {
    json: { type: GraphQLString },
    day: { type: Day },
    failing: {
      type: new GraphQLNonNull(GraphQLString),
      resolve: () => {
        throw new GraphQLError("no such thing", { extensions: { code: "NOT_FOUND" } });
      },
    },
  },
});
/** Arguments as the resolver got them, a Date marked as one (JSON would make it a plain string). */
const show = (v: unknown): unknown =>
  v instanceof Date
    ? `Date(${v.toISOString()})`
    : Array.isArray(v)
      ? v.map(show)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]))
        : v;
const echo = (_: unknown, args: Record<string, unknown>) => ({ json: JSON.stringify(show(args)), day: args.from ?? null });

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: "Query",
    fields: {
      layout: { type: Echo, args: { layout: { type: new GraphQLNonNull(Layout) } }, resolve: echo },
      layouts: { type: Echo, args: { layouts: { type: new GraphQLList(new GraphQLNonNull(Layout)) } }, resolve: echo },
      filter: { type: Echo, args: { filter: { type: Filter }, from: { type: Day } }, resolve: echo },
      count: { type: Echo, args: { n: { type: GraphQLInt }, speed: { type: Speed } }, resolve: echo },
      who: { type: GraphQLString, args: { name: { type: GraphQLString } }, resolve: (_s, a: { name?: string }) => `hello ${a.name ?? "nobody"}` },
    },
  }),
});

const operations = compiledOperations(schema);

/** Parsed documents by text, as Apollo's document store and the socket's parse cache keep them. */
const documents = new Map<string, DocumentNode>();

/** What the transports hand the compiled operations for a validated request. */
async function viaCompiled(source: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<ExecutionResult> {
  let document = documents.get(source);
  if (document === undefined) {
    document = parse(source);
    expect(validate(schema, document)).toEqual([]);
    documents.set(source, document);
  }
  return operations.execute(document, getOperationAST(document, operationName)!, variables, {});
}

/** graphql-js's own answer, the reference. */
async function viaGraphqlJs(source: string, variableValues: Record<string, unknown> = {}, operationName?: string): Promise<ExecutionResult> {
  return execute({ schema, document: parse(source), variableValues, operationName });
}

/** Both answers as JSON (what a client receives), which must be the same. */
async function both(source: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<unknown> {
  const compiled = JSON.parse(JSON.stringify(await viaCompiled(source, variables, operationName)));
  const reference = JSON.parse(JSON.stringify(await viaGraphqlJs(source, variables, operationName)));
  expect(compiled).toEqual(reference);
  return compiled;
}

describe("compiled execution", () => {
  it("applies an input field's default for a missing non-null field, as the specification says", async () => {
    const q = "query($l: Layout!) { layout(layout: $l) { json } }";
    expect(await both(q, { l: {} })).toEqual({ data: { layout: { json: '{"layout":{"page":1,"speed":1}}' } } });
    expect(await both(q, { l: { page: 3, speed: "EXPRESS", note: "x" } })).toEqual({
      data: { layout: { json: '{"layout":{"page":3,"speed":2,"note":"x"}}' } },
    });
    // Again: compiled once, for as long as the document is kept.
    const before = operations.compilations;
    expect(await both(q, { l: { speed: "EXPRESS" } })).toEqual({ data: { layout: { json: '{"layout":{"page":1,"speed":2}}' } } });
    expect(operations.compilations).toBe(before);
    // Another parse of the same text is another document: compiled again.
    documents.delete(q);
    expect(await both(q, { l: {} })).toEqual({ data: { layout: { json: '{"layout":{"page":1,"speed":1}}' } } });
    expect(operations.compilations).toBe(before + 1);
  });

  it("coerces each variable once: enums to their values, custom scalars parsed once", async () => {
    parsedDays = 0;
    const result = await viaCompiled("query($n: Int, $s: Speed, $f: Filter) { count(n: $n, speed: $s) { json } filter(filter: $f) { json } }", {
      n: 4,
      s: "EXPRESS",
      f: { name: "a", from: "2026-11-21" },
    });
    expect(result).toEqual({
      data: { count: { json: '{"n":4,"speed":2}' }, filter: { json: '{"filter":{"name":"a","from":"Date(2026-11-21T00:00:00.000Z)"}}' } },
    });
    expect(parsedDays).toBe(1);
    const day = await viaCompiled("query($d: Day) { filter(from: $d) { day } }", { d: "2026-01-31" });
    expect(day).toEqual({ data: { filter: { day: "2026-01-31" } } });
  });

  it("refuses bad variables with graphql-js's own messages", async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["query($n: Int) { count(n: $n) { json } }", { n: "x" }, 'Variable "$n" got invalid value "x"; Int cannot represent non-integer value: "x"'],
      [
        "query($l: Layout!) { layout(layout: $l) { json } }",
        { l: { page: null } },
        'Variable "$l" got invalid value null at "l.page"; Expected non-nullable type "Int!" not to be null.',
      ],
      [
        "query($l: Layout!) { layout(layout: $l) { json } }",
        { l: { pages: 2 } },
        'Variable "$l" got invalid value { pages: 2 }; Field "pages" is not defined by type "Layout". Did you mean "page"?',
      ],
      ["query($s: Speed) { count(speed: $s) { json } }", { s: "SLOW" }, 'Variable "$s" got invalid value "SLOW"; Value "SLOW" does not exist in "Speed" enum.'],
      [
        "query($f: Filter) { filter(filter: $f) { json } }",
        { f: { from: "yesterday" } },
        'Variable "$f" got invalid value "yesterday" at "f.from"; Expected type "Day". not a day: yesterday',
      ],
      ["query($l: Layout!) { layout(layout: $l) { json } }", {}, 'Variable "$l" of required type "Layout!" was not provided.'],
    ];
    for (const [q, v, message] of cases) {
      const result = (await both(q, v)) as { data?: unknown; errors: Array<{ message: string }> };
      expect(result.data).toBeUndefined();
      expect(result.errors.map((e) => e.message)).toEqual([message]);
    }
  });

  it("refuses an empty list given for an input object, which graphql-jit alone would take as {}", async () => {
    const result = (await both("query($f: Filter) { filter(filter: $f) { json } }", { f: [] })) as { errors: Array<{ message: string }> };
    expect(result.errors.map((e) => e.message)).toEqual(['Variable "$f" got invalid value []; Expected type "Filter" to be an object.']);
    // An empty list where a list belongs is fine.
    expect(await both("query($l: [Layout!]) { layouts(layouts: $l) { json } }", { l: [] })).toEqual({ data: { layouts: { json: '{"layouts":[]}' } } });
  });

  it("survives variables nested deeper than the stack allows, refusing them", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = await viaCompiled("query($l: [Layout!]) { layouts(layouts: $l) { json } }", { l: deep });
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/^Variable "\$l" got invalid value/);
  });

  it("honours @skip and @include on Boolean variables, defaults included", async () => {
    const q = 'query($yes: Boolean!, $no: Boolean = false) { a: who(name: "a") @include(if: $yes) b: who(name: "b") @include(if: $no) c: who @skip(if: $yes) }';
    expect(await both(q, { yes: true })).toEqual({ data: { a: "hello a" } });
    expect(await both(q, { yes: false, no: true })).toEqual({ data: { b: "hello b", c: "hello nobody" } });
  });

  it("runs the operation named in a document of several, each its own", async () => {
    const q = 'query A { who(name: "a") } query B($n: String) { who(name: $n) }';
    const before = operations.compilations;
    expect(await both(q, {}, "A")).toEqual({ data: { who: "hello a" } });
    expect(await both(q, { n: "b" }, "B")).toEqual({ data: { who: "hello b" } });
    expect(await both(q, {}, "A")).toEqual({ data: { who: "hello a" } });
    expect(operations.compilations).toBe(before + 2);
  });

  it("reports a resolver's error with its path, code and the null it leaves, as graphql-js does", async () => {
    const result = (await both("{ layout(layout: {}) { json failing } }")) as {
      data: unknown;
      errors: Array<{ message: string; path: unknown[]; extensions: unknown }>;
    };
    expect(result.data).toEqual({ layout: null });
    expect(result.errors.map((e) => [e.message, e.path, e.extensions])).toEqual([["no such thing", ["layout", "failing"], { code: "NOT_FOUND" }]]);
  });
});
