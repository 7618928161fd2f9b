/**
 * The controller dialects' writers on their own: what lands in the hot folder (golden files, given
 * a fixed clock and ids), read back by the tests' own parsers against the order, and the
 * controller's answer (a fake controller that accepts, refuses or ignores) turned into accepted,
 * refused or timed out, with what the controller did not take taken back. And the profile file's
 * checks.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import type { JobDetail } from "../../src/lab-daemon/center-protocol";
import { DpofWriter } from "../../src/lab-daemon/dialects/dpof";
import { FrontierWriter } from "../../src/lab-daemon/dialects/frontier";
import { defaultProfile, loadProfile, parseProfile, type LabProfile } from "../../src/lab-daemon/dialects/profile";
import { HotFolder } from "../../src/lab-daemon/hot-folder";
import type { JobWriter } from "../../src/lab-daemon/job-writer";
import { parseCommandLine } from "../../src/lab-daemon/main";
import { parseSheetSize, planSheets, sheetPixels, type SheetSize } from "../../src/lab-daemon/print-files";
import { mrkCopies, parseFrontierTxt } from "../support/controller-files";
import { fakeController, type FakeController } from "../support/fake-controller";
import { makePng } from "../support/images";

// DPOF dates are local time: the golden files are written in UTC.
process.env.TZ = "UTC";

const GOLDEN = path.join(__dirname, "golden");
const NOW = new Date("2026-03-08T13:44:13Z");
const DPI = 20;
const JOB_ID = "9c1b02de-5f3a-4b6e-8d7c-0a1b2c3d4e5f";
const ORDER_ID = "3f2a7c10-1111-4222-8333-944455556666";
const SIZES: Record<string, SheetSize> = { SV01: parseSheetSize("L"), SV02: parseSheetSize("KG"), SV03: parseSheetSize("40x60") };

/** An order of three services on three sizes: two loose images shared over 3 sheets, 1500 copies of one, one custom size. */
function job(attempts = 0) {
  const detail: JobDetail = {
    id: JOB_ID,
    orderId: ORDER_ID,
    labId: "LAB01",
    status: "LEASED",
    attempts,
    order: {
      id: ORDER_ID,
      status: "PRINTING",
      fulfilment: { method: "PICKUP", speed: "STANDARD", address: null },
      subOrders: [
        {
          id: "s1",
          number: 1,
          serviceId: "SV01",
          sheets: 3,
          items: [
            { id: "i1", imageId: "img-a", designTemplateId: null, layout: null },
            { id: "i2", imageId: "img-b", designTemplateId: null, layout: null },
          ],
        },
        { id: "s2", number: 2, serviceId: "SV02", sheets: 1500, items: [{ id: "i3", imageId: "img-a", designTemplateId: null, layout: null }] },
        { id: "s3", number: 3, serviceId: "SV03", sheets: 1, items: [{ id: "i4", imageId: "img-b", designTemplateId: null, layout: null }] },
      ],
    },
    images: [
      { imageId: "img-a", url: null, sha256: null, bytes: null, width: 60, height: 40, contentType: "image/png" },
      { imageId: "img-b", url: null, sha256: null, bytes: null, width: 40, height: 60, contentType: "image/png" },
    ],
  };
  const plans = detail.order.subOrders.flatMap((s) => planSheets(s, SIZES[s.serviceId]));
  const images = new Map([
    ["img-a", makePng(60, 40, 1)],
    ["img-b", makePng(40, 60, 2)],
  ]);
  return { jobId: JOB_ID, detail, plans, images, frames: new Map<string, Buffer>() };
}

/** What the order asks of the lab, per size: prints of each page in order. */
const EXPECTED: Record<string, number[]> = { L: [2, 1], KG: [1500], "40X60": [1] };

let root: string;
let out: string;
let hot: HotFolder;
let controller: FakeController | null = null;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-dialects-"));
  out = path.join(root, "hot");
  hot = new HotFolder(out, path.join(root, "state", "tmp"));
  hot.prepare();
});

afterEach(() => {
  controller?.stop();
  controller = null;
  fs.rmSync(root, { recursive: true, force: true });
});

function profileWith(change: (p: LabProfile) => void = () => undefined): LabProfile {
  const p = defaultProfile();
  p.pollSeconds = 0.02;
  p.acceptTimeoutSeconds = 5;
  change(p);
  return p;
}

const options = (profile: LabProfile) => ({
  hot,
  dpi: DPI,
  format: "jpeg" as const,
  center: "http://center.test",
  sheetFor: (s: { serviceId: string }) => SIZES[s.serviceId],
  sheetSource: () => "ORDER" as const,
  profile,
  now: () => NOW,
});

/** Writes the job as the worker does: a temporary folder, published whole. */
async function writeJob(writer: JobWriter, attempts = 0): Promise<string> {
  const tmp = await hot.begin(JOB_ID);
  const r = await writer.write(tmp, job(attempts));
  expect(r).toEqual({ files: 4, totalSheets: 1504 });
  expect(await hot.publish(tmp, JOB_ID)).toBe("published");
  return hot.dirFor(JOB_ID);
}

const handOver = (writer: JobWriter, stopping = () => false) => writer.handOver!({ jobId: JOB_ID, dir: hot.dirFor(JOB_ID), stopping, tick: async () => true });

/** Every file under a folder, relative, sorted (the hot folder's shape). */
function tree(dir: string): string[] {
  const outList: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d).sort()) {
      const full = path.join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      if (fs.statSync(full).isDirectory()) walk(full, r);
      else outList.push(r);
    }
  };
  walk(dir, "");
  return outList;
}

/** Compares with a golden file (UPDATE_GOLDEN=1 writes it). */
function golden(name: string, actual: Buffer | string): void {
  const file = path.join(GOLDEN, name);
  const bytes = typeof actual === "string" ? Buffer.from(actual, "utf8") : actual;
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }
  expect(bytes.toString("latin1")).toBe(fs.readFileSync(file).toString("latin1"));
}

const REF = `${ORDER_ID}-9c1b02de-1`;

describe("DPOF dialect", () => {
  it("writes one o<order>_<size> folder per print size, read back as exactly the order, and completes on e…", async () => {
    const writer = new DpofWriter(options(profileWith()));
    const dir = await writeJob(writer);
    // Before the hand-over nothing is visible to the controller: the p… folders are inside the job's folder.
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual([`job-${JOB_ID}`]);
    controller = fakeController(out, "dpof", "accept");
    expect(await handOver(writer)).toEqual({ kind: "accepted" });
    expect(controller.faults).toEqual([]);

    const sizes = ["L", "KG", "40x60"];
    expect(
      fs
        .readdirSync(out)
        .filter((n) => !n.startsWith("."))
        .sort(),
    ).toEqual([...sizes.map((s) => `e${REF}_${s}`), `job-${JOB_ID}`].sort());
    golden(
      "dpof-tree.txt",
      tree(out)
        .filter((f) => !f.startsWith("."))
        .join("\n") + "\n",
    );
    for (const s of sizes) golden(`dpof-${s}.MRK`, fs.readFileSync(path.join(out, `e${REF}_${s}`, "MISC", "AUTPRINT.MRK")));

    // The parser, against the order: each size its own folder, its images and their prints.
    const taken = new Map(controller.dpof.map((t) => [t.folder, t]));
    expect([...taken.keys()].sort()).toEqual(sizes.map((s) => `o${REF}_${s}`).sort());
    const codes: Record<string, string> = { L: "L", KG: "KG", "40x60": 'NML -PSIZE "40x60"' };
    for (const s of sizes) {
      const t = taken.get(`o${REF}_${s}`)!;
      expect(t.mrk.sizeCode).toBe(codes[s]);
      expect(t.mrk.channel).toBe(1);
      expect(t.mrk.jobs.every((j) => j.type === "STD" && j.format === "EXIF2 -J" && j.qty >= 1 && j.qty <= 999)).toBe(true);
      expect(t.mrk.jobs.map((j) => j.pid)).toEqual(t.mrk.jobs.map((_, i) => i + 1));
      const copies = mrkCopies(t.mrk);
      expect(Object.values(copies)).toEqual(EXPECTED[s.toUpperCase()]);
      expect(Object.keys(copies)).toEqual(EXPECTED[s.toUpperCase()].map((_, i) => `../IMAGE/${String(i + 1).padStart(4, "0")}.jpg`));
      // Each image at its print size's pixels.
      const px = sheetPixels(parseSheetSize(s), DPI);
      for (const bytes of t.images.values()) {
        const m = await sharp(bytes).metadata();
        expect([m.format, m.width, m.height]).toEqual(["jpeg", px.width, px.height]);
      }
    }
    // 1500 copies: two jobs of the same image.
    expect(taken.get(`o${REF}_KG`)!.mrk.jobs.map((j) => [j.src, j.qty])).toEqual([
      ["../IMAGE/0001.jpg", 999],
      ["../IMAGE/0001.jpg", 501],
    ]);

    // The ticket stays beside for people, and says where each print went.
    const ticket = JSON.parse(fs.readFileSync(path.join(dir, "ticket.json"), "utf8"));
    expect(ticket.controller.handedOverAs).toEqual(sizes.map((s) => `o${REF}_${s}`));
    expect(ticket.controller.folders.map((f: { size: string; images: Array<{ copies: number }> }) => [f.size, f.images.map((i) => i.copies)])).toEqual([
      ["L", [2, 1]],
      ["KG", [1500]],
      ["40x60", [1]],
    ]);
    expect(ticket.totalSheets).toBe(1504);
  });

  it("follows the profile: IMAGES, no spaces around =, a user id, size codes and channels", async () => {
    const writer = new DpofWriter(
      options(
        profileWith((p) => {
          p.dpof = { ...p.dpof, imageFolder: "IMAGES", spacesAroundEquals: false, userName: "LAB ONE", userId: "4711", defaultChannel: 9 };
          p.dpof.sizes = { L: { code: null, channel: 12 }, "40X60": { code: 'NML -PSIZE "4x6"', channel: 30 } };
        }),
      ),
    );
    await writeJob(writer);
    controller = fakeController(out, "dpof", "accept");
    expect(await handOver(writer)).toEqual({ kind: "accepted" });
    expect(controller.faults).toEqual([]);
    golden("dpof-profile-L.MRK", fs.readFileSync(path.join(out, `e${REF}_L`, "MISC", "AUTPRINT.MRK")));
    const by = new Map(controller.dpof.map((t) => [t.folder, t.mrk]));
    expect([by.get(`o${REF}_L`)!.spaced, by.get(`o${REF}_L`)!.channel, by.get(`o${REF}_L`)!.header["USR CID"]]).toEqual([false, 12, '"4711"']);
    expect([by.get(`o${REF}_KG`)!.sizeCode, by.get(`o${REF}_KG`)!.channel]).toEqual(["KG", 9]);
    expect([by.get(`o${REF}_40x60`)!.sizeCode, by.get(`o${REF}_40x60`)!.channel]).toEqual(['NML -PSIZE "4x6"', 30]);
    expect(fs.readdirSync(path.join(out, `e${REF}_L`)).sort()).toEqual(["IMAGES", "MISC"]);
  });

  it("a refusal (q…) is the job's failure with the folder named; the job leaves the hot folder and its retry writes new names", async () => {
    const writer = new DpofWriter(options(profileWith()));
    await writeJob(writer);
    controller = fakeController(out, "dpof", "refuse");
    const answer = await handOver(writer);
    expect(answer).toMatchObject({ kind: "refused", code: "CONTROLLER_REFUSED" });
    expect((answer as { reason: string }).reason).toMatch(new RegExp(`^the controller refused order folder o${REF}_(L|KG|40x60) \\(renamed q${REF}_`));
    // Refused folders stay for the operator; nothing is left for the controller to take; the job's folder is gone.
    const left = fs.readdirSync(out).filter((n) => !n.startsWith("."));
    expect(left.every((n) => n.startsWith(`q${REF}_`) || n.startsWith(`e${REF}_`))).toBe(true);
    expect(left.filter((n) => n.startsWith("o") || n.startsWith("job-"))).toEqual([]);

    // The retry (one attempt more) writes under new names and is taken.
    controller.mood = "accept";
    await writeJob(writer, 1);
    expect(await handOver(writer)).toEqual({ kind: "accepted" });
    expect(fs.readdirSync(out).filter((n) => n.startsWith("e") && n.includes(`${ORDER_ID}-9c1b02de-2_`)).length).toBe(3);
  });

  it("a controller that never answers: timed out, and the order taken back so it is not printed later", async () => {
    const writer = new DpofWriter(options(profileWith((p) => (p.acceptTimeoutSeconds = 0.3))));
    await writeJob(writer);
    controller = fakeController(out, "dpof", "ignore");
    const answer = await handOver(writer);
    expect(answer).toEqual({
      kind: "refused",
      code: "CONTROLLER_TIMEOUT",
      reason: `the controller did not take order folders o${REF}_L, o${REF}_KG, o${REF}_40x60 within 0.3s`,
    });
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual([]);
    expect(controller.dpof.length).toBe(0);
  });

  it("a stop while the controller has it keeps the job written; handing over again after a restart hands nothing twice", async () => {
    const writer = new DpofWriter(options(profileWith()));
    await writeJob(writer);
    expect(await handOver(writer, () => true)).toEqual({ kind: "stopped" });
    const visible = fs
      .readdirSync(out)
      .filter((n) => !n.startsWith("."))
      .sort();
    expect(visible).toEqual([`job-${JOB_ID}`, `o${REF}_40x60`, `o${REF}_KG`, `o${REF}_L`]);
    controller = fakeController(out, "dpof", "accept");
    expect(await handOver(writer)).toEqual({ kind: "accepted" });
    expect(controller.dpof.map((t) => t.folder).sort()).toEqual([`o${REF}_40x60`, `o${REF}_KG`, `o${REF}_L`]);
  });
});

describe("Frontier dialect", () => {
  const frontierProfile = () =>
    profileWith((p) => {
      p.pathMap = { from: out, to: "\\\\LABPC\\hot" };
      p.frontier = { printer: "LP5700", surface: "GLOSSY", sizes: { L: { printCode: "L-G", surface: null }, KG: { printCode: "KG-L", surface: "LUSTRE" } } };
    });
  const local = (p: string) => path.join(out, p.replace(/^\\\\LABPC\\hot\\?/, "").replace(/\\/g, "/"));

  it("writes the images, then one <order>_<surface>.txt per surface, read back as exactly the order; taken when the .txt goes", async () => {
    const writer = new FrontierWriter(options(frontierProfile()));
    const dir = await writeJob(writer);
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual([`job-${JOB_ID}`]);
    controller = fakeController(out, "frontier", "accept", { localPath: local });
    expect(await handOver(writer)).toEqual({ kind: "accepted" });
    expect(controller.faults).toEqual([]);
    golden(
      "frontier-tree.txt",
      tree(out)
        .filter((f) => !f.startsWith("."))
        .join("\n") + "\n",
    );

    const taken = new Map(controller.frontier.map((t) => [t.file, t]));
    expect([...taken.keys()].sort()).toEqual([`${REF}_GLOSSY.txt`, `${REF}_LUSTRE.txt`]);
    for (const [name, t] of taken) {
      golden(`frontier-${name.slice(REF.length + 1)}`, t.raw);
      expect(t.order.orderId).toBe(REF);
      expect(t.order.imagePath).toBe(`\\\\LABPC\\hot\\job-${JOB_ID}`);
      expect(t.order.printer).toBe("LP5700");
    }
    const glossy = taken.get(`${REF}_GLOSSY.txt`)!.order;
    const lustre = taken.get(`${REF}_LUSTRE.txt`)!.order;
    expect(glossy.surface).toBe("GLOSSY");
    expect(glossy.images.map((i) => [i.file, i.prints])).toEqual([
      [`${REF}_0001.jpg`, [{ printCode: "L-G", qty: 2 }]],
      [`${REF}_0002.jpg`, [{ printCode: "L-G", qty: 1 }]],
      [`${REF}_0004.jpg`, [{ printCode: "40x60", qty: 1 }]],
    ]);
    expect(lustre.images.map((i) => [i.file, i.prints])).toEqual([
      [
        `${REF}_0003.jpg`,
        [
          { printCode: "KG-L", qty: 999 },
          { printCode: "KG-L", qty: 501 },
        ],
      ],
    ]);
    expect(glossy.images.every((i) => i.backPrint !== null && i.backPrint.length <= 40)).toBe(true);
    const px = sheetPixels(SIZES.SV02, DPI);
    const m = await sharp(taken.get(`${REF}_LUSTRE.txt`)!.images.get(`${REF}_0003.jpg`)!).metadata();
    expect([m.width, m.height]).toEqual([px.width, px.height]);
    const ticket = JSON.parse(fs.readFileSync(path.join(dir, "ticket.json"), "utf8"));
    expect([ticket.controller.dialect, ticket.controller.imagePath, ticket.controller.files.map((f: { name: string }) => f.name)]).toEqual([
      "frontier",
      `\\\\LABPC\\hot\\job-${JOB_ID}`,
      [`${REF}_GLOSSY.txt`, `${REF}_LUSTRE.txt`],
    ]);
  });

  it("JobMaker never takes it: timed out, the .txt taken back and the job's folder removed", async () => {
    const profile = frontierProfile();
    profile.acceptTimeoutSeconds = 0.3;
    const writer = new FrontierWriter(options(profile));
    await writeJob(writer);
    controller = fakeController(out, "frontier", "ignore", { localPath: local });
    const answer = await handOver(writer);
    expect(answer).toEqual({
      kind: "refused",
      code: "CONTROLLER_TIMEOUT",
      reason: `the controller did not take ${REF}_GLOSSY.txt, ${REF}_LUSTRE.txt within 0.3s`,
    });
    expect(fs.readdirSync(out).filter((n) => !n.startsWith("."))).toEqual([]);
  });

  it("the .txt is never half visible: written with the job and handed over by a rename", async () => {
    const writer = new FrontierWriter(options(frontierProfile()));
    const dir = await writeJob(writer);
    expect(
      fs
        .readdirSync(dir)
        .filter((n) => n.endsWith(".pending"))
        .sort(),
    ).toEqual([`${REF}_GLOSSY.txt.pending`, `${REF}_LUSTRE.txt.pending`]);
    const txt = parseFrontierTxt(fs.readFileSync(path.join(dir, `${REF}_GLOSSY.txt.pending`)));
    expect(txt.images.length).toBe(3);
  });
});

describe("the profile file", () => {
  const file = (json: unknown) => {
    const f = path.join(root, "profile.json");
    fs.writeFileSync(f, typeof json === "string" ? json : JSON.stringify(json));
    return f;
  };

  it.each([
    [{ dpof: { imageFolder: "PICS" } }, 'dpof.imageFolder must be "IMAGE" or "IMAGES", got "PICS"'],
    [{ dpof: { sizes: { L: { channel: 1000 } } } }, "dpof.sizes.L.channel must be a whole number from 1 to 999, got 1000"],
    [{ dpof: { userId: "A12" } }, 'dpof.userId must be 1-1000 characters (^\\d{1,16}$), got "A12"'],
    [{ dpof: { spacesAroundEquals: "yes" } }, 'dpof.spacesAroundEquals must be true or false, got "yes"'],
    [{ frontier: { surface: "GLOSSY PAPER" } }, 'frontier.surface must be 1-32 characters (^[A-Za-z0-9-]+$), got "GLOSSY PAPER"'],
    [{ acceptTimeoutSeconds: 0 }, "acceptTimeoutSeconds must be a number from 0.1 to 86400, got 0"],
    [{ frontier: { printr: "X" } }, "frontier.printr is not a profile field (known: printer, surface, sizes)"],
    [{ pathMap: { from: "/srv/hot" } }, "pathMap.to must be 1-1000 characters (^.+$), got undefined"],
  ])("%j is refused naming the field", (json, message) => {
    const f = file(json);
    expect(() => loadProfile(f)).toThrow(`--profile ${f}: ${message}`);
  });

  it("a file that is not JSON, or missing, is refused with its name", () => {
    const f = file("{ nope");
    expect(() => loadProfile(f)).toThrow(new RegExp(`^--profile ${f} is not JSON`));
    expect(() => loadProfile(path.join(root, "none.json"))).toThrow(`--profile ${path.join(root, "none.json")} cannot be read: ENOENT`);
  });

  it("fields left out keep their defaults; size names match case-insensitively", () => {
    const p = parseProfile({ acceptTimeoutSeconds: 30, dpof: { sizes: { kg: { channel: 4 } } } });
    expect(p.acceptTimeoutSeconds).toBe(30);
    expect(p.dpof.sizes).toEqual({ KG: { code: null, channel: 4 } });
    expect(p.dpof.imageFolder).toBe("IMAGE");
    expect(p.frontier).toEqual(defaultProfile().frontier);
  });

  it("the command line takes --dialect, --profile and --accept-timeout, and refuses what cannot work", () => {
    const base = ["--url", "http://127.0.0.1:4000", "--key", "k".repeat(24), "--out", path.join(root, "o")];
    const f = file({ acceptTimeoutSeconds: 45, dpof: { imageFolder: "IMAGES" } });
    const ok = parseCommandLine([...base, "--dialect", "dpof", "--profile", f], {});
    expect(ok !== "help" && [ok.dialect, ok.profile?.acceptTimeoutSeconds, ok.profile?.dpof.imageFolder]).toEqual(["dpof", 45, "IMAGES"]);
    const over = parseCommandLine([...base, "--dialect", "frontier", "--accept-timeout", "12"], {});
    expect(over !== "help" && [over.dialect, over.profile?.acceptTimeoutSeconds]).toEqual(["frontier", 12]);
    const plain = parseCommandLine(base, {});
    expect(plain !== "help" && plain.dialect).toBe("plain");
    expect(() => parseCommandLine([...base, "--dialect", "kodak"], {})).toThrow('--dialect must be plain, dpof, frontier, got "kodak"');
    expect(() => parseCommandLine([...base, "--dialect", "dpof", "--format", "pdf"], {})).toThrow("--format pdf: the dpof dialect prints JPEG images");
    expect(() => parseCommandLine([...base, "--dialect", "dpof", "--profile", file({ dpof: { defaultChannel: 0 } })], {})).toThrow(
      "dpof.defaultChannel must be a whole number from 1 to 999, got 0",
    );
  });
});
