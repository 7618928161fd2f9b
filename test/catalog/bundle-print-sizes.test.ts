/**
 * Print sizes in the catalog bundle: the demo catalog's named, custom and absent sizes survive
 * export -> import -> export unchanged, a changed size is an update, and malformed sizes are faults
 * at their JSON paths (SQLite, or MariaDB when DATABASE_URL says so).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { validateBundle } from "../../src/catalog/bundle";
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { ServiceEntity } from "../../src/catalog/service.entity";
import { openTestDatabase } from "../support/database";

const DEMO = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../fixtures/demo-catalog.json"), "utf8"));

const DEMO_SERVICES = [
  { id: "SV01", name: "A4 printing", printSize: { name: "A4", borderless: false, fit: "FIT" } },
  { id: "SV02", name: "Postcard printing", printSize: { name: "POSTCARD", borderless: true, fit: "FILL" } },
  { id: "SV03", name: "Sticker printing", printSize: { widthMm: 100, heightMm: 100, borderless: true, fit: "FILL" } },
  { id: "SV04", name: "Photo book" },
];

describe("print sizes in the catalog bundle", () => {
  it("round-trips the demo catalog's sizes and updates a changed one", async () => {
    const db = await openTestDatabase();
    const other = await openTestDatabase();
    try {
      const first = await importBundle(db.ds, DEMO, {});
      expect(first.faults).toEqual([]);
      const rows = await db.ds.getRepository(ServiceEntity).find({ order: { id: "ASC" } });
      expect(rows.map((s) => [s.id, s.printSizeName, s.printWidthMm, s.printHeightMm, s.printBorderless, s.printFit])).toEqual([
        ["SV01", "A4", 210, 297, false, "FIT"],
        ["SV02", "POSTCARD", 100, 148, true, "FILL"],
        ["SV03", null, 100, 100, true, "FILL"],
        ["SV04", null, null, null, null, null],
      ]);
      const exported = await exportBundle(db.ds);
      expect(exported.services).toEqual(DEMO_SERVICES);
      const text = JSON.stringify(exported, null, 2);
      const into = await importBundle(other.ds, JSON.parse(text), {});
      expect(into.faults).toEqual([]);
      expect(JSON.stringify(await exportBundle(other.ds), null, 2)).toBe(text);

      // The same bundle again changes nothing; a new size (and one dropped) updates those services only.
      const same = await importBundle(db.ds, JSON.parse(text), {});
      expect([same.updated.services, same.unchanged.services]).toEqual([0, 4]);
      const changed = JSON.parse(text);
      changed.services[1].printSize = { name: "L", borderless: false, fit: "FILL" };
      delete changed.services[2].printSize;
      const r = await importBundle(db.ds, changed, {});
      expect([r.faults, r.updated.services, r.unchanged.services]).toEqual([[], 2, 2]);
      expect((await exportBundle(db.ds)).services).toEqual([
        DEMO_SERVICES[0],
        { id: "SV02", name: "Postcard printing", printSize: { name: "L", borderless: false, fit: "FILL" } },
        { id: "SV03", name: "Sticker printing" },
        DEMO_SERVICES[3],
      ]);
    } finally {
      await db.close();
      await other.close();
    }
  });

  it("names each malformed size by its JSON path", () => {
    const bundle = {
      ...DEMO,
      services: [
        { id: "SV01", name: "A", printSize: { name: "A9" } },
        { id: "SV02", name: "B", printSize: { widthMm: "100", heightMm: 148 } },
        { id: "SV03", name: "C", printSize: { widthMm: 100, heightMm: 0, fit: "STRETCH", colour: "red" } },
        { id: "SV04", name: "D", printSize: "POSTCARD" },
      ],
    };
    expect(validateBundle(bundle).faults.map((f) => [f.path, f.code])).toEqual([
      ["$.services[0].printSize.name", "UNKNOWN_PRINT_SIZE"],
      ["$.services[1].printSize.widthMm", "INVALID_TYPE"],
      ["$.services[2].printSize.colour", "UNKNOWN_FIELD"],
      ["$.services[2].printSize.fit", "INVALID_PRINT_SIZE"],
      ["$.services[2].printSize.heightMm", "INVALID_PRINT_SIZE"],
      ["$.services[3].printSize", "INVALID_TYPE"],
    ]);
  });
});
