/**
 * The labs registry (issue 5; seed 000 and 001): registering, correcting and deleting labs - the
 * shop a lab belongs to, the services it prints, its fulfilment flows, express, capacity and
 * location. Whether a lab is online, its last load and when it was last seen are the lab daemon's
 * to report, not an admin's to set.
 *
 * Who may do what: the center admin every lab; a shop-group admin the labs of their group's shops
 * (a lab moved to another shop must stay within the group). The resolvers admit the roles; the scope
 * is checked here, next to the data.
 *
 * Every operation is one transaction that checks everything before its first write and returns the
 * faults as payload errors with nothing written. The admins concerned are told of each change in
 * the same transaction; after commit the catalog caches (and the cached lab keys, so that a disabled
 * lab is refused at once) are dropped on every center process.
 */
import type { EntityManager } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkLocation, checkIdList, checkName, checkNewId, duplicateId, type Field } from "../common/catalog-checks";
import { blankToNull, deleteOrReject, exact, insertOrReject, sameList, usesMessage, type GeoPointData } from "../common/catalog-writes";
import type { LabView } from "../catalog/catalog.service";
import { FulfilmentMethod } from "../catalog/fulfilment";
import { ServiceEntity } from "../catalog/service.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { constraintKind } from "../db/driver-errors";
import { inTransaction, rejectIf, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { adminGroupId, isCenterAdmin } from "../identity/scope";
import type { PrintJobRecordsService } from "../dispatch/print-job-records.service";
import { LabEntity, LabServiceEntity } from "./lab.entity";
import { labInScope } from "./lab-scope";
import { actorName } from "../notifications/notifications.service";
import type { NotificationsService } from "../notifications/notifications.service";

/** The most services one lab may list. */
export const MAX_LAB_SERVICES = 100;
const SERVICES_RULE = { noun: "service", owner: "A lab", emptyMessage: "A lab prints at least one service", max: MAX_LAB_SERVICES };
/** Sheets per hour: above this is a typing error, not a print server. */
export const MAX_CAPACITY_SHEETS_PER_HOUR = 1_000_000;
/** The INT column's largest value (a lab's largest order). */
const MAX_INT_COLUMN = 2_147_483_647;
/** Print jobs in these states are finished: they no longer hold their lab. */

export type { GeoPointData };
export interface LabInput {
  id: string;
  name: string;
  shopId: string;
  serviceIds: string[];
  fulfilment: FulfilmentMethod[];
  express?: boolean | null;
  capacitySheetsPerHour: number;
  maxOrderSheets?: number | null;
  location?: GeoPointData | null;
  postalCode?: string | null;
  region?: string | null;
}
/** Omitted (undefined or null) fields stay; `location`, `postalCode` and `region` are cleared by null. */
export interface LabChange {
  name?: string | null;
  shopId?: string | null;
  serviceIds?: string[] | null;
  fulfilment?: FulfilmentMethod[] | null;
  express?: boolean | null;
  capacitySheetsPerHour?: number | null;
  /** 0 removes the limit. */
  maxOrderSheets?: number | null;
  location?: GeoPointData | null;
  postalCode?: string | null;
  region?: string | null;
  disabled?: boolean | null;
}

/** Labs registry management: the write side of labs, with its scopes, checks and change reports. */
export class LabsAdminService {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly printJobs: PrintJobRecordsService,
  ) {}

  async createLab(ctx: RequestContext, input: LabInput): Promise<Outcome<LabView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, LabEntity, "lab", input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      const shop = await this.shopInScope(ctx, tx.em, input.shopId, ["input", "shopId"], errors);
      await checkIdList(tx.em, ServiceEntity, input.serviceIds, ["input", "serviceIds"], errors, SERVICES_RULE);
      checkFulfilment(input.fulfilment, ["input", "fulfilment"], errors);
      checkCapacity(input.capacitySheetsPerHour, ["input", "capacitySheetsPerHour"], errors);
      if (input.maxOrderSheets != null) checkMaxOrderSheets(input.maxOrderSheets, false, ["input", "maxOrderSheets"], errors);
      checkLocation(input.location, ["input", "location"], errors);
      rejectIf(errors);
      const lab = Object.assign(new LabEntity(), {
        id: input.id,
        name: name!,
        shopId: shop!.id,
        fulfilment: normaliseFulfilment(input.fulfilment),
        express: input.express ?? false,
        capacitySheetsPerHour: input.capacitySheetsPerHour,
        maxOrderSheets: input.maxOrderSheets ?? null,
        lat: input.location?.lat ?? null,
        lng: input.location?.lng ?? null,
        postalCode: blankToNull(input.postalCode),
        region: blankToNull(input.region),
        disabled: false,
        loadUtilisation: null,
        loadQueuedJobs: null,
        loadQueuedSheets: null,
        loadReportedAt: null,
        lastSeenAt: null,
      });
      // A racing twin fails the primary key; a shop deleted meanwhile fails its foreign key.
      await insertOrReject(tx.em, LabEntity, lab, (kind) =>
        kind === "unique" ? [duplicateId("lab", input.id, ["input", "id"])] : [userError("UNKNOWN_SHOP", `No shop ${input.shopId}`, ["input", "shopId"])],
      );
      await this.writeServices(tx, lab.id, input.serviceIds);
      await this.notifications.reportChange(ctx, tx, {
        kind: "LAB_CREATED",
        message: `Lab ${lab.id} "${lab.name}" of shop ${lab.shopId} (services ${[...input.serviceIds].sort().join(", ")}) was registered by ${actorName(ctx)}`,
        scope: { kind: "SHOP", shopId: lab.shopId },
        links: { labId: lab.id },
      });
      tx.emit("invalidate", { kind: "catalog" });
      return this.view(tx.em, lab);
    });
  }

  async updateLab(ctx: RequestContext, id: string, input: LabChange): Promise<Outcome<LabView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const lab = await labInScope(ctx, tx.em, id, { field: ["id"], forUpdate: true });
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      let newShop: ShopEntity | null = null;
      if (input.shopId != null && input.shopId !== lab.shopId) {
        newShop = await this.shopInScope(ctx, tx.em, input.shopId, ["input", "shopId"], errors);
        const open = await this.printJobs.openJobIds(tx.em, lab.id);
        if (newShop && open.length > 0) {
          errors.push(
            userError("IN_USE", `${usesMessage(`Lab ${lab.id}`, [["print jobs not done or failed", open]])}; it moves to another shop once they are`, [
              "input",
              "shopId",
            ]),
          );
        }
      }
      if (input.serviceIds != null) await checkIdList(tx.em, ServiceEntity, input.serviceIds, ["input", "serviceIds"], errors, SERVICES_RULE);
      if (input.fulfilment != null) checkFulfilment(input.fulfilment, ["input", "fulfilment"], errors);
      if (input.capacitySheetsPerHour != null) checkCapacity(input.capacitySheetsPerHour, ["input", "capacitySheetsPerHour"], errors);
      if (input.maxOrderSheets != null) checkMaxOrderSheets(input.maxOrderSheets, true, ["input", "maxOrderSheets"], errors);
      checkLocation(input.location, ["input", "location"], errors);
      rejectIf(errors);

      const change: Partial<LabEntity> = {};
      const said: string[] = [];
      if (name !== undefined && name !== lab.name) {
        change.name = name;
        said.push(`name "${lab.name}" -> "${name}"`);
      }
      if (newShop) {
        change.shopId = newShop.id;
        said.push(`shop ${lab.shopId} -> ${newShop.id}`);
      }
      if (input.fulfilment != null && normaliseFulfilment(input.fulfilment) !== lab.fulfilment) {
        change.fulfilment = normaliseFulfilment(input.fulfilment);
        said.push(`fulfilment ${lab.fulfilment || "none"} -> ${change.fulfilment}`);
      }
      if (input.express != null && input.express !== lab.express) {
        change.express = input.express;
        said.push(`express ${input.express ? "on" : "off"}`);
      }
      if (input.capacitySheetsPerHour != null && input.capacitySheetsPerHour !== lab.capacitySheetsPerHour) {
        change.capacitySheetsPerHour = input.capacitySheetsPerHour;
        said.push(`capacity ${lab.capacitySheetsPerHour} -> ${input.capacitySheetsPerHour} sheets per hour`);
      }
      if (input.maxOrderSheets != null) {
        const max = input.maxOrderSheets === 0 ? null : input.maxOrderSheets;
        if (max !== lab.maxOrderSheets) {
          change.maxOrderSheets = max;
          said.push(`largest order ${lab.maxOrderSheets ?? "unlimited"} -> ${max ?? "unlimited"} sheets`);
        }
      }
      if (input.location !== undefined) {
        const lat = input.location?.lat ?? null;
        const lng = input.location?.lng ?? null;
        if (lat !== lab.lat || lng !== lab.lng) {
          Object.assign(change, { lat, lng });
          said.push(lat === null ? "location cleared" : `location ${lat}, ${lng}`);
        }
      }
      if (input.postalCode !== undefined && blankToNull(input.postalCode) !== lab.postalCode) {
        change.postalCode = blankToNull(input.postalCode);
        said.push(`postal code ${change.postalCode ?? "cleared"}`);
      }
      if (input.region !== undefined && blankToNull(input.region) !== lab.region) {
        change.region = blankToNull(input.region);
        said.push(`region ${change.region ?? "cleared"}`);
      }
      if (input.disabled != null && input.disabled !== lab.disabled) {
        change.disabled = input.disabled;
        said.push(input.disabled ? "disabled (its keys stop working)" : "enabled again");
      }
      const currentServices = await servicesOf(tx.em, lab.id);
      const wantedServices = input.serviceIds != null ? [...input.serviceIds].sort() : currentServices;
      if (!sameList(wantedServices, currentServices)) said.push(`services ${currentServices.join(", ") || "none"} -> ${wantedServices.join(", ")}`);
      if (said.length === 0) return this.view(tx.em, lab);

      const before = lab.shopId;
      if (Object.keys(change).length > 0) {
        try {
          await tx.em.update(LabEntity, { id: lab.id }, change);
        } catch (e) {
          if (constraintKind(e) === "foreign") throw new RollbackWithErrors([userError("UNKNOWN_SHOP", `No shop ${input.shopId}`, ["input", "shopId"])]);
          throw e;
        }
        Object.assign(lab, change);
      }
      if (!sameList(wantedServices, currentServices)) await this.writeServices(tx, lab.id, wantedServices);

      const notifications = this.notifications;
      const message = `Lab ${lab.id} "${lab.name}" was corrected by ${actorName(ctx)}: ${said.join(", ")}`;
      if (before === lab.shopId) {
        await notifications.reportChange(ctx, tx, { kind: "LAB_UPDATED", message, scope: { kind: "SHOP", shopId: lab.shopId }, links: { labId: lab.id } });
      } else {
        // Moved: the admins of both shops (and so of both groups' shops concerned) are told.
        const told = [
          ...(await notifications.recipients(ctx, tx.em, { kind: "SHOP", shopId: before })),
          ...(await notifications.recipients(ctx, tx.em, { kind: "SHOP", shopId: lab.shopId })),
        ];
        await notifications.send(ctx, tx, told, "LAB_UPDATED", message, { labId: lab.id, shopId: lab.shopId });
      }
      tx.emit("invalidate", { kind: "catalog" });
      return this.view(tx.em, lab);
    });
  }

  /**
   * Deletes a lab that holds no unfinished print job. Its finished jobs (DONE, FAILED), with the
   * printing history reported for them, its keys, services, load reports and held design templates
   * go with it; its orders keep the lab's id, as a record of who printed them.
   */
  async deleteLab(ctx: RequestContext, id: string): Promise<Outcome<LabView>> {
    requireCenterOrGroupAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const lab = await labInScope(ctx, tx.em, id, { field: ["id"], forUpdate: true });
      const subject = `Lab ${lab.id}`;
      const inUse = usesMessage(subject, [["print jobs not done or failed", await this.printJobs.openJobIds(tx.em, lab.id)]]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      const view = await this.view(tx.em, lab);
      await this.printJobs.deleteFinished(tx.em, lab.id);
      // Told before the row goes: the lab's shop (whose admins are concerned) is read from it.
      await this.notifications.reportChange(ctx, tx, {
        kind: "LAB_DELETED",
        message: `Lab ${lab.id} "${lab.name}" of shop ${lab.shopId} was deleted by ${actorName(ctx)}`,
        scope: { kind: "SHOP", shopId: lab.shopId },
        links: { labId: lab.id },
      });
      // A job queued for it meanwhile holds it (the foreign key is the truth).
      await deleteOrReject(tx.em, LabEntity, { id: lab.id }, subject);
      // "catalog" drops the cached lab keys too: the deleted lab's keys stop working at once.
      tx.emit("invalidate", { kind: "catalog" });
      return view;
    });
  }

  // --- Shared steps ----------------------------------------------------------------------------

  /** The shop named exactly (UNKNOWN_SHOP when there is none), if the caller manages it (else FORBIDDEN). */
  private async shopInScope(ctx: RequestContext, em: EntityManager, shopId: string, field: Field, errors: UserErrorData[]): Promise<ShopEntity | null> {
    const shop = await exact(em, ShopEntity, "id", shopId);
    if (!shop) {
      errors.push(userError("UNKNOWN_SHOP", `No shop ${shopId}`, field));
      return null;
    }
    if (!managesShop(ctx, shop)) throw forbidden(`Shop ${shop.id} is not in a group of yours`);
    return shop;
  }

  private async writeServices(tx: Tx, labId: string, serviceIds: string[]): Promise<void> {
    await tx.em.delete(LabServiceEntity, { labId });
    const links = [...new Set(serviceIds)].map((serviceId) => Object.assign(new LabServiceEntity(), { labId, serviceId }));
    // A service deleted meanwhile fails the foreign key.
    await insertOrReject(tx.em, LabServiceEntity, links, () => [
      userError("UNKNOWN_SERVICE", "A service of this lab was deleted meanwhile", ["input", "serviceIds"]),
    ]);
  }

  private async view(em: EntityManager, lab: LabEntity): Promise<LabView> {
    const serviceIds = await servicesOf(em, lab.id);
    return {
      ...lab,
      serviceIds,
      fulfilment: lab.fulfilment.split(",").filter(Boolean) as FulfilmentMethod[],
      location: lab.lat !== null && lab.lng !== null ? { lat: lab.lat, lng: lab.lng } : null,
    };
  }
}

// --- Pure helpers ------------------------------------------------------------------------------

function requireCenterOrGroupAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx) && adminGroupId(ctx) === null) throw forbidden("Only the center admin and shop-group admins manage labs");
}

function managesShop(ctx: RequestContext, shop: Pick<ShopEntity, "shopGroupId"> | null): boolean {
  if (isCenterAdmin(ctx)) return true;
  return shop !== null && shop.shopGroupId === adminGroupId(ctx);
}

/** Stored as "PICKUP,DELIVERY" in the enum's order, whatever order they were given in. */
function normaliseFulfilment(methods: FulfilmentMethod[]): string {
  return Object.values(FulfilmentMethod)
    .filter((m) => methods.includes(m))
    .join(",");
}

/** A non-empty subset of the fulfilment methods (the enum admits no other value). */
function checkFulfilment(methods: FulfilmentMethod[], field: Field, errors: UserErrorData[]): void {
  if (methods.length === 0) {
    errors.push(userError("NO_FULFILMENT", `A lab offers at least one of ${Object.values(FulfilmentMethod).join(", ")}`, field));
    return;
  }
  const seen = new Set<FulfilmentMethod>();
  methods.forEach((m, i) => {
    if (!Object.values(FulfilmentMethod).includes(m)) errors.push(userError("UNKNOWN_FULFILMENT", `No fulfilment method ${String(m)}`, [...field, i]));
    else if (seen.has(m)) errors.push(userError("DUPLICATE_FULFILMENT", `${m} is listed twice`, [...field, i]));
    seen.add(m);
  });
}

function checkCapacity(capacity: number, field: Field, errors: UserErrorData[]): void {
  if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY_SHEETS_PER_HOUR) {
    errors.push(
      userError("INVALID_CAPACITY", `capacitySheetsPerHour must be a whole number from 1 to ${MAX_CAPACITY_SHEETS_PER_HOUR}, got ${capacity}`, field),
    );
  }
}

async function servicesOf(em: EntityManager, labId: string): Promise<string[]> {
  return (await em.find(LabServiceEntity, { where: { labId }, order: { serviceId: "ASC" } })).map((l) => l.serviceId);
}

/** The largest order a lab takes: a whole number of sheets that fits its INT column; 0 (on update only) removes the limit. */
function checkMaxOrderSheets(max: number, zeroClears: boolean, field: Field, errors: UserErrorData[]): void {
  const least = zeroClears ? 0 : 1;
  if (!Number.isSafeInteger(max) || max < least || max > MAX_INT_COLUMN) {
    errors.push(userError("INVALID_MAX_ORDER_SHEETS", `maxOrderSheets must be a whole number from ${least} to ${MAX_INT_COLUMN}, got ${max}`, field));
  }
}
