/**
 * How Apollo executes an operation: compiled once per document (graphql-jit), not interpreted field
 * by field (graphql-js's `execute`). A quote's answer has over a hundred fields, and interpreting
 * them cost about as much as everything else in the request together.
 *
 * Variables are coerced as graphql-js's `execute` coerces them: the same values, and for a bad
 * value the same messages, which Apollo answers 400 BAD_USER_INPUT. graphql-jit's compiled
 * coercion is tried first, as it is several times faster, and its result is used only where it is
 * the same as graphql-js's: where it refuses anything, graphql-js's `getVariableValues` coerces
 * again and decides. graphql-jit refuses what graphql-js refuses, and more (a missing non-null
 * input field that has a default, which the specification allows); the one thing it accepts that
 * graphql-js does not is an empty list given for an input object, so variables holding an empty
 * list always go to graphql-js. Input types with `@oneOf`, which graphql-jit does not check, do
 * the same (the schema has none today).
 *
 * The compiled document then receives values already coerced: it declares those variables with a
 * pass-through scalar that exists only in the compiler's copy of the schema. Variables of the
 * built-in scalars keep their declarations (the compiler checks that `@skip`/`@include` variables
 * are Boolean), and coercing an already coerced built-in value again changes nothing.
 *
 * Plugged in through Apollo's executor interface (`gateway`), which hands the executor the parsed,
 * validated document and the request's context; everything before (parsing, validation, plugins)
 * and after (error formatting, HTTP) is Apollo's as before. graphql-ws runs queries and mutations
 * the same way (ws.ts).
 *
 * Replaces graphql-js's `execute` in every lane, Apollo's included, so `npm run bench:transport`
 * does not weigh it (both sides of each comparison run it); what it saves is told above. Proven
 * equal by test/graphql/compiled-execution.test.ts (the same results and errors as `execute`).
 */
import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import {
  execute,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  isInputObjectType,
  GraphQLScalarType,
  Kind,
  specifiedScalarTypes,
  type DocumentNode,
  type ExecutionResult,
  type OperationDefinitionNode,
  type TypeNode,
  type VariableDefinitionNode,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { compileVariableParsing, failToParseVariables, type CoercedVariableValues } from "graphql-jit/dist/variables";
import { noteRequestOfErrors } from "./errors-format";

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown })?.then === "function";

const PRECOERCED = "PrintmeshPrecoercedValue";
const BUILT_IN = new Set(specifiedScalarTypes.map((t) => t.name));

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

/** The variable's declaration as the compiler sees it: the pass-through scalar unless a built-in one. */
function precoerced(def: VariableDefinitionNode): VariableDefinitionNode {
  if (BUILT_IN.has(namedType(def.type))) return def;
  const named = { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: PRECOERCED } } as const;
  return { ...def, type: def.type.kind === Kind.NON_NULL_TYPE ? { kind: Kind.NON_NULL_TYPE, type: named } : named, defaultValue: undefined };
}

/** Whether a list with no items is anywhere in `value` (walked without recursion: the depth is the client's). */
function holdsEmptyList(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      if (v.length === 0) return true;
      for (const item of v) stack.push(item);
    } else {
      for (const key in v) stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

function holdsOneOf(schema: GraphQLSchema): boolean {
  return Object.values(schema.getTypeMap()).some((t) => isInputObjectType(t) && t.isOneOf);
}

function compilerDocument(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  return {
    ...document,
    definitions: document.definitions.map((d) => (d === operation ? { ...operation, variableDefinitions: operation.variableDefinitions?.map(precoerced) } : d)),
  };
}

/**
 * The result with graphql-js's own errors in place of graphql-jit's. graphql-jit's error has a
 * read-only message and no extensions object when its cause has none; the protection's error hook
 * rewrites messages (to hide "Did you mean" in production), and failed with a TypeError on every
 * refusal, so Apollo answered 500 for what should be UNAUTHENTICATED or FORBIDDEN.
 */
function withGraphQLErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors || result.errors.length === 0) return result;
  const errors = result.errors.map((e) => {
    if (Object.getOwnPropertyDescriptor(e, "message")?.writable !== false && e.extensions !== undefined) return e;
    const copy = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions: e.extensions });
    // graphql-js derives locations from AST nodes; graphql-jit gives them computed already.
    if (e.locations !== undefined) (copy as { locations?: GraphQLError["locations"] }).locations = e.locations;
    return copy;
  });
  return { ...result, errors };
}

interface Compiled {
  /** graphql-jit's coercion of the operation's variables; null: graphql-js's only. */
  variables: ((inputs: Record<string, unknown>) => CoercedVariableValues) | null;
  query: CompiledQuery | ExecutionResult;
}

export interface CompiledOperations {
  /** `operation` of `document` (parsed and validated) run with the client's variables. */
  execute(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown> | null | undefined,
    context: unknown,
  ): ExecutionResult | Promise<ExecutionResult>;
  /** How many operations were compiled so far. */
  readonly compilations: number;
}

/**
 * Operations over `schema`, each compiled on its first run. The compiled code is kept with the
 * document it came from, for as long as the document itself is kept: Apollo's document store and
 * the socket server's parse cache hand out the same document for the same text, and bound how
 * many are kept.
 */
export function compiledOperations(schema: GraphQLSchema): CompiledOperations {
  const config = schema.toConfig();
  const passThrough = new GraphQLScalarType({
    name: PRECOERCED,
    description: "A variable value graphql-js has already coerced.",
    parseValue: (value) => value,
    serialize: (value) => value,
  });
  // The same types, resolvers included, and one more scalar: never served, only compiled against.
  const compilerSchema = new GraphQLSchema({ ...config, types: [...config.types, passThrough], assumeValid: true });
  const fastCoercion = !holdsOneOf(schema);
  const compiled = new WeakMap<DocumentNode, Map<OperationDefinitionNode, Compiled>>();
  let compilations = 0;

  const compile = (document: DocumentNode, operation: OperationDefinitionNode): Compiled => {
    compilations++;
    let variables: Compiled["variables"] = null;
    if (fastCoercion) {
      try {
        variables = compileVariableParsing(schema, operation.variableDefinitions ?? []);
      } catch {
        variables = null; // graphql-js coerces this operation's variables, and words any fault
      }
    }
    return { variables, query: compileQuery(compilerSchema, compilerDocument(document, operation), operation.name?.value) };
  };

  return {
    get compilations() {
      return compilations;
    },
    execute(document, operation, variables, context) {
      let perOperation = compiled.get(document);
      if (perOperation === undefined) compiled.set(document, (perOperation = new Map()));
      let entry = perOperation.get(operation);
      if (entry === undefined) perOperation.set(operation, (entry = compile(document, operation)));
      if (!isCompiledQuery(entry.query)) return entry.query;
      const raw = variables ?? {};
      const fast = entry.variables !== null && !holdsEmptyList(raw) ? entry.variables(raw) : null;
      let coerced: Record<string, unknown>;
      if (fast !== null && !failToParseVariables(fast)) {
        coerced = fast.coerced;
      } else {
        const exact = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 50 });
        if (exact.errors) return { errors: exact.errors };
        coerced = exact.coerced;
      }
      const result = entry.query.query(undefined, context, coerced);
      const requestId = (context as { requestId?: unknown } | null)?.requestId;
      const finish = (r: ExecutionResult): ExecutionResult => {
        const plain = withGraphQLErrors(r);
        if (typeof requestId === "string") noteRequestOfErrors(plain.errors, requestId);
        return plain;
      };
      return isPromise(result) ? result.then(finish) : finish(result);
    },
  };
}

/**
 * The executor Apollo calls for every operation. Apollo calls it even when the document has no
 * operation by the name asked (or several and no name): graphql-js then says which, and Apollo
 * answers OPERATION_RESOLUTION_FAILURE. A subscription is refused (400 BAD_REQUEST): it is served
 * over graphql-ws on the same path.
 */
function compiledExecutor(schema: GraphQLSchema, operations: CompiledOperations): GatewayExecutor {
  return async (request) => {
    if (!request.operation) return execute({ schema, document: request.document, operationName: request.request.operationName });
    if (request.operation.operation === "subscription") {
      return {
        errors: [
          new GraphQLError("Subscriptions are served over graphql-ws (a WebSocket on this same path), not over HTTP", { extensions: { code: "BAD_REQUEST" } }),
        ],
      };
    }
    return operations.execute(request.document, request.operation, request.request.variables, request.context);
  };
}

/** Apollo's executor interface, serving `schema` as it is and executing through compiledExecutor. */
export function compiledExecution(schema: GraphQLSchema, operations: CompiledOperations): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => undefined;
    },
    async load() {
      return { executor: compiledExecutor(schema, operations) };
    },
    async stop() {},
  };
}
