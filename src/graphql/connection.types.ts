/**
 * Relay connection types, one generic factory for every list that grows (see core/pagination.ts):
 * `<Name>Connection { edges { node cursor } pageInfo }`, a page at a time with `first`/`after`.
 */
import { Field, ObjectType, type ClassType } from "type-graphql";

@ObjectType("PageInfo", { description: "Where a page of a connection ends, and whether another follows." })
export class PageInfo {
  @Field(() => Boolean, { description: "Whether a page follows this one (ask again with after: endCursor)." })
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "The cursor of the page's last edge; null for an empty page." })
  endCursor?: string | null;
}

/** The `<name>Connection` and `<name>Edge` types of `node`, with descriptions. */
export function connectionType<T extends object>(name: string, node: ClassType<T>, description: string) {
  @ObjectType(`${name}Edge`, { description: `One ${name} of a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: "Opaque; pass it as after to read what follows this edge." })
    cursor!: string;

    @Field(() => node, { description: `The ${name}.` })
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description })
  class Connection {
    @Field(() => [Edge], { description: "This page's edges, in the connection's order." })
    edges!: Edge[];

    @Field(() => PageInfo, { description: "Whether another page follows, and the cursor to ask for it." })
    pageInfo!: PageInfo;
  }
  return Connection;
}

/** The `first` argument of a connection made by `connectionType` (with `@Arg("first", () => Int, FIRST_ARG)`). */
export const FIRST_ARG = { nullable: true, defaultValue: 20, description: "At most this many edges (1 to 100)." } as const;

/** The `after` argument of a connection made by `connectionType` (with `@Arg("after", () => String, AFTER_ARG)`). */
export const AFTER_ARG = { nullable: true, description: "The endCursor of the page before; unset: from the start." } as const;

/** A connection's page arguments as the resolver received them, with the default page size. */
export function page(first: number | null | undefined, after: string | null | undefined): { first: number; after: string | null } {
  return { first: first ?? FIRST_ARG.defaultValue, after: after ?? null };
}
