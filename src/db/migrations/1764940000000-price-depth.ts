import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { ref, str, table } from "./table-helpers";

/**
 * Price history entries of one change made of several row writes (a price scheduled for a period,
 * which shortens, splits or removes the rows it overlaps) share a change id; and a group's template
 * may leave out named shops of the group, which then do not offer its service by it.
 */
export class PriceDepth1764940000000 implements MigrationInterface {
  name = "PriceDepth1764940000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("price_history", new TableColumn(str("change_id", 36, true)));
    await q.createTable(
      table("template_excluded_shops", [ref("template_id"), ref("shop_id")], {
        primary: ["template_id", "shop_id"],
        indices: [{ name: "ix_template_excluded_shops_shop", columns: ["shop_id"] }],
        foreignKeys: [
          { columns: ["template_id"], table: "templates", onDelete: "CASCADE" },
          { columns: ["shop_id"], table: "shops", onDelete: "CASCADE" },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("template_excluded_shops");
    await q.dropColumn("price_history", "change_id");
  }
}
