import { openTestDatabase } from "../support/database";

describe("migrations", () => {
  it("create every table on this engine and can be undone", async () => {
    const { ds, close } = await openTestDatabase();
    try {
      const tables = (await ds.createQueryRunner().getTables()).map((t) => t.name).sort();
      for (const t of ["users", "shops", "shop_groups", "price_rows", "labs", "lab_api_keys", "templates", "template_products"]) {
        expect(tables).toContain(t);
      }
      const executed = await ds.query("SELECT COUNT(*) AS n FROM migrations");
      expect(Number(executed[0].n)).toBe(ds.migrations.length);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await close();
    }
  });
});
