/** The center's services, made once per process and reached through the request context. */
import type { AppContext } from "./graphql/context";
import { CatalogService } from "./catalog/catalog.service";
import { IdentityService } from "./identity/identity.service";
import { LabKeysService } from "./identity/lab-keys.service";
import { UsersService } from "./identity/users.service";

export interface Services {
  identity: IdentityService;
  users: UsersService;
  labKeys: LabKeysService;
  catalog: CatalogService;
}

export function createServices(app: AppContext): Services {
  return {
    identity: new IdentityService(app),
    users: new UsersService(),
    labKeys: new LabKeysService(),
    catalog: new CatalogService(),
  };
}
