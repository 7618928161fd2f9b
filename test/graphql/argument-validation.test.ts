import "reflect-metadata";
import { IsDefined, Max, MaxLength, validateSync, type ValidationError } from "class-validator";
import { ArgumentValidationError } from "type-graphql";
import { argumentErrors, validateArgument } from "../../src/graphql/argument-validation";
import { keepValidationMetadata } from "../../src/graphql/validation-metadata";
import { AddressInput, FulfilmentInput, GeoPointInput, LayoutInput, OrderInput, OrderItemInput, SubOrderInput } from "../../src/orders/order.input";
import { FulfilmentMethod, FulfilmentSpeed } from "../../src/catalog/fulfilment";

/** type-graphql's options: what class-validator itself says about a value. */
const reference = (o: object): ValidationError[] => validateSync(o, { skipMissingProperties: true, forbidUnknownValues: false });

/** Each fault as property path and constraint, e.g. "subOrders.0.items.2.imageId:maxLength". */
function faults(errors: ValidationError[], prefix = ""): string[] {
  return errors.flatMap((e) => {
    const path = prefix === "" ? e.property : `${prefix}.${e.property}`;
    return [...Object.keys(e.constraints ?? {}).map((c) => `${path}:${c}`), ...faults(e.children ?? [], path)];
  });
}

const make = <T extends object>(cls: new () => T, props: Partial<T>): T => Object.assign(new cls(), props);

const layout = (props: Partial<LayoutInput> = {}): LayoutInput => make(LayoutInput, { page: 1, x: 0, y: 0, width: 100, height: 150, rotation: 0, ...props });
const item = (props: Partial<OrderItemInput> = {}): OrderItemInput => make(OrderItemInput, { imageId: "img-1", ...props });
const subOrder = (props: Partial<SubOrderInput> = {}): SubOrderInput =>
  make(SubOrderInput, { serviceId: "svc-1", sheets: 2, items: [item(), item({ layout: layout() })], ...props });
const order = (props: Partial<OrderInput> = {}): OrderInput => make(OrderInput, { shopId: "shop-1", subOrders: [subOrder()], ...props });
const address = (props: Partial<AddressInput> = {}): AddressInput => make(AddressInput, { country: "JP", postalCode: "100-0001", ...props });

describe("argument validation", () => {
  beforeAll(() => keepValidationMetadata());

  it("passes a valid order, optional parts given or not, as class-validator does", () => {
    const full = order({
      labId: "lab-1",
      fulfilment: make(FulfilmentInput, {
        method: FulfilmentMethod.DELIVERY,
        speed: FulfilmentSpeed.EXPRESS,
        address: address({ city: "Tokyo", location: make(GeoPointInput, { lat: 35.68, lng: 139.76 }) }),
      }),
    });
    for (const o of [order(), full, order({ shopId: null, fulfilment: null })]) {
      expect(reference(o)).toEqual([]);
      expect(argumentErrors(o)).toEqual([]);
      expect(() => validateArgument(o, OrderInput, {} as never)).not.toThrow();
    }
  });

  it.each([
    ["a long shop id", order({ shopId: "s".repeat(65) }), ["shopId:maxLength"]],
    [
      "a long image id deep down",
      order({ subOrders: [subOrder(), subOrder({ items: [item(), item(), item({ imageId: "i".repeat(65) })] })] }),
      ["subOrders.1.items.2.imageId:maxLength"],
    ],
    [
      "a layout off the sheet",
      order({ subOrders: [subOrder({ items: [item({ layout: layout({ x: 10001, rotation: -361 }) })] })] }),
      ["subOrders.0.items.0.layout.x:max", "subOrders.0.items.0.layout.rotation:min"],
    ],
    [
      "a latitude past the pole",
      order({
        fulfilment: make(FulfilmentInput, {
          method: FulfilmentMethod.DELIVERY,
          speed: FulfilmentSpeed.STANDARD,
          address: address({ location: make(GeoPointInput, { lat: 91, lng: 0 }) }),
        }),
      }),
      ["fulfilment.address.location.lat:max"],
    ],
    ["too many items", order({ subOrders: [subOrder({ items: Array.from({ length: 1001 }, () => item()) })] }), ["subOrders.0.items:arrayMaxSize"]],
  ])("refuses %s with class-validator's own errors", (_name, o, expected) => {
    const errors = argumentErrors(o);
    expect(faults(errors)).toEqual(expected);
    expect(faults(errors)).toEqual(faults(reference(o)));
    let thrown: unknown;
    try {
      // Typed as possibly async by type-graphql; this validator throws synchronously.
      void validateArgument(o, OrderInput, {} as never);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ArgumentValidationError);
    expect((thrown as ArgumentValidationError).extensions.code).toBe("BAD_USER_INPUT");
    expect(faults((thrown as ArgumentValidationError).extensions.validationErrors as ValidationError[])).toEqual(expected);
  });

  it("agrees with class-validator on 3,000 random orders around every limit", () => {
    // A small seeded generator: the same orders on every run.
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const id = (): string => "x".repeat(pick([1, 63, 64, 65]));
    const num = (limit: number): number => pick([-limit - 1, -limit, 0, limit, limit + 0.5, limit + 1]);
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < 3000; n++) {
      const o = order({
        shopId: pick([id(), null, undefined]),
        labId: pick([id(), null]),
        subOrders: Array.from({ length: 1 + Math.floor(rand() * 3) }, () =>
          subOrder({
            serviceId: id(),
            items: Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
              item({
                imageId: id(),
                designTemplateId: pick([id(), null]),
                layout: pick([null, layout({ page: pick([0, 1, 10000, 10001]), x: num(10000), width: pick([-1, 0, 10000, 10001]), rotation: num(360) })]),
              }),
            ),
          }),
        ),
      });
      const expected = faults(reference(o));
      expect(faults(argumentErrors(o))).toEqual(expected);
      if (expected.length === 0) valid++;
      else invalid++;
    }
    // Both verdicts are exercised, not just one.
    expect(valid).toBeGreaterThan(100);
    expect(invalid).toBeGreaterThan(100);
  });

  it("checks each object of a list argument, reporting only the faulty ones", () => {
    const errors = argumentErrors([address(), address({ postalCode: "9".repeat(21) }), null, "not an object"]);
    expect(faults(errors)).toEqual(["postalCode:maxLength"]);
  });

  it("leaves a class with a rule it does not plan for to class-validator", () => {
    class Strict {
      @IsDefined()
      name?: string;
    }
    expect(faults(argumentErrors(make(Strict, {})))).toEqual(["name:isDefined"]);
    expect(argumentErrors(make(Strict, { name: "a" }))).toEqual([]);
  });

  it("takes a rule added after a first check into account", () => {
    class Note {
      @MaxLength(10)
      text!: string;
    }
    expect(argumentErrors(make(Note, { text: "12345" }))).toEqual([]);
    // A decorator applied now, as a class loaded later would.
    Max(3)(Note.prototype, "length");
    expect(faults(argumentErrors(make(Note, { text: "12345", length: 4 } as Partial<Note>)))).toEqual(["length:max"]);
  });
});
