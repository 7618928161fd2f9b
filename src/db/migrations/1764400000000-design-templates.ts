import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, id, int, ref, str, table, text } from "./table-helpers";

/** Design templates (seed 001, claims 5-6): the center's light version of each, and which labs hold the full file. */
export class DesignTemplates1764400000000 implements MigrationInterface {
  name = "DesignTemplates1764400000000";

  async up(q: QueryRunner): Promise<void> {
    // The preview is at most 65,535 ASCII characters: what a TEXT column holds on MariaDB too.
    await q.createTable(table("design_templates", [id(), str("name", 200), text("preview"), str("sha256", 64), int("size"), big("updated_at")]));
    await q.createTable(
      table("lab_design_templates", [ref("lab_id"), ref("design_template_id"), str("sha256", 64), big("reported_at")], {
        primary: ["lab_id", "design_template_id"],
        indices: [{ name: "ix_lab_design_templates_template", columns: ["design_template_id"] }],
        foreignKeys: [
          { columns: ["lab_id"], table: "labs", onDelete: "CASCADE" },
          { columns: ["design_template_id"], table: "design_templates", onDelete: "CASCADE" },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("lab_design_templates");
    await q.dropTable("design_templates");
  }
}
