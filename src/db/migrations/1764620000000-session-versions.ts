import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * A user's session version: every session token carries the version it was issued under, and a
 * password change, a disable or a change of role or scope raises it, ending the sessions before.
 * Tokens issued before this migration carry none and count as version 0.
 */
export class SessionVersions1764620000000 implements MigrationInterface {
  name = "SessionVersions1764620000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn("users", new TableColumn({ name: "session_version", type: "int", isNullable: false, default: 0 }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "session_version");
  }
}
