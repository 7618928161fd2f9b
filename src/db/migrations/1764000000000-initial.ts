import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, bool, date, dbl, id, int, ref, str, table } from "./table-helpers";

/** Identity and catalog: users, lab keys, shop groups, shops, services, products, templates, labs, prices. */
export class Initial1764000000000 implements MigrationInterface {
  name = "Initial1764000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(table("settings", [{ name: "key", type: "varchar", length: "64", isPrimary: true }, str("value", 1000)]));
    await q.createTable(table("shop_groups", [id(), str("name", 200)]));
    await q.createTable(
      table(
        "shops",
        [
          id(),
          str("name", 200),
          ref("shop_group_id"),
          ref("admin_user_id", true),
          dbl("lat"),
          dbl("lng"),
          str("postal_code", 20, true),
          str("region", 100, true),
        ],
        { indices: [{ name: "ix_shops_group", columns: ["shop_group_id"] }], foreignKeys: [{ columns: ["shop_group_id"], table: "shop_groups" }] },
      ),
    );
    await q.createTable(
      table(
        "users",
        [
          id(),
          str("login", 100),
          str("name", 200),
          str("role", 20),
          ref("shop_group_id", true),
          ref("shop_id", true),
          str("password_hash", 255),
          bool("disabled"),
          big("created_at"),
          big("updated_at"),
        ],
        {
          indices: [{ name: "uq_users_login", columns: ["login"], unique: true }],
          foreignKeys: [
            { columns: ["shop_group_id"], table: "shop_groups" },
            { columns: ["shop_id"], table: "shops" },
          ],
        },
      ),
    );
    await q.createTable(table("services", [id(), str("name", 200)]));
    await q.createTable(table("products", [id(), str("name", 200)]));
    await q.createTable(
      table("templates", [id(), str("name", 200), ref("service_id"), ref("shop_group_id", true), ref("shop_id", true)], {
        indices: [
          { name: "uq_templates_group_service", columns: ["shop_group_id", "service_id"], unique: true },
          { name: "uq_templates_shop_service", columns: ["shop_id", "service_id"], unique: true },
        ],
        foreignKeys: [
          { columns: ["service_id"], table: "services" },
          { columns: ["shop_group_id"], table: "shop_groups" },
          { columns: ["shop_id"], table: "shops" },
        ],
      }),
    );
    await q.createTable(
      table("template_products", [ref("template_id"), ref("product_id"), int("position")], {
        primary: ["template_id", "product_id"],
        foreignKeys: [
          { columns: ["template_id"], table: "templates", onDelete: "CASCADE" },
          { columns: ["product_id"], table: "products" },
        ],
      }),
    );
    await q.createTable(
      table(
        "price_rows",
        [
          id(),
          ref("shop_group_id", true),
          ref("shop_id", true),
          ref("product_id"),
          date("valid_from"),
          date("valid_until", true),
          big("basic_charge"),
          big("amount_charge"),
          int("min_sheets", true),
          int("max_sheets", true),
          big("updated_at"),
        ],
        {
          indices: [
            { name: "ix_price_rows_group", columns: ["shop_group_id", "product_id"] },
            { name: "ix_price_rows_shop", columns: ["shop_id", "product_id"] },
            { name: "ix_price_rows_product", columns: ["product_id"] },
          ],
          foreignKeys: [
            { columns: ["product_id"], table: "products" },
            { columns: ["shop_group_id"], table: "shop_groups" },
            { columns: ["shop_id"], table: "shops" },
          ],
        },
      ),
    );
    await q.createTable(
      table(
        "shop_price_allowances",
        [ref("shop_id"), ref("product_id"), big("min_basic_charge"), big("max_basic_charge"), big("min_amount_charge"), big("max_amount_charge")],
        {
          primary: ["shop_id", "product_id"],
          foreignKeys: [
            { columns: ["shop_id"], table: "shops" },
            { columns: ["product_id"], table: "products" },
          ],
        },
      ),
    );
    await q.createTable(
      table("charged_images", [{ name: "image_id", type: "varchar", length: "64", isPrimary: true }, big("fee_per_sheet"), str("rights_holder", 200)]),
    );
    await q.createTable(
      table(
        "labs",
        [
          id(),
          str("name", 200),
          ref("shop_id"),
          str("fulfilment", 100),
          bool("express"),
          int("capacity_sheets_per_hour"),
          dbl("lat"),
          dbl("lng"),
          str("postal_code", 20, true),
          str("region", 100, true),
          bool("disabled"),
        ],
        { indices: [{ name: "ix_labs_shop", columns: ["shop_id"] }], foreignKeys: [{ columns: ["shop_id"], table: "shops" }] },
      ),
    );
    await q.createTable(
      table("lab_services", [ref("lab_id"), ref("service_id")], {
        primary: ["lab_id", "service_id"],
        foreignKeys: [
          { columns: ["lab_id"], table: "labs", onDelete: "CASCADE" },
          { columns: ["service_id"], table: "services" },
        ],
      }),
    );
    await q.createTable(
      table("lab_api_keys", [id(), ref("lab_id"), str("lookup", 16), str("hash", 255), str("label", 200), big("created_at"), big("revoked_at", true)], {
        indices: [
          { name: "ix_lab_api_keys_lab", columns: ["lab_id"] },
          { name: "ix_lab_api_keys_lookup", columns: ["lookup"] },
        ],
        foreignKeys: [{ columns: ["lab_id"], table: "labs", onDelete: "CASCADE" }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      "lab_api_keys",
      "lab_services",
      "labs",
      "charged_images",
      "shop_price_allowances",
      "price_rows",
      "template_products",
      "templates",
      "products",
      "services",
      "users",
      "shops",
      "shop_groups",
      "settings",
    ]) {
      await q.dropTable(t);
    }
  }
}
