import { TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import { big, bool, date, dbl, int, ref, str, table } from "./table-helpers";

/** Labs that pull: the load reports' time series, the labs' printing history, the lease sweeper's indexes. */
export class LabReports1764300000000 implements MigrationInterface {
  name = "LabReports1764300000000";

  async up(q: QueryRunner): Promise<void> {
    const uuid = (name: string) => ({ ...ref(name), length: "36" });
    await q.createTable(
      table(
        "lab_load_reports",
        [{ ...uuid("id"), isPrimary: true }, ref("lab_id"), big("reported_at"), int("queued_jobs"), int("queued_sheets"), dbl("utilisation", false)],
        {
          indices: [{ name: "ix_lab_load_reports_lab", columns: ["lab_id", "reported_at"] }],
          foreignKeys: [{ columns: ["lab_id"], table: "labs", onDelete: "CASCADE" }],
        },
      ),
    );
    await q.createTable(
      table(
        "print_history",
        [
          ref("lab_id"),
          uuid("job_id"),
          uuid("order_id"),
          big("printed_at"),
          date("business_date"),
          int("sheets"),
          str("printer", 200, true),
          bool("ok"),
          big("reported_at"),
        ],
        {
          primary: ["lab_id", "job_id"],
          indices: [{ name: "ix_print_history_day", columns: ["lab_id", "business_date"] }],
          foreignKeys: [
            { columns: ["lab_id"], table: "labs", onDelete: "CASCADE" },
            { columns: ["job_id"], table: "print_jobs", onDelete: "CASCADE" },
          ],
        },
      ),
    );
    await q.createIndex("print_jobs", new TableIndex({ name: "ix_print_jobs_lease", columnNames: ["status", "lease_expires_at"] }));
    await q.createIndex("print_jobs", new TableIndex({ name: "ix_print_jobs_due", columnNames: ["status", "available_at"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("print_jobs", "ix_print_jobs_due");
    await q.dropIndex("print_jobs", "ix_print_jobs_lease");
    await q.dropTable("print_history");
    await q.dropTable("lab_load_reports");
  }
}
