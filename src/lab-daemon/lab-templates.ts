/**
 * The design templates the lab holds, read from its templates folder: which ids it has, each
 * file's sha256 (cached by size and modification time), and the image templates laid over items.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SheetPlan } from "./print-files";

/** Image files a design template may be, to be laid over its item as a frame. */
const TEMPLATE_IMAGE = /\.(png|jpe?g|webp|tiff?|svg)$/i;

export class LabTemplates {
  private readonly hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

  constructor(
    /** The templates folder (file names without extension are template ids), or none. */
    readonly dir: string | null,
    private readonly say: (line: string) => void,
  ) {}

  /** The templates the lab holds now: template id (file name without extension) -> file. */
  list(): Map<string, string> {
    const out = new Map<string, string>();
    if (!this.dir) return out;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      this.say(`templates folder ${this.dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      return out;
    }
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const file = path.join(this.dir, name);
      out.set(name, file);
      out.set(name.replace(/\.[^.]+$/, ""), file);
    }
    return out;
  }

  async fileHash(file: string): Promise<string | null> {
    try {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) return null;
      const known = this.hashes.get(file);
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.sha256;
      const sha256 = createHash("sha256")
        .update(await fs.promises.readFile(file))
        .digest("hex");
      this.hashes.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
      return sha256;
    } catch {
      return null;
    }
  }

  /** The templates used by these sheets that are images, read once per job (laid over their items). */
  async frames(templates: Map<string, string>, plans: SheetPlan[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const id of new Set(plans.flatMap((p) => p.items.map((i) => i.designTemplateId).filter((t): t is string => !!t)))) {
      const file = templates.get(id);
      if (file && TEMPLATE_IMAGE.test(file)) out.set(id, await fs.promises.readFile(file));
    }
    return out;
  }
}
