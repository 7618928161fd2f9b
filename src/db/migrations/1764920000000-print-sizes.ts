import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { dbl, str } from "./table-helpers";

/**
 * What a service prints on: a named size or both sides in millimetres, borderless or not, fill or
 * fit. All null for a service that states none (the lab's own default applies).
 */
export class PrintSizes1764920000000 implements MigrationInterface {
  name = "PrintSizes1764920000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns("services", [
      new TableColumn(str("print_size_name", 16, true)),
      new TableColumn(dbl("print_width_mm")),
      new TableColumn(dbl("print_height_mm")),
      new TableColumn({ name: "print_borderless", type: "boolean", isNullable: true }),
      new TableColumn(str("print_fit", 8, true)),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ["print_fit", "print_borderless", "print_height_mm", "print_width_mm", "print_size_name"]) await q.dropColumn("services", c);
  }
}
