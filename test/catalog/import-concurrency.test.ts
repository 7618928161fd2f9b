/**
 * A catalog import racing a price change: the bundle is checked against the prices read before
 * the import's transaction, so a change made in between is caught inside it (under the price
 * locks) and the import is refused whole, writing nothing, instead of overwriting it unchecked.
 */
import { exportBundle } from "../../src/catalog/bundle-export.service";
import { importBundle } from "../../src/catalog/bundle-import.service";
import { UserEntity } from "../../src/identity/user.entity";
import { PriceRowEntity } from "../../src/pricing/price-row.entity";
import { PATENT_FIXTURE } from "../support/center";
import { openTestDatabase } from "../support/database";
import * as fs from "node:fs";

it("refuses an import whose prices another writer changed after they were checked, writing nothing", async () => {
  const { ds, close } = await openTestDatabase();
  try {
    expect((await importBundle(ds, JSON.parse(fs.readFileSync(PATENT_FIXTURE, "utf8")))).ok).toBe(true);
    const bundle = await exportBundle(ds);
    const row = bundle.prices.find((p) => p.shopGroupId === "SG01" && p.productId === "P04" && p.validFrom === "2026-04-01")!;
    row.amountCharge = 40;
    // A new password makes the import hash it (slow on purpose) between its check and its transaction.
    const customer = bundle.users.find((u) => u.login === "customer")!;
    delete customer.passwordHash;
    customer.password = "a-new-customer-password";
    const hashBefore = (await ds.getRepository(UserEntity).findOneByOrFail({ login: "customer" })).passwordHash;

    let concurrent: Promise<unknown> | null = null;
    const report = await importBundle(ds, bundle, {
      onProgress: (done, _total, phase) => {
        // Checked: now another writer changes the row the bundle changes.
        if (phase === "validating" && done === 1) concurrent ??= ds.query("UPDATE price_rows SET amount_charge = 45 WHERE id = ?", [row.id]);
      },
    });
    await concurrent;

    expect(report.ok).toBe(false);
    expect(report.faults).toEqual([
      {
        path: "$.prices",
        code: "CONCURRENT_CHANGE",
        message: `price row ${row.id} (product P04) was changed by another writer while the bundle was being checked; nothing was written, import it again`,
      },
    ]);
    expect((await ds.getRepository(PriceRowEntity).findOneByOrFail({ id: row.id! })).amountCharge).toBe(45);
    expect((await ds.getRepository(UserEntity).findOneByOrFail({ login: "customer" })).passwordHash).toBe(hashBefore);

    // Imported again, it is checked against the change and goes through.
    const again = await importBundle(ds, bundle);
    expect(again.ok).toBe(true);
    expect(again.updated.prices).toBe(1);
    expect((await ds.getRepository(PriceRowEntity).findOneByOrFail({ id: row.id! })).amountCharge).toBe(40);
  } finally {
    await close();
  }
});
