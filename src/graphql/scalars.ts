/**
 * The contract's scalars, built on graphql-scalars' tested implementations under the contract's
 * names: DateTime (an ISO-8601 instant), Date (a business date, YYYY-MM-DD) and Money (a whole
 * amount in minor units, a JSON integer exact up to 2^53 - 1).
 */
import { GraphQLScalarType } from "graphql";
import { GraphQLDateTime, GraphQLLocalDate, GraphQLSafeInt } from "graphql-scalars";

export const DateTimeScalar = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  name: "DateTime",
  description: "An ISO-8601 instant, e.g. 2026-04-01T09:30:00Z.",
});

const localDate = GraphQLLocalDate.toConfig();
/**
 * The date the last answer carried, already checked. Answers carry the same few dates again and
 * again (every quote's price date), and graphql-scalars' check of one (a pattern, a Date built and
 * printed back) cost a quote about 1% of its CPU.
 */
let lastDate: string | null = null;

export const DateScalar = new GraphQLScalarType({
  ...localDate,
  name: "Date",
  description: "A calendar date in the center's business time zone, YYYY-MM-DD.",
  specifiedByURL: undefined,
  serialize(value) {
    if (typeof value === "string" && value === lastDate) return value;
    const date = localDate.serialize(value) as string;
    lastDate = date;
    return date;
  },
});

export const MoneyScalar = new GraphQLScalarType({
  ...GraphQLSafeInt.toConfig(),
  name: "Money",
  description: "A whole amount in the minor unit of the currency named next to it (JPY: yen,\nUSD: cents). Serialised as a JSON integer, exact up to 2^53 - 1.",
  specifiedByURL: undefined,
});
