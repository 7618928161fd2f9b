import { FieldResolver, Resolver, Root } from "type-graphql";
import { PrintSizeType, ServiceType } from "./catalog.types";
import { printSizeOf, type PrintSize } from "./print-sizes";
import type { ServiceEntity } from "./service.entity";

/** A service's object fields: what it prints on, from its row. */
@Resolver(() => ServiceType)
export class ServiceFieldsResolver {
  @FieldResolver(() => PrintSizeType, {
    nullable: true,
    description: "What the service prints on; null when the catalog states none (the lab's default applies).",
  })
  printSize(@Root() service: ServiceEntity): PrintSize | null {
    return printSizeOf(service);
  }
}
