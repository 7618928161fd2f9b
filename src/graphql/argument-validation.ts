/**
 * The check type-graphql runs on every input argument: class-validator's rules on the argument's
 * class (lengths, ranges, nested inputs), with type-graphql's options (missing properties skipped,
 * unknown values allowed).
 *
 * Most arguments break no rule, and class-validator's executor is slow to say so: for every object
 * it builds an error per property and then strips the empty ones, and type-graphql loads
 * class-validator afresh for each argument and waits on a promise per nested object. So each class
 * gets a plan, read once from class-validator's own metadata: per property, its conditions
 * (`@IsOptional`, `@ValidateIf`), its rules' own `validate` functions, and whether it nests. An
 * argument the plan passes is one class-validator would pass too. Anything else, a broken rule or
 * a kind of rule the plan does not know (`@IsDefined`, `each`, promises, sets, groups), goes to
 * class-validator itself, which decides and words the errors: the same ArgumentValidationError
 * (BAD_USER_INPUT), which errors-format turns into field paths.
 */
import {
  getMetadataStorage,
  validateSync,
  ValidationTypes,
  type ValidationArguments,
  type ValidationError,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from "class-validator";
import type { ValidationMetadata } from "class-validator/types/metadata/ValidationMetadata";
import { ArgumentValidationError, type ValidatorFn } from "type-graphql";
import { badInput } from "../common/errors";
import { nameFault } from "../common/names";
import { rulesGeneration } from "./validation-metadata";

const OPTIONS: ValidatorOptions = { skipMissingProperties: true, forbidUnknownValues: false };

interface Rule {
  metadata: ValidationMetadata;
  constraint: ValidatorConstraintInterface;
}

interface PropertyPlan {
  name: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  rules: Rule[];
  nested: boolean;
}

interface Plan {
  generation: number;
  /** null: the class has a kind of rule the plan does not know; class-validator checks it. */
  properties: PropertyPlan[] | null;
}

/** A validated input class: only its identity and metadata are used, never a call. */
type InputClass = abstract new (...args: never[]) => unknown;

const plans = new Map<InputClass, Plan>();

function planFor(target: InputClass): Plan {
  const generation = rulesGeneration();
  let plan = plans.get(target);
  if (plan === undefined || plan.generation !== generation) {
    plan = { generation, properties: propertiesOf(target) };
    plans.set(target, plan);
  }
  return plan;
}

/** What class-validator's executor would run for an instance of `target`, or null if not all of it is known here. */
function propertiesOf(target: InputClass): PropertyPlan[] | null {
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(target, undefined as unknown as string, false, false, undefined));
  const properties: PropertyPlan[] = [];
  for (const [name, metadatas] of Object.entries(grouped)) {
    const property: PropertyPlan = { name, conditions: [], rules: [], nested: false };
    for (const m of metadatas) {
      switch (m.type) {
        case ValidationTypes.CONDITIONAL_VALIDATION:
          property.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
          break;
        case ValidationTypes.NESTED_VALIDATION:
          property.nested = true;
          break;
        case ValidationTypes.WHITELIST:
          break; // only used with the whitelist option, which type-graphql does not set
        case ValidationTypes.CUSTOM_VALIDATION: {
          if (m.each) return null;
          for (const c of storage.getTargetValidatorConstraints(m.constraintCls)) {
            if (c.async) return null;
            property.rules.push({ metadata: m, constraint: c.instance });
          }
          break;
        }
        default:
          return null; // IS_DEFINED, PROMISE_VALIDATION and anything newer
      }
    }
    properties.push(property);
  }
  return properties;
}

/** Whether class-validator would find nothing wrong with `object`: false when unsure. */
function passes(object: object): boolean {
  const { properties } = planFor(object.constructor as InputClass);
  if (properties === null) return false;
  for (const p of properties) {
    const value = (object as Record<string, unknown>)[p.name];
    if (!p.conditions.every((condition) => condition(object, value))) continue;
    if (value === null || value === undefined) continue; // skipMissingProperties
    for (const { metadata, constraint } of p.rules) {
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      const args: ValidationArguments = { targetName: object.constructor.name, property: p.name, object, value, constraints: metadata.constraints };
      if (constraint.validate(value, args) !== true) return false;
    }
    if (p.nested && !nestedPasses(value)) return false;
  }
  return true;
}

function nestedPasses(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && item !== undefined && !nestedPasses(item)) return false;
    return true;
  }
  return value instanceof Object && !(value instanceof Set) && !(value instanceof Map) && passes(value);
}

const isObject = (v: unknown): v is object => v !== null && typeof v === "object";

/** class-validator's verdict on one argument value, as ArgumentValidationError's errors (empty: valid). */
export function argumentErrors(value: unknown): ValidationError[] {
  if (!isObject(value)) return [];
  if (Array.isArray(value)) {
    const errors: ValidationError[] = [];
    for (const item of value) if (isObject(item) && !passes(item)) errors.push(...validateSync(item, OPTIONS));
    return errors;
  }
  return passes(value) ? [] : validateSync(value, OPTIONS);
}

export const validateArgument: ValidatorFn = (value: unknown) => {
  const errors = argumentErrors(value);
  if (errors.length > 0) throw new ArgumentValidationError(errors);
};

/**
 * For a list argument at the top level (`ids: [ID!]`), where no class carries an `@ArrayMaxSize`:
 * refuses more than `max` values with BAD_USER_INPUT naming the argument, before the resolver runs
 * (a list nobody bounds ends as an IN list the database refuses, or as memory), then checks the
 * items as every argument is checked.
 */
export function boundedList(name: string, max: number): ValidatorFn {
  return (value, type, data) => {
    if (Array.isArray(value) && value.length > max) throw badInput(`${name} lists at most ${max} values, got ${value.length}`, [name]);
    return validateArgument(value, type, data);
  };
}

/** For a name or label given as a plain string argument: the names rule (see nameFault), BAD_USER_INPUT naming the argument. */
export function humanNameArg(name: string): ValidatorFn {
  return (value) => {
    const fault = typeof value === "string" ? nameFault(value, name) : null;
    if (fault !== null) throw badInput(fault, [name]);
  };
}
