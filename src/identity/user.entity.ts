import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { instant } from "../db/columns";
import { Role } from "./role";

/**
 * A person who logs in: a center admin, a shop-group admin (scoped to one group), a shop admin
 * (scoped to one shop) or a customer. A disabled user's tokens stop working at once, because every
 * request loads the user again (kept a few seconds, dropped at once when the user changes).
 */
@Entity("users")
export class UserEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Index("uq_users_login", { unique: true })
  @Column({ type: "varchar", length: 100 })
  login!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column({ type: "varchar", length: 20 })
  role!: Role;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;

  @Column({ name: "password_hash", type: "varchar", length: 255 })
  passwordHash!: string;

  @Column({ type: "boolean", default: false })
  disabled!: boolean;

  /**
   * Raised by a password change, a disable and a change of role or scope: a session token names
   * the version it was issued under, and one issued under an earlier version no longer works.
   */
  @Column({ name: "session_version", type: "int", default: 0 })
  sessionVersion!: number;

  /** A customer's home shop (seed 001, claim 3): their orders go there unless they name another. */
  @Column({ name: "home_shop_id", type: "varchar", length: 64, nullable: true })
  homeShopId!: string | null;

  /** A customer's home lab (seed 001, claim 3): their orders that name no lab go there when it can print them. */
  @Column({ name: "home_lab_id", type: "varchar", length: 64, nullable: true })
  homeLabId!: string | null;

  @Column({ name: "created_at", ...instant })
  createdAt!: Date;

  @Column({ name: "updated_at", ...instant })
  updatedAt!: Date;
}

// The request context's signed-in caller is this record (the core names no domain itself).
declare module "../core/request-context" {
  interface CallerRecords {
    user: UserEntity;
  }
}
