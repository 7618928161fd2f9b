import { openTestDatabase } from "../support/database";

describe("migrations", () => {
  it("create every table on this engine and can be undone", async () => {
    const { ds, close } = await openTestDatabase();
    try {
      // By name: listing every table of the server would also read other tests' databases as they
      // come and go, which TypeORM's MySQL schema reader does not survive.
      const entityTables = [...new Set(ds.entityMetadatas.map((m) => m.tableName))].sort();
      for (const t of ["users", "shops", "shop_groups", "price_rows", "labs", "lab_api_keys", "templates", "template_products"]) {
        expect(entityTables).toContain(t);
      }
      const runner = ds.createQueryRunner();
      try {
        const tables = (await runner.getTables(entityTables)).map((t) => t.name.split(".").pop()).sort();
        expect(tables).toEqual(entityTables);
      } finally {
        await runner.release();
      }
      const executed = await ds.query("SELECT COUNT(*) AS n FROM migrations");
      expect(Number(executed[0].n)).toBe(ds.migrations.length);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await close();
    }
  });
});
