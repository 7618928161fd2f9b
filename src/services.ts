/** The center's services, made once per process and reached through the request context. */
import type { AppContext } from "./core/request-context";
import { ChargedImagesAdminService } from "./catalog/charged-images-admin.service";
import { ProductsAdminService } from "./catalog/products-admin.service";
import { ShopsAdminService } from "./catalog/shops-admin.service";
import { CatalogService } from "./catalog/catalog.service";
import { IdentityService } from "./identity/identity.service";
import { ImagesService } from "./images/images.service";
import { LabKeysService } from "./labs/lab-keys.service";
import { UsersService } from "./identity/users.service";
import { NotificationsService } from "./notifications/notifications.service";
import { PriceAdminService } from "./pricing/price-admin.service";
import { PricingService } from "./pricing/pricing.service";
import { AssignmentService } from "./assignment/assignment.service";
import { LabPresence } from "./labs/presence";
import { OrdersService } from "./orders/orders.service";
import { OrderPlacingService } from "./orders/order-placing.service";
import { OrderChangesService } from "./orders/order-changes.service";
import { PrintJobsService } from "./dispatch/print-jobs.service";
import { PrintJobLifecycleService } from "./dispatch/print-job-lifecycle.service";
import { LabReportsService } from "./labs/lab-reports.service";
import { LabsAdminService } from "./labs/labs-admin.service";
import { DesignTemplatesService } from "./design-templates/design-templates.service";
import { RateLimits } from "./common/rate-limits";
import { channelPrefix } from "./core/events";
import { isSqlite } from "./db/transaction";
import type { PrintJobStore } from "./dispatch/print-job-store";
import { SqlitePrintJobStore } from "./dispatch/print-job-store.sqlite";
import { MariaDbPrintJobStore } from "./dispatch/print-job-store.mariadb";

export interface Services {
  /** The rate limits of logins, keys and uploads (in Redis with REDIS_URL); closed with the server. */
  rateLimits: RateLimits;
  identity: IdentityService;
  users: UsersService;
  labKeys: LabKeysService;
  catalog: CatalogService;
  shopsAdmin: ShopsAdminService;
  productsAdmin: ProductsAdminService;
  chargedImagesAdmin: ChargedImagesAdminService;
  notifications: NotificationsService;
  pricing: PricingService;
  priceAdmin: PriceAdminService;
  images: ImagesService;
  presence: LabPresence;
  assignment: AssignmentService;
  /** Reading orders (and the customer's home shop). */
  orders: OrdersService;
  /** Quoting and placing orders. */
  orderPlacing: OrderPlacingService;
  /** Confirming, cancelling and moving orders. */
  orderChanges: OrderChangesService;
  /** Where print jobs are stored: the statements of the engine in use (picked here, once). */
  printJobStore: PrintJobStore;
  printJobs: PrintJobsService;
  printJobLifecycle: PrintJobLifecycleService;
  labReports: LabReportsService;
  labsAdmin: LabsAdminService;
  designTemplates: DesignTemplatesService;
}

export function createServices(app: AppContext): Services {
  const rateLimits = new RateLimits(app.config.redisUrl, channelPrefix(app.config.database));
  const printJobStore: PrintJobStore = isSqlite(app.ds) ? new SqlitePrintJobStore() : new MariaDbPrintJobStore();
  return {
    rateLimits,
    identity: new IdentityService(app, rateLimits),
    users: new UsersService(),
    labKeys: new LabKeysService(),
    catalog: new CatalogService(),
    shopsAdmin: new ShopsAdminService(),
    productsAdmin: new ProductsAdminService(),
    chargedImagesAdmin: new ChargedImagesAdminService(),
    notifications: new NotificationsService(),
    pricing: new PricingService(app),
    priceAdmin: new PriceAdminService(),
    images: new ImagesService(app, { rateLimits }),
    presence: new LabPresence(),
    assignment: new AssignmentService(app),
    orders: new OrdersService(),
    orderPlacing: new OrderPlacingService(),
    orderChanges: new OrderChangesService(),
    printJobStore,
    printJobs: new PrintJobsService(printJobStore),
    printJobLifecycle: new PrintJobLifecycleService(printJobStore),
    labReports: new LabReportsService(),
    labsAdmin: new LabsAdminService(),
    designTemplates: new DesignTemplatesService(app),
  };
}
