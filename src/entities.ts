/**
 * Every entity of the center, in one list for the data source, and the center's way to open its
 * database: the data source itself (src/db/) knows no domain, so the list is handed to it from here.
 */
import type { DataSource } from "typeorm";
import type { DatabaseConfig } from "./config";
import { dataSourceOptions as optionsFor, openDataSource } from "./db/data-source";
import { LabEntity, LabServiceEntity } from "./labs/lab.entity";
import { ProductEntity } from "./catalog/product.entity";
import { ServiceEntity } from "./catalog/service.entity";
import { SettingEntity } from "./catalog/setting.entity";
import { ShopGroupEntity } from "./catalog/shop-group.entity";
import { ShopEntity } from "./catalog/shop.entity";
import { TemplateEntity, TemplateExcludedShopEntity, TemplateProductEntity } from "./catalog/template.entity";
import { LabApiKeyEntity } from "./labs/lab-api-key.entity";
import { UserEntity } from "./identity/user.entity";
import { NotificationEntity } from "./notifications/notification.entity";
import { ImageEntity } from "./images/image.entity";
import { PrintJobEntity } from "./dispatch/print-job.entity";
import { LabLoadReportEntity, PrintHistoryEntity } from "./labs/lab-report.entity";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "./design-templates/design-template.entity";
import { OrderEntity, OrderItemEntity, SubOrderEntity } from "./orders/order.entity";
import { PriceHistoryEntity } from "./pricing/price-history.entity";
import { ChargedImageEntity } from "./pricing/charged-image.entity";
import { PriceRowEntity } from "./pricing/price-row.entity";
import { ShopPriceAllowanceEntity } from "./pricing/shop-price-allowance.entity";
import { PriceWriteLockEntity } from "./pricing/price-lock";
import { CacheVersionEntity } from "./db/cache-versions";
import { ShootEntity } from "./shoots/shoot.entity";
import { CaptureDeviceEntity } from "./shoots/capture-device.entity";
import { ShootImageEntity } from "./shoots/shoot-image.entity";
import { AccessCodeEntity } from "./shoots/access-code.entity";
import { PaymentEntity, PaymentEventEntity } from "./payments/payment.entity";
import { ShipmentEntity } from "./shipping/shipment.entity";

export const entities = [
  SettingEntity,
  ShopGroupEntity,
  ShopEntity,
  UserEntity,
  LabApiKeyEntity,
  ServiceEntity,
  ProductEntity,
  TemplateEntity,
  TemplateProductEntity,
  TemplateExcludedShopEntity,
  PriceRowEntity,
  ShopPriceAllowanceEntity,
  ChargedImageEntity,
  LabEntity,
  LabServiceEntity,
  NotificationEntity,
  PriceHistoryEntity,
  ImageEntity,
  OrderEntity,
  SubOrderEntity,
  OrderItemEntity,
  PrintJobEntity,
  LabLoadReportEntity,
  PrintHistoryEntity,
  DesignTemplateEntity,
  LabDesignTemplateEntity,
  PriceWriteLockEntity,
  CacheVersionEntity,
  ShootEntity,
  CaptureDeviceEntity,
  ShootImageEntity,
  AccessCodeEntity,
  PaymentEntity,
  PaymentEventEntity,
  ShipmentEntity,
];

/** Opens the center's database (creating the SQLite folder if needed) and brings its schema up to date. */
export function openDatabase(db: DatabaseConfig, opts: { poolSize?: number; migrate?: boolean } = {}): Promise<DataSource> {
  return openDataSource(db, { ...opts, entities });
}

/** The TypeORM options of the center's database (for the TypeORM command line). */
export function dataSourceOptions(db: DatabaseConfig, opts: { poolSize?: number } = {}) {
  return optionsFor(db, { ...opts, entities });
}
