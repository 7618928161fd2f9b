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

export const DateScalar = new GraphQLScalarType({
  ...GraphQLLocalDate.toConfig(),
  name: "Date",
  description: "A calendar date in the center's business time zone, YYYY-MM-DD.",
  specifiedByURL: undefined,
});

export const MoneyScalar = new GraphQLScalarType({
  ...GraphQLSafeInt.toConfig(),
  name: "Money",
  description:
    "A whole amount in the minor unit of the currency named next to it (JPY: yen,\nUSD: cents). Serialised as a JSON integer, exact up to 2^53 - 1.",
  specifiedByURL: undefined,
});
