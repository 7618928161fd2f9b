/**
 * class-validator, which type-graphql runs on every input argument, looks up a class's validation
 * rules afresh for each object it validates: a scan of every class that has rules (for inherited
 * ones), then a grouping by property. The rules are fixed once the decorators have run, at import,
 * so the answers are kept here per class and options, and dropped if a rule is ever added later.
 * What is validated, and how, is unchanged: the same lists are answered, only not rebuilt.
 */
import { getMetadataStorage } from "class-validator";
import type { ValidationMetadata } from "class-validator/types/metadata/ValidationMetadata";

type Lookup = (target: unknown, schema: string, always: boolean, strictGroups: boolean, groups?: string[]) => ValidationMetadata[];
type Grouping = (metadata: ValidationMetadata[]) => Record<string, ValidationMetadata[]>;

let installed = false;
let generation = 0;

/** Changes whenever a rule is added after keepValidationMetadata: anything built from the rules is stale. */
export function rulesGeneration(): number {
  return generation;
}

export function keepValidationMetadata(): void {
  if (installed) return;
  installed = true;
  const storage = getMetadataStorage() as unknown as {
    getTargetValidationMetadatas: Lookup;
    groupByPropertyName: Grouping;
    addValidationMetadata: (m: ValidationMetadata) => void;
  };
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const grouping = storage.groupByPropertyName.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let lists = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let groups = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, names) => {
    const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${names?.join("\u0001") ?? ""}`;
    let perClass = lists.get(target);
    if (!perClass) lists.set(target, (perClass = new Map()));
    let list = perClass.get(key);
    if (!list) perClass.set(key, (list = lookup(target, schema, always, strictGroups, names)));
    return list;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groups.get(metadata);
    if (!grouped) groups.set(metadata, (grouped = grouping(metadata)));
    return grouped;
  };
  storage.addValidationMetadata = (m) => {
    generation++;
    lists = new Map();
    groups = new WeakMap();
    add(m);
  };
}
