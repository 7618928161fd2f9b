import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { int, ref } from "./table-helpers";

/**
 * The largest order a lab takes (sheets; null: no limit), a hard rule of the lab ranking, and the
 * customer's home lab (like the home shop: no foreign key, a lab that is gone is passed over).
 */
export class LabContentAndHomeLab1764930000000 implements MigrationInterface {
  name = "LabContentAndHomeLab1764930000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("labs", new TableColumn(int("max_order_sheets", true)));
    await q.addColumn("users", new TableColumn(ref("home_lab_id", true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "home_lab_id");
    await q.dropColumn("labs", "max_order_sheets");
  }
}
