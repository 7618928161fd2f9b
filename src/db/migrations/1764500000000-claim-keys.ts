import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { str } from "./table-helpers";

/** A print job remembers the key its claimer chose, so that a claim sent again gets the same lease back. */
export class ClaimKeys1764500000000 implements MigrationInterface {
  name = "ClaimKeys1764500000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("print_jobs", new TableColumn(str("claim_key", 64, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("print_jobs", "claim_key");
  }
}
