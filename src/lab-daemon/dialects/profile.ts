/**
 * A lab's profile: the settings its minilab controller disagrees with others on, read from a JSON
 * file (`--profile`). Controller versions differ in details a hot folder must match exactly (the
 * DPOF image folder `IMAGE` or `IMAGES`, spaces around `=`, the channel and size code of each print
 * size; the Frontier printer, surface and print code), and a controller on another machine sees the
 * hot folder under another path (a Windows share). Every field is optional; a wrong one is refused
 * with a message naming it. Pure: no file system beyond reading the one file.
 */
import * as fs from "node:fs";

export type Dialect = "plain" | "dpof" | "frontier";
export const DIALECTS: readonly Dialect[] = ["plain", "dpof", "frontier"];

/** How the DPOF writer prints one size: its `PRT PSL` code and `PRT PCH` channel. */
export interface DpofSize {
  /** `KG`, `L`, `2L`, or anything the controller knows; default: those three by name, else `NML -PSIZE "WxH"`. */
  code: string | null;
  /** The controller's channel for the size (1-999). */
  channel: number | null;
}

export interface DpofProfile {
  /** `IMAGE` (default) or `IMAGES`. */
  imageFolder: "IMAGE" | "IMAGES";
  /** `KEY = value` (default) or `KEY=value`. */
  spacesAroundEquals: boolean;
  /** `USR NAM`. */
  userName: string;
  /** `USR CID` (digits), or none. */
  userId: string | null;
  /** The vendor region's `VUQ VNM` and its `-ATR`. */
  vendor: string;
  vendorAttribute: string;
  /** The channel of a size the map does not name. */
  defaultChannel: number;
  /** By print size name (A4, L, KG, 40x60, ...). */
  sizes: Record<string, DpofSize>;
}

export interface FrontierSize {
  printCode: string | null;
  surface: string | null;
}

export interface FrontierProfile {
  /** `Printer` in [OrderInfo]. */
  printer: string;
  /** The surface of a size the map does not name. */
  surface: string;
  /** By print size name; the print code defaults to the size's name. */
  sizes: Record<string, FrontierSize>;
}

export interface LabProfile {
  /** How long the daemon waits for the controller to take an order before the job fails (retryable). */
  acceptTimeoutSeconds: number;
  /** How often it looks. */
  pollSeconds: number;
  /** The hot folder as the controller sees it: `from` (a prefix of the daemon's path) becomes `to`. */
  pathMap: { from: string; to: string } | null;
  dpof: DpofProfile;
  frontier: FrontierProfile;
}

export const DEFAULT_ACCEPT_TIMEOUT_SECONDS = 600;

export function defaultProfile(): LabProfile {
  return {
    acceptTimeoutSeconds: DEFAULT_ACCEPT_TIMEOUT_SECONDS,
    pollSeconds: 1,
    pathMap: null,
    dpof: {
      imageFolder: "IMAGE",
      spacesAroundEquals: true,
      userName: "PRINTMESH",
      userId: null,
      vendor: "NORITSU KOKI",
      vendorAttribute: "QSSPrint",
      defaultChannel: 1,
      sizes: {},
    },
    frontier: { printer: "FRONTIER", surface: "GLOSSY", sizes: {} },
  };
}

/** A profile that cannot be used; the message names the field. */
export class ProfileError extends Error {}

/** Reads and checks a profile file (answers the defaults for null). */
export function loadProfile(file: string | null): LabProfile {
  if (file === null) return defaultProfile();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ProfileError(`--profile ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileError(`--profile ${file} is not JSON: ${(e as Error).message}`);
  }
  try {
    return parseProfile(json);
  } catch (e) {
    if (e instanceof ProfileError) throw new ProfileError(`--profile ${file}: ${e.message}`);
    throw e;
  }
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Printable ASCII without a double quote: what fits between DPOF's and Frontier's quotes and lines. */
const PLAIN_TEXT = /^[\x20-\x21\x23-\x7e]+$/;

/** A profile from parsed JSON; unknown fields are refused (a typo would otherwise be silently ignored). */
export function parseProfile(json: unknown): LabProfile {
  const p = defaultProfile();
  const root = obj(json, "the profile");
  only(root, "", ["acceptTimeoutSeconds", "pollSeconds", "pathMap", "dpof", "frontier"]);
  if (root.acceptTimeoutSeconds !== undefined) p.acceptTimeoutSeconds = num(root.acceptTimeoutSeconds, "acceptTimeoutSeconds", 0.1, 86400, false);
  if (root.pollSeconds !== undefined) p.pollSeconds = num(root.pollSeconds, "pollSeconds", 0.01, 60, false);
  if (root.pathMap !== undefined && root.pathMap !== null) {
    const m = obj(root.pathMap, "pathMap");
    only(m, "pathMap.", ["from", "to"]);
    p.pathMap = { from: str(m.from, "pathMap.from", /^.+$/), to: str(m.to, "pathMap.to", /^.+$/) };
  }
  if (root.dpof !== undefined) {
    const d = obj(root.dpof, "dpof");
    only(d, "dpof.", ["imageFolder", "spacesAroundEquals", "userName", "userId", "vendor", "vendorAttribute", "defaultChannel", "sizes"]);
    if (d.imageFolder !== undefined) {
      if (d.imageFolder !== "IMAGE" && d.imageFolder !== "IMAGES")
        throw new ProfileError(`dpof.imageFolder must be "IMAGE" or "IMAGES", got ${JSON.stringify(d.imageFolder)}`);
      p.dpof.imageFolder = d.imageFolder;
    }
    if (d.spacesAroundEquals !== undefined) p.dpof.spacesAroundEquals = bool(d.spacesAroundEquals, "dpof.spacesAroundEquals");
    if (d.userName !== undefined) p.dpof.userName = str(d.userName, "dpof.userName", PLAIN_TEXT, 1, 64);
    if (d.userId !== undefined && d.userId !== null) p.dpof.userId = str(String(d.userId), "dpof.userId", /^\d{1,16}$/);
    if (d.vendor !== undefined) p.dpof.vendor = str(d.vendor, "dpof.vendor", PLAIN_TEXT, 1, 64);
    if (d.vendorAttribute !== undefined) p.dpof.vendorAttribute = str(d.vendorAttribute, "dpof.vendorAttribute", PLAIN_TEXT, 1, 64);
    if (d.defaultChannel !== undefined) p.dpof.defaultChannel = num(d.defaultChannel, "dpof.defaultChannel", 1, 999, true);
    if (d.sizes !== undefined) {
      for (const [name, raw] of Object.entries(obj(d.sizes, "dpof.sizes"))) {
        const at = `dpof.sizes.${name}`;
        const s = obj(raw, at);
        only(s, `${at}.`, ["code", "channel"]);
        p.dpof.sizes[sizeKey(name, at)] = {
          code: s.code === undefined ? null : str(s.code, `${at}.code`, /^[\x20-\x7e]+$/, 1, 64),
          channel: s.channel === undefined ? null : num(s.channel, `${at}.channel`, 1, 999, true),
        };
      }
    }
  }
  if (root.frontier !== undefined) {
    const f = obj(root.frontier, "frontier");
    only(f, "frontier.", ["printer", "surface", "sizes"]);
    if (f.printer !== undefined) p.frontier.printer = str(f.printer, "frontier.printer", PLAIN_TEXT, 1, 64);
    if (f.surface !== undefined) p.frontier.surface = str(f.surface, "frontier.surface", SURFACE, 1, 32);
    if (f.sizes !== undefined) {
      for (const [name, raw] of Object.entries(obj(f.sizes, "frontier.sizes"))) {
        const at = `frontier.sizes.${name}`;
        const s = obj(raw, at);
        only(s, `${at}.`, ["printCode", "surface"]);
        p.frontier.sizes[sizeKey(name, at)] = {
          printCode: s.printCode === undefined ? null : str(s.printCode, `${at}.printCode`, PLAIN_TEXT, 1, 32),
          surface: s.surface === undefined ? null : str(s.surface, `${at}.surface`, SURFACE, 1, 32),
        };
      }
    }
  }
  return p;
}

/** A surface names a file (`<order>_<surface>.txt`): letters, digits, `-`. */
const SURFACE = /^[A-Za-z0-9-]+$/;

/** Size names are matched case-insensitively, as --sheet reads them. */
export function sizeKey(name: string, at = "size"): string {
  const k = name.trim().toUpperCase();
  if (!/^[A-Z0-9.-]+$/.test(k)) throw new ProfileError(`${at}: a size name is letters, digits, ".", "-" (such as L, KG, 2L or 89x127)`);
  return k;
}

function obj(v: unknown, at: string): Obj {
  if (!isObj(v)) throw new ProfileError(`${at} must be an object`);
  return v;
}

function only(o: Obj, prefix: string, known: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ProfileError(`${prefix}${k} is not a profile field (known: ${known.join(", ")})`);
}

function num(v: unknown, at: string, min: number, max: number, integer: boolean): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ProfileError(`${at} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, at: string): boolean {
  if (typeof v !== "boolean") throw new ProfileError(`${at} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, at: string, pattern: RegExp, min = 1, max = 1000): string {
  if (typeof v !== "string" || v.length < min || v.length > max || !pattern.test(v)) {
    throw new ProfileError(`${at} must be ${min}-${max} characters (${pattern.source}), got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A path as the controller sees it: the profile's `pathMap.from` prefix replaced by `to` (backslashes when `to` has them). */
export function controllerPath(profile: LabProfile, local: string): string {
  const m = profile.pathMap;
  if (!m) return local;
  const from = m.from.replace(/[/\\]+$/, "");
  if (local !== from && !local.startsWith(from + "/")) return local;
  const rest = local.slice(from.length);
  const windows = m.to.includes("\\");
  const to = m.to.replace(/[/\\]+$/, "");
  return to + (windows ? rest.replace(/\//g, "\\") : rest);
}
