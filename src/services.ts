/** The center's services, made once per process and reached through the request context. */
import type { AppContext } from "./graphql/context";
import { CatalogAdminService } from "./catalog/catalog-admin.service";
import { CatalogService } from "./catalog/catalog.service";
import { IdentityService } from "./identity/identity.service";
import { LabKeysService } from "./identity/lab-keys.service";
import { UsersService } from "./identity/users.service";
import { NotificationsService } from "./notifications/notifications.service";
import { PriceAdminService } from "./pricing/price-admin.service";
import { PricingService } from "./pricing/pricing.service";

export interface Services {
  identity: IdentityService;
  users: UsersService;
  labKeys: LabKeysService;
  catalog: CatalogService;
  catalogAdmin: CatalogAdminService;
  notifications: NotificationsService;
  pricing: PricingService;
  priceAdmin: PriceAdminService;
}

export function createServices(app: AppContext): Services {
  return {
    identity: new IdentityService(app),
    users: new UsersService(),
    labKeys: new LabKeysService(),
    catalog: new CatalogService(),
    catalogAdmin: new CatalogAdminService(),
    notifications: new NotificationsService(),
    pricing: new PricingService(app),
    priceAdmin: new PriceAdminService(),
  };
}
