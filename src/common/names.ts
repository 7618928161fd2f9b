/**
 * The one rule for names people type (users, shops, groups, services, products, templates, labs,
 * design templates, rights holders, key labels), used at the GraphQL edge (`@IsHumanName`), by the
 * services and by the catalog bundle import. A name is shown on admin screens, in tickets and in
 * logs: a control character breaks lines and records there, a bidirectional override makes it read
 * as something else, and a name made only of invisible characters looks empty while it is not.
 */
import { ValidateBy, type ValidationOptions } from "class-validator";

/** C0 and C1 controls, DEL included: NUL, TAB, CR, LF, ESC, NEL, ... */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Bidirectional embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
/**
 * What shows nothing: white space, format characters (zero-width space and joiners, the BOM, the
 * soft hyphen, ...), Hangul fillers, the braille blank, variation selectors and the grapheme joiner.
 */
// eslint-disable-next-line no-misleading-character-class -- each code point is listed alone on purpose: a lone joiner or selector is what is refused
const INVISIBLE = /[\p{White_Space}\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0]/gu;

const hex = (ch: string) => "U+" + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");

/**
 * Why `value` is not an acceptable name, or null. A plainly empty or blank name is left to the
 * callers' own length rules (their INVALID_NAME); one that only looks blank (invisible characters
 * that are not plain white space) is refused here.
 */
export function nameFault(value: string, what = "name"): string | null {
  const control = CONTROL.exec(value);
  if (control) return `${what} must not contain control characters (${hex(control[0])} at ${control.index})`;
  const bidi = BIDI.exec(value);
  if (bidi) return `${what} must not contain bidirectional override or isolate characters (${hex(bidi[0])} at ${bidi.index})`;
  if (value.trim() !== "" && value.replace(INVISIBLE, "") === "") return `${what} must contain a visible character`;
  return null;
}

/** class-validator: a human-entered name (see nameFault); null and undefined pass (optional fields). */
export function IsHumanName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: "isHumanName",
      validator: {
        validate: (value: unknown) => typeof value !== "string" || nameFault(value) === null,
        defaultMessage: (args) => (typeof args?.value === "string" ? (nameFault(args.value, args.property) ?? "") : ""),
      },
    },
    options,
  );
}
