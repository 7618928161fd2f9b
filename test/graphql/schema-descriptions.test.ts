/**
 * The schema documents itself: every type, field, argument, input field and enum value the code
 * builds carries a description, so the IDE and generated clients explain the API. The failure names
 * each element that lacks one.
 */
import "reflect-metadata";
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from "graphql";
import { appSchema } from "../../src/graphql/schema";

/** Schema coordinates (`Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE`) without a description. */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const blank = (d: string | null | undefined) => !d || d.trim() === "";
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || isSpecifiedScalarType(type)) continue;
    if (blank(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (blank(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name}:)`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (blank(field.description)) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (blank(value.description)) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing.sort();
}

describe("schema descriptions", () => {
  it("describes every type, field, argument, input field and enum value", async () => {
    expect(undescribed(await appSchema())).toEqual([]);
  });

  it("would name an element without a description", () => {
    const sdl = `"""Reads."""
      type Query {
        """Described."""
        a(x: Int): E
        b: Int
      }
      """An enum."""
      enum E {
        """Described."""
        ONE
        TWO
      }
      input I { f: Int }`;
    expect(undescribed(buildSchema(sdl))).toEqual(["E.TWO", "I", "I.f", "Query.a(x:)", "Query.b"]);
  });
});
