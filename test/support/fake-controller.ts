/**
 * A stand-in for a minilab's order controller watching a hot folder, as the real ones behave:
 * DPOF (Noritsu EZ Controller / QSS, Epson) takes each complete `o…` folder and renames it `e…`
 * (accepted) or `q…` (refused); Fujifilm JobMaker reads each `<order>_<surface>.txt`, checks that its
 * images are where ImagePath says, and removes it (accepted), or leaves it (it has no refusal). What
 * it took is kept, read with the tests' own parsers, before anything is renamed or removed. An
 * "ignore" controller does not look at all (set `mood` later to have it wake up).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFrontierTxt, parseMrk, type FrontierOrderFile, type Mrk } from "./controller-files";

export type ControllerMood = "accept" | "refuse" | "ignore";

export interface TakenDpof {
  /** The folder as it was handed over (`o…`). */
  folder: string;
  mrk: Mrk;
  /** Image file -> its bytes, read when taken. */
  images: Map<string, Buffer>;
}

export interface TakenFrontier {
  file: string;
  /** The .txt's bytes as handed over. */
  raw: Buffer;
  order: FrontierOrderFile;
  images: Map<string, Buffer>;
}

export interface FakeController {
  dpof: TakenDpof[];
  frontier: TakenFrontier[];
  /** Problems met (a file it could not read): a test expects none. */
  faults: string[];
  mood: ControllerMood;
  stop(): void;
}

/**
 * Watches `out` every `everyMs`. `localPath` turns the controller's ImagePath back into a path here
 * (identity unless the profile maps paths).
 */
export function fakeController(
  out: string,
  dialect: "dpof" | "frontier",
  mood: ControllerMood,
  opts: { everyMs?: number; localPath?: (p: string) => string; imageFolder?: string } = {},
): FakeController {
  const seen = new Set<string>();
  const c: FakeController = {
    dpof: [],
    frontier: [],
    faults: [],
    mood,
    stop: () => clearInterval(timer),
  };
  const localPath = opts.localPath ?? ((p: string) => p);
  const look = () => {
    let names: string[];
    try {
      names = fs.readdirSync(out);
    } catch {
      return;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      const full = path.join(out, name);
      try {
        if (dialect === "dpof" && name.startsWith("o") && fs.statSync(full).isDirectory()) {
          if (c.mood === "ignore") continue;
          seen.add(name);
          const mrk = parseMrk(fs.readFileSync(path.join(full, "MISC", "AUTPRINT.MRK")));
          const images = new Map<string, Buffer>();
          for (const j of mrk.jobs) images.set(j.src, fs.readFileSync(path.join(full, "MISC", j.src)));
          c.dpof.push({ folder: name, mrk, images });
          if (c.mood === "accept") fs.renameSync(full, path.join(out, `e${name.slice(1)}`));
          else if (c.mood === "refuse") fs.renameSync(full, path.join(out, `q${name.slice(1)}`));
        } else if (dialect === "frontier" && name.endsWith(".txt")) {
          if (c.mood === "ignore") continue;
          seen.add(name);
          const raw = fs.readFileSync(full);
          const order = parseFrontierTxt(raw);
          const images = new Map<string, Buffer>();
          for (const im of order.images) images.set(im.file, fs.readFileSync(path.join(localPath(order.imagePath), im.file)));
          c.frontier.push({ file: name, raw, order, images });
          if (c.mood === "accept") fs.unlinkSync(full);
        }
      } catch (e) {
        c.faults.push(`${name}: ${(e as Error).message}`);
      }
    }
  };
  const timer = setInterval(look, opts.everyMs ?? 25);
  timer.unref();
  return c;
}
