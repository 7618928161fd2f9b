/**
 * The contract's scalars, built on graphql-scalars' tested implementations under the contract's
 * names: DateTime (an ISO-8601 instant), Date (a business date, YYYY-MM-DD) and Money (a whole
 * amount in minor units, a JSON integer exact up to 2^53 - 1).
 */
import { GraphQLError, GraphQLScalarType, type GraphQLScalarTypeConfig } from "graphql";
import { GraphQLDateTime, GraphQLLocalDate, GraphQLSafeInt } from "graphql-scalars";

/**
 * An error of the library's scalar said with the name the client sees: graphql-scalars speaks of
 * "LocalDate" and "SafeInt", which are no type of this schema, and some of its messages name no
 * scalar at all. The error stays a GraphQLError with its nodes (a literal's place in the query).
 */
function asScalar(name: string, libraryName: string, e: unknown): never {
  if (!(e instanceof Error)) throw e;
  const said = e.message.replace(new RegExp(`\\b${libraryName}\\b`, "g"), name);
  const message = new RegExp(`\\b${name}\\b`).test(said) ? said : `${name}: ${said}`;
  if (e instanceof GraphQLError)
    throw new GraphQLError(message, { nodes: e.nodes, source: e.source, positions: e.positions, path: e.path, extensions: e.extensions });
  throw new GraphQLError(message);
}

/** A library scalar's configuration whose errors name `name` instead of `libraryName`. */
function named<I, E>(config: GraphQLScalarTypeConfig<I, E>, name: string, libraryName: string): GraphQLScalarTypeConfig<I, E> {
  const { serialize, parseValue, parseLiteral } = config;
  return {
    ...config,
    name,
    serialize: serialize
      ? (value) => {
          try {
            return serialize(value);
          } catch (e) {
            return asScalar(name, libraryName, e);
          }
        }
      : undefined,
    parseValue: parseValue
      ? (value) => {
          try {
            return parseValue(value);
          } catch (e) {
            return asScalar(name, libraryName, e);
          }
        }
      : undefined,
    parseLiteral: parseLiteral
      ? (node, variables) => {
          try {
            return parseLiteral(node, variables);
          } catch (e) {
            return asScalar(name, libraryName, e);
          }
        }
      : undefined,
  };
}

export const DateTimeScalar = new GraphQLScalarType({
  ...named(GraphQLDateTime.toConfig(), "DateTime", "DateTime"),
  description: "An ISO-8601 instant, e.g. 2026-04-01T09:30:00Z.",
});

const localDate = named(GraphQLLocalDate.toConfig(), "Date", "LocalDate");
/**
 * The date the last answer carried, already checked. Answers carry the same few dates again and
 * again (every quote's price date), and graphql-scalars' check of one (a pattern, a Date built and
 * printed back) cost a quote about 1% of its CPU.
 */
let lastDate: string | null = null;

export const DateScalar = new GraphQLScalarType({
  ...localDate,
  description: "A calendar date in the center's business time zone, YYYY-MM-DD.",
  specifiedByURL: undefined,
  serialize(value) {
    if (typeof value === "string" && value === lastDate) return value;
    const date = localDate.serialize!(value) as string;
    lastDate = date;
    return date;
  },
});

export const MoneyScalar = new GraphQLScalarType({
  ...named(GraphQLSafeInt.toConfig(), "Money", "SafeInt"),
  description: "A whole amount in the minor unit of the currency named next to it (JPY: yen,\nUSD: cents). Serialised as a JSON integer, exact up to 2^53 - 1.",
  specifiedByURL: undefined,
});
