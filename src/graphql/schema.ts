/**
 * The GraphQL schema, built from the type-graphql resolvers of every domain. Built once per
 * process; `npm run schema:emit` prints it into the committed schema.graphql.
 */
import { lexicographicSortSchema, printSchema, type GraphQLObjectType, type GraphQLSchema } from "graphql";
import { buildSchema, type NonEmptyArray } from "type-graphql";
import { CatalogAdminResolver } from "../catalog/catalog-admin.resolver";
import { CatalogResolver } from "../catalog/catalog.resolver";
import { ShopGroupsResolver } from "../catalog/shop-groups.resolver";
import { TemplateFieldsResolver } from "../catalog/template-fields.resolver";
import { ServiceFieldsResolver } from "../catalog/service-fields.resolver";
import { IdentityResolver } from "../identity/identity.resolver";
import { CustomerAccountsResolver } from "../identity/customer-accounts.resolver";
import { NotificationsResolver } from "../notifications/notifications.resolver";
import { NotificationLinksResolver } from "../notifications/notification-links.resolver";
import { PricingResolver } from "../pricing/pricing.resolver";
import { OrdersResolver } from "../orders/orders.resolver";
import { OrderItemsResolver } from "../orders/order-items.resolver";
import { PriceRowsResolver } from "../pricing/price-rows.resolver";
import { PriceHistoryResolver } from "../pricing/price-history.resolver";
import { PriceScheduleResolver } from "../pricing/price-schedule.resolver";
import { PrintJobsResolver } from "../dispatch/print-jobs.resolver";
import { LabReportsResolver } from "../labs/lab-reports.resolver";
import { LabsAdminResolver } from "../labs/labs-admin.resolver";
import { ShootsResolver } from "../shoots/shoots.resolver";
import { FirstPrintsResolver } from "../shoots/first-prints.resolver";
import { AccessCodesResolver } from "../shoots/access-codes.resolver";
import { ReordersResolver } from "../reorders/reorders.resolver";
import { DesignTemplatesResolver } from "../design-templates/design-templates.resolver";
import { OrderShipmentResolver, ShippingResolver } from "../shipping/shipping.resolver";
import { validateArgument } from "./argument-validation";
import { authChecker } from "./auth-checker";
import { DateTimeScalar } from "./scalars";
import { keepValidationMetadata } from "./validation-metadata";
import type { RequestContext } from "../core/request-context";

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  IdentityResolver,
  CustomerAccountsResolver,
  CatalogResolver,
  ShopGroupsResolver,
  TemplateFieldsResolver,
  ServiceFieldsResolver,
  CatalogAdminResolver,
  NotificationsResolver,
  NotificationLinksResolver,
  PricingResolver,
  OrdersResolver,
  OrderItemsResolver,
  PriceRowsResolver,
  PriceHistoryResolver,
  PriceScheduleResolver,
  PrintJobsResolver,
  LabReportsResolver,
  LabsAdminResolver,
  ShootsResolver,
  FirstPrintsResolver,
  AccessCodesResolver,
  ReordersResolver,
  DesignTemplatesResolver,
  ShippingResolver,
  OrderShipmentResolver,
];

let built: Promise<GraphQLSchema> | null = null;

/** The root types have no class to carry a description: they get theirs once the schema is built. */
function describeRoots(schema: GraphQLSchema): GraphQLSchema {
  const roots: [GraphQLObjectType | null | undefined, string][] = [
    [schema.getQueryType(), "Reads: catalog, offers and quotes, orders, prices, labs and users, within the caller's scope."],
    [schema.getMutationType(), "Writes: each runs in one transaction and reports business failures in its payload's errors."],
    [schema.getSubscriptionType(), "Live events over graphql-ws (WebSocket), sent once the change that made them has committed."],
  ];
  for (const [type, description] of roots) if (type) type.description = description;
  return schema;
}

export function appSchema(): Promise<GraphQLSchema> {
  keepValidationMetadata();
  built ??= buildSchema({
    resolvers,
    authChecker,
    authMode: "error",
    validateFn: validateArgument,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Resolver instances are a center's (made with its services in the composition root), and the
    // schema serves every center of the process: each request's context names its center's.
    container: ({ context }: { context: RequestContext }) => context.resolvers,
    // Every subscription names its own `subscribe` on the center's event bus (one bus per center,
    // and tests run several centers in one process); this stand-in only satisfies the builder.
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error("subscriptions use their own subscribe function");
      },
    },
  }).then(describeRoots);
  return built;
}

/** The schema as SDL, sorted so that the committed file only changes when the schema does. */
export async function schemaSdl(): Promise<string> {
  return printSchema(lexicographicSortSchema(await appSchema())) + "\n";
}
