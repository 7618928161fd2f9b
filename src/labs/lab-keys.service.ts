/**
 * Lab API keys: created, rotated and revoked by admins (center admins, and group admins for the
 * labs of their shops). A key is shown once, when it is made; only its keyed hash is stored
 * (see passwords.ts), with its id prefix as the lookup that finds it.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { RollbackWithErrors, userError } from "../common/errors";
import { LabEntity } from "./lab.entity";
import { inTransaction, type Outcome, type Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { LabApiKeyEntity } from "./lab-api-key.entity";
import { hashLabKey, keyedKeyHash, labKeyLookup } from "../identity/passwords";
import { labInScope } from "./lab-scope";
import { managesShopAsGroup } from "../identity/scope";

export interface IssuedKey {
  key: string;
  apiKey: LabApiKeyEntity;
}

/** `pmk_<16 hex digits: the key's id, its lookup>_<32 random bytes>`. */
export function generateLabKey(): string {
  return `pmk_${randomBytes(8).toString("hex")}_${randomBytes(32).toString("base64url")}`;
}

/**
 * Builds the stored form of a key: its keyed hash under `keyHashSecret`, or, without it (a bundle's
 * clear key, imported where the center's secret may not be known), argon2, which the center turns
 * into the keyed hash at the key's first use.
 */
export async function labKeyRecord(labId: string, key: string, label: string, id: string = randomUUID(), keyHashSecret?: Uint8Array): Promise<LabApiKeyEntity> {
  const k = new LabApiKeyEntity();
  k.id = id;
  k.labId = labId;
  k.lookup = labKeyLookup(key);
  k.hash = keyHashSecret ? keyedKeyHash(keyHashSecret, key) : await hashLabKey(key);
  k.label = label;
  k.createdAt = new Date();
  k.revokedAt = null;
  return k;
}

export class LabKeysService {
  async list(ctx: RequestContext, labId: string): Promise<LabApiKeyEntity[]> {
    const lab = await ctx.app.ds.getRepository(LabEntity).findOne({ where: { id: labId } });
    if (!lab || !(await managesShopAsGroup(ctx, ctx.app.ds.manager, lab.shopId))) return [];
    return ctx.app.ds.getRepository(LabApiKeyEntity).find({ where: { labId }, order: { createdAt: "ASC" } });
  }

  async create(ctx: RequestContext, labId: string, label: string): Promise<Outcome<IssuedKey>> {
    return inTransaction(ctx, async (tx) => {
      await labInScope(ctx, tx.em, labId, { field: ["labId"] });
      return this.issue(ctx, tx, labId, label);
    });
  }

  /** Revokes a key and issues its successor in one step, so the lab is never without a valid key for long. */
  async rotate(ctx: RequestContext, keyId: string): Promise<Outcome<IssuedKey>> {
    return inTransaction(ctx, async (tx) => {
      const old = await this.keyInScope(ctx, tx.em, keyId);
      await tx.em.update(LabApiKeyEntity, { id: old.id }, { revokedAt: new Date() });
      return this.issue(ctx, tx, old.labId, old.label);
    });
  }

  async revoke(ctx: RequestContext, keyId: string): Promise<Outcome<LabApiKeyEntity>> {
    return inTransaction(ctx, async (tx) => {
      const key = await this.keyInScope(ctx, tx.em, keyId);
      key.revokedAt = new Date();
      await tx.em.update(LabApiKeyEntity, { id: key.id }, { revokedAt: key.revokedAt });
      tx.emit("invalidate", { kind: "lab-keys" });
      return key;
    });
  }

  private async issue(ctx: RequestContext, tx: Tx, labId: string, label: string): Promise<IssuedKey> {
    const key = generateLabKey();
    const apiKey = await labKeyRecord(labId, key, label, randomUUID(), ctx.app.config.keyHashSecret);
    await tx.em.insert(LabApiKeyEntity, apiKey);
    tx.emit("invalidate", { kind: "lab-keys" });
    return { key, apiKey };
  }

  private async keyInScope(ctx: RequestContext, em: EntityManager, keyId: string): Promise<LabApiKeyEntity> {
    const key = await em.findOne(LabApiKeyEntity, { where: { id: keyId } });
    if (!key) throw new RollbackWithErrors([userError("NOT_FOUND", `No lab API key ${keyId}`, ["id"])]);
    await labInScope(ctx, em, key.labId, { field: ["id"] });
    if (key.revokedAt) throw new RollbackWithErrors([userError("KEY_REVOKED", `The key ${keyId} is revoked already`, ["id"])]);
    return key;
  }
}
