/**
 * Design templates, light and full (seed 001, claims 5-6): the labs hold the full template files,
 * the center a lighter version of each - its id, name, a small preview and the SHA-256 and size of
 * the full file. The center admin manages them; each lab daemon reports which ones it holds (its
 * report replaces the set); an order item may name one; a job whose template its lab lacks fails,
 * retryable, with TEMPLATE_MISSING and the admins are told.
 *
 * Checks come before the first write and faults come back as payload errors with nothing written,
 * like every management operation of the center.
 */
import { In, type EntityManager } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { usesMessage } from "../common/catalog-writes";
import { checkName, checkNewId, duplicateId, type Field } from "../common/catalog-checks";
import { LabEntity } from "../labs/lab.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { isUniqueViolation } from "../db/driver-errors";
import { forUpdate } from "../db/locks";
import { inTransaction, rejectIf, type Outcome, type Tx } from "../core/unit-of-work";
import type { AppContext, RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { adminGroupId, adminShopId, isCenterAdmin } from "../identity/scope";
import { UserEntity } from "../identity/user.entity";
import type { PrintJobEntity } from "../dispatch/print-job.entity";
import { OrderEntity, OrderItemEntity } from "../orders/order.entity";
import type { OrderStatus } from "../orders/order-state";
import { DesignTemplateEntity, LabDesignTemplateEntity } from "./design-template.entity";
import { actorName } from "../notifications/notifications.service";
import type { NotificationsService } from "../notifications/notifications.service";

/** A preview is at most this many characters as a data URL (64 KiB less one: what a MariaDB TEXT holds). */
export const MAX_PREVIEW_LENGTH = 65_535;
/** The most templates one lab report may list. */
export const MAX_LAB_TEMPLATES = 10_000;
/** The largest full file a template may have, in bytes (the size column is a 32-bit integer). */
export const MAX_TEMPLATE_SIZE = 2_147_483_647;
/** The code a lab daemon gives (at the start of failPrintJob's reason) when it lacks a job's template. */
export const TEMPLATE_MISSING = "TEMPLATE_MISSING";
/**
 * A lab failing job after job for the same missing templates tells the admins once in this window
 * (per center process): a retryable failure comes back on every retry.
 */
export const MISSING_REPORT_QUIET_MS = 15 * 60 * 1000;

/** Orders in these states may still be printed: a template they name cannot be deleted. */
const OPEN_ORDER_STATES: OrderStatus[] = ["QUOTED", "CONFIRMED", "ASSIGNED", "PRINTING"];
const SHA256_RE = /^[0-9a-fA-F]{64}$/;

export interface DesignTemplateInput {
  id: string;
  name: string;
  preview: string;
  sha256: string;
  size: number;
}
export interface DesignTemplateChange {
  name?: string | null;
  preview?: string | null;
  sha256?: string | null;
  size?: number | null;
}
export interface HeldTemplate {
  id: string;
  sha256: string;
}
/** A template a lab holds; `current` is false when the center's file changed since the lab reported it. */
export interface LabDesignTemplateView {
  labId: string;
  designTemplateId: string;
  sha256: string;
  reportedAt: Date;
  current: boolean;
}
/** What orders look like to the template check: items that may name a template. */
export interface OrderTemplatesInput {
  subOrders: Array<{ items: Array<{ designTemplateId?: string | null }> }>;
}

export class DesignTemplatesService {
  /** Per lab and missing set: until when a TEMPLATE_MISSING notice is not repeated. */
  private readonly quietUntil = new Map<string, number>();

  constructor(
    private readonly app: AppContext,
    private readonly notifications: NotificationsService,
  ) {}

  // --- Reading ---------------------------------------------------------------------------------

  /** Every design template (people pick them for order items; labs fetch the files they lack). */
  async list(_ctx: RequestContext): Promise<DesignTemplateEntity[]> {
    return this.app.ds.getRepository(DesignTemplateEntity).find({ order: { id: "ASC" } });
  }

  async get(_ctx: RequestContext, id: string): Promise<DesignTemplateEntity | null> {
    return exactTemplate(this.app.ds.manager, id);
  }

  /**
   * The templates a lab holds, for the center admin, the admins of its shop's group and of its shop,
   * and the lab itself; nothing for anyone else (a lab outside one's scope does not exist for them).
   */
  async labTemplates(ctx: RequestContext, labId: string): Promise<LabDesignTemplateView[]> {
    const em = this.app.ds.manager;
    const lab = await em.findOne(LabEntity, { where: { id: labId } });
    if (!lab || lab.id !== labId || !(await seesLab(ctx, em, lab))) return [];
    return this.held(em, lab.id);
  }

  // --- Managing (the center admin) -------------------------------------------------------------

  async create(ctx: RequestContext, input: DesignTemplateInput): Promise<Outcome<DesignTemplateEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, DesignTemplateEntity, "design template", input.id, ["input", "id"], errors);
      const name = checkName(input.name, ["input", "name"], errors);
      const preview = checkPreview(input.preview, ["input", "preview"], errors);
      const sha256 = checkSha256(input.sha256, ["input", "sha256"], errors);
      checkSize(input.size, ["input", "size"], errors);
      rejectIf(errors);
      const template = Object.assign(new DesignTemplateEntity(), {
        id: input.id,
        name: name!,
        preview: preview!,
        sha256: sha256!,
        size: input.size,
        updatedAt: new Date(),
      });
      try {
        await tx.em.insert(DesignTemplateEntity, template);
      } catch (e) {
        // A racing twin (in another letter case on MariaDB) won the primary key.
        if (!isUniqueViolation(e)) throw e;
        throw new RollbackWithErrors([duplicateId("design template", input.id, ["input", "id"])]);
      }
      await this.report(
        ctx,
        tx,
        "DESIGN_TEMPLATE_CREATED",
        `Design template ${template.id} "${template.name}" (${template.size} bytes, sha256 ${template.sha256}) was registered by ${actorName(ctx)}; labs should fetch its file`,
      );
      return template;
    });
  }

  async update(ctx: RequestContext, id: string, input: DesignTemplateChange): Promise<Outcome<DesignTemplateEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const template = await exactTemplate(tx.em, id, true);
      if (!template) throw notFound(id, ["id"]);
      const errors: UserErrorData[] = [];
      const name = input.name != null ? checkName(input.name, ["input", "name"], errors) : undefined;
      const preview = input.preview != null ? checkPreview(input.preview, ["input", "preview"], errors) : undefined;
      const sha256 = input.sha256 != null ? checkSha256(input.sha256, ["input", "sha256"], errors) : undefined;
      if (input.size != null) checkSize(input.size, ["input", "size"], errors);
      rejectIf(errors);
      const change: Partial<DesignTemplateEntity> = {};
      const said: string[] = [];
      if (name !== undefined && name !== template.name) {
        change.name = name;
        said.push(`name "${template.name}" -> "${name}"`);
      }
      if (preview !== undefined && preview !== template.preview) {
        change.preview = preview;
        said.push("a new preview");
      }
      if (sha256 !== undefined && sha256 !== template.sha256) {
        change.sha256 = sha256;
        said.push(`a new file (sha256 ${sha256}); labs holding the old one must fetch it`);
        tx.emit("invalidate", { kind: "labs" }); // labs holding the old file no longer hold it
      }
      if (input.size != null && input.size !== template.size) {
        change.size = input.size;
        said.push(`size ${template.size} -> ${input.size} bytes`);
      }
      if (said.length === 0) return template;
      change.updatedAt = new Date();
      Object.assign(template, change);
      await tx.em.update(DesignTemplateEntity, { id: template.id }, change);
      await this.report(ctx, tx, "DESIGN_TEMPLATE_UPDATED", `Design template ${template.id} was corrected by ${actorName(ctx)}: ${said.join(", ")}`);
      return template;
    });
  }

  /** Deletes a template no open order names (IN_USE names them); the labs' records of holding it go with it. */
  async delete(ctx: RequestContext, id: string): Promise<Outcome<DesignTemplateEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const template = await exactTemplate(tx.em, id, true);
      if (!template) throw notFound(id, ["id"]);
      const orders = await tx.em
        .createQueryBuilder(OrderItemEntity, "i")
        .select("DISTINCT i.order_id", "orderId")
        .innerJoin(OrderEntity, "o", "o.id = i.order_id")
        .where("i.design_template_id = :id AND o.status IN (:...open)", { id: template.id, open: OPEN_ORDER_STATES })
        .orderBy("i.order_id", "ASC")
        .getRawMany<{ orderId: string }>();
      const inUse = usesMessage(`Design template ${template.id}`, [["open orders", orders.map((o) => o.orderId)]]);
      if (inUse) throw new RollbackWithErrors([userError("IN_USE", inUse, ["id"])]);
      await tx.em.delete(LabDesignTemplateEntity, { designTemplateId: template.id });
      await tx.em.delete(DesignTemplateEntity, { id: template.id });
      tx.emit("invalidate", { kind: "labs" }); // the lab ranking's view of what labs hold

      await this.report(ctx, tx, "DESIGN_TEMPLATE_DELETED", `Design template ${template.id} "${template.name}" was deleted by ${actorName(ctx)}`);
      return template;
    });
  }

  // --- The labs' side --------------------------------------------------------------------------

  /**
   * A lab daemon's report of the templates it holds: replaces the set the center knows for it.
   * Unknown ids, a checksum other than the center's (an old or broken copy) and malformed entries
   * are reported by index, and then nothing is stored.
   */
  async reportLabTemplates(ctx: RequestContext, templates: HeldTemplate[]): Promise<Outcome<LabDesignTemplateView[]>> {
    if (ctx.auth.kind !== "lab") throw forbidden("Only a lab daemon (a lab API key) reports the templates it holds");
    const labId = ctx.auth.labId;
    return inTransaction(ctx, async (tx) => {
      if (templates.length > MAX_LAB_TEMPLATES) {
        throw new RollbackWithErrors([
          userError("TOO_MANY_TEMPLATES", `A report lists at most ${MAX_LAB_TEMPLATES} templates, got ${templates.length}`, ["templates"]),
        ]);
      }
      // Held until commit: two reports of one lab replace its set one after the other.
      const lab = await tx.em.findOne(LabEntity, { where: { id: labId }, ...forUpdate(tx.em) });
      if (!lab) throw forbidden(`Lab ${labId} no longer exists`);
      const known = await templatesById(
        tx.em,
        templates.map((t) => t.id),
      );
      const errors: UserErrorData[] = [];
      const seen = new Set<string>();
      const rows: LabDesignTemplateEntity[] = [];
      const now = new Date();
      templates.forEach((t, i) => {
        const center = known.get(t.id);
        if (seen.has(t.id)) errors.push(userError("DUPLICATE_DESIGN_TEMPLATE", `Design template ${t.id} is listed twice`, ["templates", i, "id"]));
        else if (!center) errors.push(userError("UNKNOWN_DESIGN_TEMPLATE", `No design template ${t.id}`, ["templates", i, "id"]));
        else if (!SHA256_RE.test(t.sha256)) errors.push(userError("INVALID_SHA256", "sha256 must be 64 hexadecimal digits", ["templates", i, "sha256"]));
        else if (t.sha256.toLowerCase() !== center.sha256) {
          errors.push(
            userError(
              "CHECKSUM_MISMATCH",
              `The lab's copy of design template ${t.id} has sha256 ${t.sha256.toLowerCase()}, the center's file ${center.sha256}: fetch the current file`,
              ["templates", i, "sha256"],
            ),
          );
        } else rows.push(Object.assign(new LabDesignTemplateEntity(), { labId, designTemplateId: t.id, sha256: center.sha256, reportedAt: now }));
        seen.add(t.id);
      });
      rejectIf(errors);
      tx.emit("invalidate", { kind: "labs" }); // the lab ranking's view of what labs hold
      await tx.em.delete(LabDesignTemplateEntity, { labId });
      for (let i = 0; i < rows.length; i += 200) await tx.em.insert(LabDesignTemplateEntity, rows.slice(i, i + 200));
      await tx.em.update(LabEntity, { id: labId }, { lastSeenAt: now });
      return rows
        .map((r) => ({ labId: r.labId, designTemplateId: r.designTemplateId, sha256: r.sha256, reportedAt: r.reportedAt, current: true }))
        .sort(byTemplateId);
    });
  }

  /**
   * The templates among `ids` the lab does not hold at the center's current checksum (or that the
   * center does not know at all), sorted. For the center side: assignment, a job's pre-check.
   */
  async missingTemplates(labId: string, ids: readonly string[], em: EntityManager = this.app.ds.manager): Promise<string[]> {
    const wanted = [...new Set(ids)];
    if (wanted.length === 0) return [];
    const centers = await templatesById(em, wanted);
    const held = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await em.find(LabDesignTemplateEntity, { where: { labId, designTemplateId: In(wanted.slice(i, i + 500)) } });
      for (const r of rows) if (r.labId === labId) held.set(r.designTemplateId, r.sha256);
    }
    return wanted.filter((id) => !centers.has(id) || held.get(id) !== centers.get(id)!.sha256).sort();
  }

  /** Whether the lab holds every one of these templates at the center's current checksum. */
  async labHasTemplates(labId: string, ids: readonly string[], em: EntityManager = this.app.ds.manager): Promise<boolean> {
    return (await this.missingTemplates(labId, ids, em)).length === 0;
  }

  /**
   * Order items naming a design template the center does not know (UNKNOWN_DESIGN_TEMPLATE, at the
   * item's designTemplateId). For placeOrder, before anything is written.
   */
  async checkDesignTemplates(ctx: RequestContext, input: OrderTemplatesInput): Promise<UserErrorData[]> {
    const named = input.subOrders.flatMap((s) => s.items.map((it) => it.designTemplateId)).filter((id): id is string => id != null);
    if (named.length === 0) return [];
    const known = await templatesById(this.app.ds.manager, named);
    const errors: UserErrorData[] = [];
    input.subOrders.forEach((s, si) =>
      s.items.forEach((it, ii) => {
        if (it.designTemplateId != null && !known.has(it.designTemplateId)) {
          errors.push(
            userError("UNKNOWN_DESIGN_TEMPLATE", `No design template ${it.designTemplateId}`, ["input", "subOrders", si, "items", ii, "designTemplateId"]),
          );
        }
      }),
    );
    return errors;
  }

  /**
   * Called by failPrintJob, in its transaction, for a failed job: when the lab's reason is
   * TEMPLATE_MISSING, the center admins and the admins of the lab's shop (and its group) are told
   * which templates the lab lacks. Any other reason does nothing. Answers who was told.
   */
  async reportMissing(ctx: RequestContext, tx: Tx, job: Pick<PrintJobEntity, "id" | "orderId" | "labId">, reason: string): Promise<string[]> {
    if (!isTemplateMissing(reason)) return [];
    const items = await tx.em.find(OrderItemEntity, { where: { orderId: job.orderId }, select: { id: true, designTemplateId: true } });
    const needed = [...new Set(items.map((i) => i.designTemplateId).filter((id): id is string => id !== null))].sort();
    const missing = await this.missingTemplates(job.labId, needed, tx.em);
    const key = `${job.labId}|${missing.join(",")}`;
    const now = Date.now();
    if ((this.quietUntil.get(key) ?? 0) > now) return [];
    for (const [k, until] of this.quietUntil) if (until <= now) this.quietUntil.delete(k);
    this.quietUntil.set(key, now + MISSING_REPORT_QUIET_MS);

    const lab = await tx.em.findOne(LabEntity, { where: { id: job.labId }, select: { id: true, shopId: true } });
    const notifications = this.notifications;
    const shopAdmins = lab ? await notifications.recipients(ctx, tx.em, { kind: "SHOP", shopId: lab.shopId }) : [];
    const centerAdmins = (await tx.em.find(UserEntity, { where: { role: Role.CENTER_ADMIN, disabled: false }, select: { id: true } })).map((u) => u.id);
    const lacks =
      missing.length > 0
        ? `it lacks design template${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`
        : `it reports a missing design template although it reported holding ${needed.length > 0 ? needed.join(", ") : "every one the order names"}`;
    const message = `Print job ${job.id} of order ${job.orderId} failed at lab ${job.labId}: ${lacks}; it will be retried once the lab has the file (lab's reason: ${reason.slice(0, 500)})`;
    return notifications.send(ctx, tx, [...centerAdmins, ...shopAdmins], TEMPLATE_MISSING, message, {
      orderId: job.orderId,
      labId: job.labId,
      shopId: lab?.shopId,
    });
  }

  // --- Shared steps ----------------------------------------------------------------------------

  private async held(em: EntityManager, labId: string): Promise<LabDesignTemplateView[]> {
    const rows = await em.find(LabDesignTemplateEntity, { where: { labId }, order: { designTemplateId: "ASC" } });
    const centers = await templatesById(
      em,
      rows.map((r) => r.designTemplateId),
    );
    return rows.map((r) => ({
      labId: r.labId,
      designTemplateId: r.designTemplateId,
      sha256: r.sha256,
      reportedAt: r.reportedAt,
      current: centers.get(r.designTemplateId)?.sha256 === r.sha256,
    }));
  }

  /** Design templates are the whole network's: every group and shop admin is told of a change. */
  private async report(ctx: RequestContext, tx: Tx, kind: string, message: string): Promise<void> {
    await this.notifications.reportChange(ctx, tx, { kind, message, scope: { kind: "SYSTEM" } });
  }
}

// --- Pure helpers ------------------------------------------------------------------------------

/** Whether a failPrintJob reason is the TEMPLATE_MISSING code (optionally followed by details). */
export function isTemplateMissing(reason: string): boolean {
  return new RegExp(`^\\s*${TEMPLATE_MISSING}\\b`).test(reason);
}

export type PreviewCheck = { ok: true; dataUrl: string } | { ok: false; code: "INVALID_PREVIEW" | "PREVIEW_TOO_LARGE"; message: string };

/**
 * A preview given as a data URL (image/png, jpeg, gif or webp; base64) or as bare base64, checked
 * to be such an image (by its first bytes) and returned as a data URL, so that readers can always
 * show it as it is. SVG is refused: a data URL may carry script.
 */
export function normalisePreview(raw: string): PreviewCheck {
  const text = raw.trim();
  const m = /^data:(image\/[a-z+.-]+);base64,(.*)$/s.exec(text);
  const declared = m ? m[1] : null;
  const b64 = m ? m[2] : text;
  if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    return { ok: false, code: "INVALID_PREVIEW", message: "The preview must be a base64 image, bare or as a data URL (data:image/png;base64,...)" };
  }
  const sniffed = sniffImage(Buffer.from(b64.slice(0, 64), "base64"));
  if (!sniffed) return { ok: false, code: "INVALID_PREVIEW", message: "The preview must be a PNG, JPEG, GIF or WebP image" };
  if (declared !== null && declared !== sniffed) return { ok: false, code: "INVALID_PREVIEW", message: `The preview says ${declared} but is ${sniffed}` };
  const dataUrl = `data:${sniffed};base64,${b64}`;
  if (dataUrl.length > MAX_PREVIEW_LENGTH) {
    return {
      ok: false,
      code: "PREVIEW_TOO_LARGE",
      message: `The preview must be at most ${MAX_PREVIEW_LENGTH} characters as a data URL (about 48 KiB of image), got ${dataUrl.length}`,
    };
  }
  return { ok: true, dataUrl };
}

function sniffImage(head: Buffer): string | null {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head.length >= 6 && /^GIF8[79]a$/.test(head.subarray(0, 6).toString("latin1"))) return "image/gif";
  if (head.length >= 12 && head.subarray(0, 4).toString("latin1") === "RIFF" && head.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  return null;
}

function checkPreview(raw: string, field: Field, errors: UserErrorData[]): string | undefined {
  const r = normalisePreview(raw);
  if (r.ok) return r.dataUrl;
  errors.push(userError(r.code, r.message, field));
  return undefined;
}

function checkSha256(raw: string, field: Field, errors: UserErrorData[]): string | undefined {
  const s = raw.trim();
  if (!SHA256_RE.test(s)) {
    errors.push(userError("INVALID_SHA256", "sha256 must be the SHA-256 of the full file: 64 hexadecimal digits", field));
    return undefined;
  }
  return s.toLowerCase();
}

function checkSize(size: number, field: Field, errors: UserErrorData[]): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_TEMPLATE_SIZE) {
    errors.push(userError("INVALID_SIZE", `size must be the full file's size in bytes, 1 to ${MAX_TEMPLATE_SIZE}, got ${size}`, field));
  }
}

/** The templates of these ids, named exactly (MariaDB compares ignoring letter case; a reference must not). */
async function templatesById(em: EntityManager, ids: readonly string[]): Promise<Map<string, DesignTemplateEntity>> {
  const wanted = [...new Set(ids)];
  const out = new Map<string, DesignTemplateEntity>();
  for (let i = 0; i < wanted.length; i += 500) {
    const rows = await em.find(DesignTemplateEntity, { where: { id: In(wanted.slice(i, i + 500)) }, select: { id: true, sha256: true } });
    for (const r of rows) out.set(r.id, r);
  }
  const exactly = new Set(wanted);
  for (const id of [...out.keys()]) if (!exactly.has(id)) out.delete(id);
  return out;
}

async function exactTemplate(em: EntityManager, id: string, lock = false): Promise<DesignTemplateEntity | null> {
  const row = await em.findOne(DesignTemplateEntity, { where: { id }, ...(lock ? forUpdate(em) : {}) });
  return row !== null && row.id === id ? row : null;
}

/** Center admins see every lab; a group admin their group's shops' labs; a shop admin their shop's; a lab itself. */
async function seesLab(ctx: RequestContext, em: EntityManager, lab: LabEntity): Promise<boolean> {
  if (isCenterAdmin(ctx)) return true;
  if (ctx.auth.kind === "lab") return ctx.auth.labId === lab.id;
  const shopId = adminShopId(ctx);
  if (shopId !== null) return shopId === lab.shopId;
  const groupId = adminGroupId(ctx);
  if (groupId === null) return false;
  const shop = await em.findOne(ShopEntity, { where: { id: lab.shopId }, select: { id: true, shopGroupId: true } });
  return shop?.shopGroupId === groupId;
}

function requireCenterAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx)) throw forbidden("Only the center admin manages design templates");
}

function byTemplateId(a: { designTemplateId: string }, b: { designTemplateId: string }): number {
  return a.designTemplateId < b.designTemplateId ? -1 : a.designTemplateId > b.designTemplateId ? 1 : 0;
}

function notFound(id: string, field: Field): RollbackWithErrors {
  return new RollbackWithErrors([userError("NOT_FOUND", `No design template ${id}`, field)]);
}
