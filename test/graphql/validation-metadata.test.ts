import { getMetadataStorage, IsInt, Max, Min, validate, ValidateNested } from "class-validator";
import { keepValidationMetadata } from "../../src/graphql/validation-metadata";

class Item {
  @Min(1)
  sheets!: number;
}

class Order {
  @ValidateNested({ each: true })
  items!: Item[];
}

const item = (sheets: number): Item => Object.assign(new Item(), { sheets });
const order = (...sheets: number[]): Order => Object.assign(new Order(), { items: sheets.map(item) });
const faults = async (o: object): Promise<string[]> =>
  (await validate(o, { forbidUnknownValues: false })).flatMap(function flat(e): string[] {
    return [...Object.keys(e.constraints ?? {}).map((c) => `${e.property}:${c}`), ...(e.children ?? []).flatMap(flat)];
  });

describe("class-validator's rules, kept per class", () => {
  beforeAll(() => keepValidationMetadata());

  it("answers the same rules without rebuilding them", () => {
    const storage = getMetadataStorage();
    const first = storage.getTargetValidationMetadatas(Item, "", false, false);
    expect(first.map((m) => m.propertyName)).toEqual(["sheets"]);
    expect(storage.getTargetValidationMetadatas(Item, "", false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    // Other options are another list.
    expect(storage.getTargetValidationMetadatas(Item, "", true, false)).not.toBe(first);
  });

  it("validates as before, nested objects included, again and again", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await faults(order(1, 2))).toEqual([]);
      expect(await faults(order(3, 0))).toEqual(["sheets:min"]);
    }
  });

  it("takes a rule added later into account", async () => {
    expect(await faults(item(1.5))).toEqual([]);
    // A decorator applied now, as a class loaded later would.
    IsInt()(Item.prototype, "sheets");
    Max(10)(Item.prototype, "sheets");
    expect(await faults(item(1.5))).toEqual(["sheets:isInt"]);
    expect(await faults(order(11))).toEqual(["sheets:max"]);
  });
});
