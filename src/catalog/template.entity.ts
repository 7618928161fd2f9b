import { Column, Entity, Index, PrimaryColumn } from "typeorm";

/**
 * How a shop group (or, for a service only one shop offers, a single shop) makes up a service from
 * products (seed 003, Fig. 15-16). Exactly one of shopGroupId and shopId is set; a shop's own
 * template wins over its group's for the same service.
 */
@Entity("templates")
@Index("uq_templates_group_service", ["shopGroupId", "serviceId"], { unique: true })
@Index("uq_templates_shop_service", ["shopId", "serviceId"], { unique: true })
export class TemplateEntity {
  @PrimaryColumn({ type: "varchar", length: 64 })
  id!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column({ name: "service_id", type: "varchar", length: 64 })
  serviceId!: string;

  @Column({ name: "shop_group_id", type: "varchar", length: 64, nullable: true })
  shopGroupId!: string | null;

  @Column({ name: "shop_id", type: "varchar", length: 64, nullable: true })
  shopId!: string | null;
}

/** The products of a template, in order. */
@Entity("template_products")
export class TemplateProductEntity {
  @PrimaryColumn({ name: "template_id", type: "varchar", length: 64 })
  templateId!: string;

  @PrimaryColumn({ name: "product_id", type: "varchar", length: 64 })
  productId!: string;

  @Column({ type: "int" })
  position!: number;
}

/** A shop of the template's group left out of it: that shop does not offer the service by this template. */
@Entity("template_excluded_shops")
export class TemplateExcludedShopEntity {
  @PrimaryColumn({ name: "template_id", type: "varchar", length: 64 })
  templateId!: string;

  @PrimaryColumn({ name: "shop_id", type: "varchar", length: 64 })
  shopId!: string;
}
