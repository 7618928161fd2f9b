/**
 * Readers of what minilab controllers read, written for the tests from the formats' descriptions
 * (not from the daemon's writers): DPOF's AUTPRINT.MRK and Fujifilm JobMaker's order `.txt`. Each
 * refuses what a strict controller would (a byte order mark, a bare LF, a non-ASCII byte, a
 * quantity not in three digits, an empty -STR value), so a test that reads a file back also checks
 * its form.
 */

export interface MrkJob {
  pid: number;
  type: string;
  qty: number;
  format: string;
  /** The IMG SRC path, as written (`../IMAGE/0001.jpg`). */
  src: string;
  /** PRT CVP1's -STR text, when there is one. */
  backPrint: string | null;
}

export interface Mrk {
  header: Record<string, string>;
  /** PRT PSL and PRT PCH, from the header's vendor region. */
  sizeCode: string;
  channel: number;
  jobs: MrkJob[];
  /** Whether `=` had spaces around it (the same throughout, or the file is refused). */
  spaced: boolean;
}

/** Splits controller text into lines: ASCII, CRLF, no BOM, ending with CRLF. */
function crlfLines(bytes: Buffer, what: string): string[] {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new Error(`${what}: starts with a byte order mark`);
  for (const b of bytes) if (b > 0x7f) throw new Error(`${what}: holds a byte outside ASCII (${b})`);
  const text = bytes.toString("ascii");
  if (/\r(?!\n)|(?<!\r)\n/.test(text)) throw new Error(`${what}: a line does not end with CRLF`);
  if (!text.endsWith("\r\n")) throw new Error(`${what}: the last line does not end with CRLF`);
  return text.slice(0, -2).split("\r\n");
}

/** Reads an AUTPRINT.MRK. */
export function parseMrk(bytes: Buffer): Mrk {
  const lines = crlfLines(bytes, "AUTPRINT.MRK");
  const header: Record<string, string> = {};
  const jobs: MrkJob[] = [];
  let section: "none" | "HDR" | "JOB" = "none";
  let job: Record<string, string> = {};
  let spacing: boolean | null = null;
  const endJob = () => {
    if (section !== "JOB") return;
    for (const k of ["PRT PID", "PRT TYP", "PRT QTY", "IMG FMT", "IMG SRC"]) if (!(k in job)) throw new Error(`a [JOB] lacks ${k}`);
    if (!/^\d{3}$/.test(job["PRT QTY"])) throw new Error(`PRT QTY must be three digits, got "${job["PRT QTY"]}"`);
    if (!/^\d{3}$/.test(job["PRT PID"])) throw new Error(`PRT PID must be three digits, got "${job["PRT PID"]}"`);
    const src = /^"([^"]+)"$/.exec(job["IMG SRC"]);
    if (!src) throw new Error(`IMG SRC must be quoted, got ${job["IMG SRC"]}`);
    let backPrint: string | null = null;
    if ("PRT CVP1" in job) {
      const m = /^1 -STR "([^"]*)"$/.exec(job["PRT CVP1"]);
      if (!m) throw new Error(`PRT CVP1 unreadable: ${job["PRT CVP1"]}`);
      if (m[1] === "") throw new Error("an empty -STR value");
      backPrint = m[1];
    }
    jobs.push({ pid: Number(job["PRT PID"]), type: job["PRT TYP"], qty: Number(job["PRT QTY"]), format: job["IMG FMT"], src: src[1], backPrint });
  };
  for (const raw of lines) {
    if (raw === "") continue;
    if (raw === "[HDR]" || raw === "[JOB]") {
      if (raw === "[HDR]" && section !== "none") throw new Error("[HDR] must come first, once");
      endJob();
      section = raw === "[HDR]" ? "HDR" : "JOB";
      job = {};
      continue;
    }
    if (section === "none") throw new Error(`a line before [HDR]: ${raw}`);
    const m = /^<?([A-Z]{3} [A-Z]{3}\d?)( = |=)(.*?)>?$/.exec(raw);
    if (!m) throw new Error(`unreadable line: ${raw}`);
    const spaced = m[2] === " = ";
    if (spacing !== null && spacing !== spaced) throw new Error(`mixed spacing around "=": ${raw}`);
    spacing = spaced;
    if (raw.startsWith("<") !== (m[1] === "IMG SRC")) throw new Error(`only IMG SRC is in angle brackets: ${raw}`);
    if (section === "HDR") header[m[1]] = header[m[1]] === undefined ? m[3] : `${header[m[1]]}\n${m[3]}`;
    else job[m[1]] = m[3];
    if (/-STR ""/.test(m[3])) throw new Error(`an empty -STR value: ${raw}`);
  }
  endJob();
  for (const k of ["GEN REV", "GEN CRT", "GEN DTM", "PRT PSL", "PRT PCH"]) if (!(k in header)) throw new Error(`[HDR] lacks ${k}`);
  if (!/^\d{4}:\d{2}:\d{2}:\d{2}:\d{2}:\d{2}$/.test(header["GEN DTM"])) throw new Error(`GEN DTM unreadable: ${header["GEN DTM"]}`);
  if (!/^\d{3}$/.test(header["PRT PCH"])) throw new Error(`PRT PCH must be three digits, got ${header["PRT PCH"]}`);
  if ("USR CID" in header && !/^"?\d+"?$/.test(header["USR CID"])) throw new Error(`USR CID must be numeric, got ${header["USR CID"]}`);
  return { header, sizeCode: header["PRT PSL"], channel: Number(header["PRT PCH"]), jobs, spaced: spacing ?? true };
}

/** Total prints per image file of a DPOF order (jobs of one image added up). */
export function mrkCopies(mrk: Mrk): Record<string, number> {
  const out: Record<string, number> = {};
  for (const j of mrk.jobs) out[j.src] = (out[j.src] ?? 0) + j.qty;
  return out;
}

export interface FrontierPrint {
  printCode: string;
  qty: number;
}

export interface FrontierImageEntry {
  file: string;
  backPrint: string | null;
  prints: FrontierPrint[];
}

export interface FrontierOrderFile {
  orderId: string;
  imagePath: string;
  printer: string;
  surface: string;
  images: FrontierImageEntry[];
}

/** Reads a JobMaker order `.txt`. */
export function parseFrontierTxt(bytes: Buffer): FrontierOrderFile {
  const lines = crlfLines(bytes, "order .txt");
  let section = "";
  const info: Record<string, string> = {};
  const images: FrontierImageEntry[] = [];
  let print: Record<string, string> | null = null;
  const endPrint = () => {
    if (!print) return;
    if (!print.PrintCode || !/^\d+$/.test(print.PrintQty ?? "")) throw new Error(`a [Print] needs PrintCode and a numeric PrintQty: ${JSON.stringify(print)}`);
    if (images.length === 0) throw new Error("a [Print] before any [ImageInfo]");
    images[images.length - 1].prints.push({ printCode: print.PrintCode, qty: Number(print.PrintQty) });
    print = null;
  };
  for (const raw of lines) {
    if (raw === "") continue;
    const head = /^\[(\w+)\]$/.exec(raw);
    if (head) {
      endPrint();
      section = head[1];
      if (section === "OrderInfo" && (images.length > 0 || Object.keys(info).length > 0)) throw new Error("[OrderInfo] must come first, once");
      if (section === "ImageInfo") images.push({ file: "", backPrint: null, prints: [] });
      if (section === "Print") print = {};
      if (!["OrderInfo", "ImageInfo", "Print"].includes(section)) throw new Error(`unknown section [${section}]`);
      continue;
    }
    const kv = /^([A-Za-z_]+)=(.*)$/.exec(raw);
    if (!kv) throw new Error(`unreadable line: ${raw}`);
    const [, k, v] = kv;
    if (section === "OrderInfo") info[k] = v;
    else if (section === "ImageInfo") {
      const im = images[images.length - 1];
      if (k === "ImageFile") im.file = v;
      else if (k === "BackPrint") {
        if (v.length > 40) throw new Error(`BackPrint longer than 40 characters: ${v}`);
        im.backPrint = v;
      } else throw new Error(`unknown [ImageInfo] key ${k}`);
    } else if (section === "Print") print![k] = v;
    else throw new Error(`a line outside a section: ${raw}`);
  }
  endPrint();
  for (const k of ["Order_ID", "ImagePath", "Printer", "Surface"]) if (!info[k]) throw new Error(`[OrderInfo] lacks ${k}`);
  for (const im of images) {
    if (!im.file) throw new Error("an [ImageInfo] without ImageFile");
    if (im.prints.length === 0) throw new Error(`image ${im.file} has no [Print]`);
  }
  return { orderId: info.Order_ID, imagePath: info.ImagePath, printer: info.Printer, surface: info.Surface, images };
}
