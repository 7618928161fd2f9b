/**
 * The composition root: every service of a center made once, each with the collaborators it uses
 * as constructor arguments (so a service's dependencies are in its signature), and the resolvers
 * made with their services. Nothing reaches a service through the request context.
 */
import type { AppContext, ResolverInstances } from "./core/request-context";
import { ChargedImagesAdminService } from "./catalog/charged-images-admin.service";
import { ProductsAdminService } from "./catalog/products-admin.service";
import { ShopsAdminService } from "./catalog/shops-admin.service";
import { CatalogService } from "./catalog/catalog.service";
import { PrintChecksService } from "./catalog/print-checks.service";
import { IdentityService } from "./identity/identity.service";
import { CustomerAccountsService } from "./identity/customer-accounts.service";
import { ImagesService } from "./images/images.service";
import { LabKeysService } from "./labs/lab-keys.service";
import { UsersService } from "./identity/users.service";
import { NotificationsService } from "./notifications/notifications.service";
import { OrderNoticesService } from "./orders/order-notices.service";
import { PriceAdminService } from "./pricing/price-admin.service";
import { PriceEffects } from "./pricing/price-effects";
import { PricingService } from "./pricing/pricing.service";
import { AssignmentService } from "./assignment/assignment.service";
import { LabPresence } from "./labs/lab-presence.service";
import { OrdersService } from "./orders/orders.service";
import { OrderPlacingService } from "./orders/order-placing.service";
import { OrderChangesService } from "./orders/order-changes.service";
import { PrintJobRecordsService } from "./dispatch/print-job-records.service";
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
import { ImageUrlSigner } from "./images/image-urls";
import { CatalogAdminResolver } from "./catalog/catalog-admin.resolver";
import { CatalogResolver } from "./catalog/catalog.resolver";
import { ShopGroupsResolver } from "./catalog/shop-groups.resolver";
import { TemplateFieldsResolver } from "./catalog/template-fields.resolver";
import { ServiceFieldsResolver } from "./catalog/service-fields.resolver";
import { IdentityResolver } from "./identity/identity.resolver";
import { CustomerAccountsResolver } from "./identity/customer-accounts.resolver";
import { NotificationsResolver } from "./notifications/notifications.resolver";
import { NotificationLinksResolver } from "./notifications/notification-links.resolver";
import { PricingResolver } from "./pricing/pricing.resolver";
import { PriceScheduleResolver } from "./pricing/price-schedule.resolver";
import { PriceScheduleService } from "./pricing/price-schedule.service";
import { OrdersResolver } from "./orders/orders.resolver";
import { OrderItemsResolver } from "./orders/order-items.resolver";
import { PriceRowsResolver } from "./pricing/price-rows.resolver";
import { PriceHistoryResolver } from "./pricing/price-history.resolver";
import { ImageReadsService } from "./images/image-reads.service";
import { PrintJobsResolver } from "./dispatch/print-jobs.resolver";
import { LabReportsResolver } from "./labs/lab-reports.resolver";
import { LabsAdminResolver } from "./labs/labs-admin.resolver";
import { DesignTemplatesResolver } from "./design-templates/design-templates.resolver";
import { ShootsService } from "./shoots/shoots.service";
import { CaptureDevicesService } from "./shoots/capture-devices.service";
import { ShootIngestService } from "./shoots/shoot-ingest.service";
import { ShootsResolver } from "./shoots/shoots.resolver";
import { FirstPrintsService } from "./shoots/first-prints.service";
import { FirstPrintsResolver } from "./shoots/first-prints.resolver";
import { ShootRetention } from "./shoots/retention";
import { AccessCodesService } from "./shoots/access-codes.service";
import { AccessCodesResolver } from "./shoots/access-codes.resolver";
import { PaymentsService } from "./payments/payments.service";
import { ReorderPlacingService } from "./reorders/reorder-placing.service";
import { ReorderSettlementService } from "./reorders/reorder-settlement.service";
import { ReordersResolver } from "./reorders/reorders.resolver";
import { ShippingService } from "./shipping/shipping.service";
import { OrderShipmentResolver, ShippingResolver } from "./shipping/shipping.resolver";

export interface Services {
  /** The rate limits of logins, keys and uploads (in Redis with REDIS_URL); closed with the server. */
  rateLimits: RateLimits;
  identity: IdentityService;
  /** Sign-ups, password changes and sign-outs. */
  accounts: CustomerAccountsService;
  users: UsersService;
  labKeys: LabKeysService;
  catalog: CatalogService;
  shopsAdmin: ShopsAdminService;
  productsAdmin: ProductsAdminService;
  chargedImagesAdmin: ChargedImagesAdminService;
  notifications: NotificationsService;
  pricing: PricingService;
  priceAdmin: PriceAdminService;
  /** Prices set for a period in one step, and where prices are missing. */
  priceSchedule: PriceScheduleService;
  images: ImagesService;
  /** Images as the graph shows them (order items' images), in batches. */
  imageReads: ImageReadsService;
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
  /** Event photography: shoots and their images. */
  shoots: ShootsService;
  /** Capture devices and their keys. */
  captureDevices: CaptureDevicesService;
  /** What capture devices send (HTTP and FTP) becomes shoot images. */
  shootIngest: ShootIngestService;
  /** First prints of a shoot at its first-print lab. */
  firstPrints: FirstPrintsService;
  /** The sweep that removes shoot images after their retention (started by the server). */
  shootRetention: ShootRetention;
  /** Access codes and the galleries they open. */
  accessCodes: AccessCodesService;
  /** Reorders' payment records, their providers and the reconciliation sweep. */
  payments: PaymentsService;
  /** Placing reorders (AWAITING_PAYMENT until paid). */
  reorderPlacing: ReorderPlacingService;
  /** Settling, refunding and the gateway's events: a settled reorder goes to a lab. */
  reorderSettlement: ReorderSettlementService;
  /** Shipments of delivery orders (made when printed, moved by the shipping terminal) and pickup orders collected. */
  shipping: ShippingService;
}

/**
 * Every service of one center. The order is the order of dependence: a service is made after the
 * collaborators it is given. Two needs that would have made a cycle are met apart: image links are
 * signed by an ImageUrlSigner that both images and dispatch are given (images asks dispatch
 * whether a job's links still hold, dispatch hands links to labs).
 */
export function createServices(app: AppContext): Services {
  const rateLimits = new RateLimits(app.config.redis, channelPrefix(app.config.database));
  const printJobStore: PrintJobStore = isSqlite(app.ds) ? new SqlitePrintJobStore() : new MariaDbPrintJobStore();
  const presence = new LabPresence();
  const notifications = new NotificationsService();
  const orders = new OrdersService();
  const assignment = new AssignmentService(app, presence);
  const imageUrls = new ImageUrlSigner(app.config.jwtSecret);
  const imageReads = new ImageReadsService(orders, imageUrls);
  const pricing = new PricingService(app, assignment, new PrintChecksService(app, imageReads));
  const printJobRecords = new PrintJobRecordsService();
  const labReports = new LabReportsService(presence, printJobRecords);
  const designTemplates = new DesignTemplatesService(app, notifications);
  const catalog = new CatalogService();
  // Dispatch tells shipping, in the transaction of the completion, that an order was printed.
  const shipping = new ShippingService(orders, catalog);
  const printJobLifecycle = new PrintJobLifecycleService(printJobStore, orders, imageUrls, labReports, designTemplates, notifications, shipping);
  const printJobs = new PrintJobsService(printJobStore, orders, presence, printJobLifecycle);
  const images = new ImagesService(app, { printJobs, pricing, orders, urls: imageUrls }, { rateLimits });
  const payments = new PaymentsService(app, notifications);
  const orderNotices = new OrderNoticesService(notifications);
  const priceEffects = new PriceEffects(pricing, notifications);
  const priceAdmin = new PriceAdminService(notifications, priceEffects);
  // Cancelling an unpaid reorder fails its PENDING payment in the same transaction.
  const orderChanges = new OrderChangesService(printJobs, assignment, orders, payments, orderNotices);
  const identity = new IdentityService(app, rateLimits);
  const captureDevices = new CaptureDevicesService(app, rateLimits);
  const accessCodes = new AccessCodesService(app, rateLimits, imageUrls);
  const orderPlacing = new OrderPlacingService(pricing, designTemplates, orderChanges, images, assignment);
  return {
    rateLimits,
    identity,
    accounts: new CustomerAccountsService(app, rateLimits, identity),
    users: new UsersService(),
    labKeys: new LabKeysService(),
    catalog,
    shopsAdmin: new ShopsAdminService(orders, notifications),
    productsAdmin: new ProductsAdminService(orders, notifications),
    chargedImagesAdmin: new ChargedImagesAdminService(notifications),
    notifications,
    pricing,
    priceAdmin,
    priceSchedule: new PriceScheduleService(priceAdmin, pricing, notifications, priceEffects),
    images,
    imageReads,
    presence,
    assignment,
    orders,
    orderPlacing,
    orderChanges,
    printJobStore,
    printJobs,
    printJobLifecycle,
    labReports,
    labsAdmin: new LabsAdminService(notifications, printJobRecords),
    designTemplates,
    shoots: new ShootsService(),
    captureDevices,
    shootIngest: new ShootIngestService(app, images, captureDevices),
    firstPrints: new FirstPrintsService(orderPlacing),
    shootRetention: new ShootRetention(images, notifications, orders),
    accessCodes,
    shipping,
    payments,
    reorderPlacing: new ReorderPlacingService(orders, pricing, assignment, designTemplates, accessCodes, payments),
    reorderSettlement: new ReorderSettlementService(orders, printJobs, assignment, payments, orderNotices),
  };
}

/**
 * The resolvers of one center, made with their services. The schema is built once per process
 * (tests run several centers in one process), so its container asks each request's context for
 * these instances (see graphql/schema.ts).
 */
export function createResolvers(s: Services): ResolverInstances {
  const instances = new Map<unknown, unknown>([
    [IdentityResolver, new IdentityResolver(s.identity, s.labKeys, s.users)],
    [CustomerAccountsResolver, new CustomerAccountsResolver(s.accounts)],
    [CatalogResolver, new CatalogResolver(s.catalog)],
    [ShopGroupsResolver, new ShopGroupsResolver(s.catalog)],
    [TemplateFieldsResolver, new TemplateFieldsResolver(s.catalog)],
    [ServiceFieldsResolver, new ServiceFieldsResolver()],
    [CatalogAdminResolver, new CatalogAdminResolver(s.chargedImagesAdmin, s.productsAdmin, s.shopsAdmin)],
    [NotificationsResolver, new NotificationsResolver(s.notifications)],
    [NotificationLinksResolver, new NotificationLinksResolver(s.catalog, s.orders)],
    [PricingResolver, new PricingResolver(s.priceAdmin, s.pricing)],
    [PriceScheduleResolver, new PriceScheduleResolver(s.priceSchedule)],
    [OrdersResolver, new OrdersResolver(s.orderChanges, s.orderPlacing, s.orders, s.catalog)],
    [PriceHistoryResolver, new PriceHistoryResolver()],
    [PriceRowsResolver, new PriceRowsResolver(s.catalog)],
    [OrderItemsResolver, new OrderItemsResolver(s.imageReads)],
    [PrintJobsResolver, new PrintJobsResolver(s.printJobLifecycle, s.printJobs)],
    [LabReportsResolver, new LabReportsResolver(s.labReports)],
    [LabsAdminResolver, new LabsAdminResolver(s.labsAdmin)],
    [DesignTemplatesResolver, new DesignTemplatesResolver(s.designTemplates)],
    [ShootsResolver, new ShootsResolver(s.shoots, s.captureDevices)],
    [FirstPrintsResolver, new FirstPrintsResolver(s.firstPrints)],
    [AccessCodesResolver, new AccessCodesResolver(s.accessCodes)],
    [ReordersResolver, new ReordersResolver(s.reorderPlacing, s.reorderSettlement, s.payments)],
    [ShippingResolver, new ShippingResolver(s.shipping)],
    [OrderShipmentResolver, new OrderShipmentResolver(s.shipping)],
  ]);
  return {
    get<T>(cls: abstract new (...args: never[]) => T): T {
      const instance = instances.get(cls);
      if (instance === undefined) throw new Error(`No resolver ${cls.name} in this center`);
      return instance as T;
    },
  };
}
