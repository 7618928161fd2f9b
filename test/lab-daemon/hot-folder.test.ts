/**
 * The hot folder: a job appears whole or not at all (a separate process watching the folder never
 * sees a job folder without all of its files), a second write of a job changes nothing, and the
 * leftovers of a crash are removed.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HotFolder, chooseTmpRoot } from "../../src/lab-daemon/hot-folder";

let root: string;
let out: string;
let state: string;
let hot: HotFolder;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-hot-"));
  out = path.join(root, "hot");
  state = path.join(out, ".printmesh-lab");
  fs.mkdirSync(out);
  hot = new HotFolder(out, chooseTmpRoot(out, state));
  hot.prepare();
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const visibleJobs = () => fs.readdirSync(out).filter((n) => !n.startsWith("."));

async function writeJob(jobId: string, fileBytes = 64 * 1024): Promise<string> {
  const tmp = await hot.begin(jobId);
  const files = [];
  for (let i = 1; i <= 3; i++) files.push(await hot.writeFile(tmp, `sheet-00${i}.jpg`, Buffer.alloc(fileBytes, i)));
  await hot.writeFile(tmp, "ticket.json", JSON.stringify({ jobId, files }));
  return tmp;
}

describe("hot folder", () => {
  it("assembles a job in a hidden temporary folder on the same filesystem, and renames it in whole", async () => {
    expect(hot.tmpRoot).toBe(path.join(state, "tmp"));
    const tmp = await writeJob("J-1");
    expect(path.dirname(tmp)).toBe(hot.tmpRoot);
    expect(visibleJobs()).toEqual([]);
    expect(await hot.publish(tmp, "J-1")).toBe("published");
    expect(visibleJobs()).toEqual(["job-J-1"]);
    expect(fs.readdirSync(path.join(out, "job-J-1")).sort()).toEqual(["sheet-001.jpg", "sheet-002.jpg", "sheet-003.jpg", "ticket.json"]);
    const ticket = JSON.parse(fs.readFileSync(path.join(out, "job-J-1", "ticket.json"), "utf8"));
    expect(ticket.files[1]).toEqual({ name: "sheet-002.jpg", bytes: 65536, sha256: createHash("sha256").update(Buffer.alloc(65536, 2)).digest("hex") });
    expect(fs.existsSync(tmp)).toBe(false);
    expect(fs.readdirSync(hot.tmpRoot)).toEqual([]);
  });

  it("never shows a watching process a job folder with files missing or short", async () => {
    // The watcher polls as fast as it can and checks every job folder it sees against its ticket.
    const watcher = `
      const fs = require("fs"), path = require("path");
      const out = ${JSON.stringify(out)};
      let seen = 0, bad = [];
      process.stdout.write("ready\\n");
      const stop = () => { process.stdout.write(JSON.stringify({ seen, bad }) + "\\n"); process.exit(0); };
      process.on("SIGTERM", stop);
      (function poll() {
        for (const name of fs.readdirSync(out)) {
          if (name.startsWith(".")) continue;
          const dir = path.join(out, name);
          let ticket;
          try { ticket = JSON.parse(fs.readFileSync(path.join(dir, "ticket.json"), "utf8")); }
          catch (e) { bad.push(name + ": no whole ticket (" + e.code + ")"); continue; }
          for (const f of ticket.files) {
            let size = -1;
            try { size = fs.statSync(path.join(dir, f.name)).size; } catch {}
            if (size !== f.bytes) bad.push(name + "/" + f.name + ": " + size + " of " + f.bytes + " bytes");
          }
          seen++;
        }
        setImmediate(poll);
      })();`;
    const child = spawn(process.execPath, ["-e", watcher], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += String(d)));
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    for (let i = 0; i < 30; i++) await hot.publish(await writeJob(`J-${i}`, 256 * 1024), `J-${i}`);
    // The watcher keeps polling a little after the last publish, to see every job whole.
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    const report = JSON.parse(output.trim().split("\n").pop()!) as { seen: number; bad: string[] };
    expect(report.bad).toEqual([]);
    expect(report.seen).toBeGreaterThan(30);
    expect(visibleJobs()).toHaveLength(30);
  });

  it("leaves the hot folder as it was when the job is already there", async () => {
    await hot.publish(await writeJob("J-1"), "J-1");
    const before = fs.readFileSync(path.join(out, "job-J-1", "ticket.json"), "utf8");
    const tmp = await hot.begin("J-1");
    await hot.writeFile(tmp, "ticket.json", "{}");
    expect(await hot.publish(tmp, "J-1")).toBe("exists");
    expect(fs.readFileSync(path.join(out, "job-J-1", "ticket.json"), "utf8")).toBe(before);
    expect(fs.existsSync(tmp)).toBe(false);
    // rename(2) would replace an empty folder silently: that is not allowed to happen either.
    fs.mkdirSync(path.join(out, "job-J-2"));
    expect(await hot.publish(await writeJob("J-2"), "J-2")).toBe("exists");
    expect(fs.readdirSync(path.join(out, "job-J-2"))).toEqual([]);
  });

  it("removes half-written jobs after a crash and nothing else", async () => {
    await hot.publish(await writeJob("DONE"), "DONE");
    const half = await hot.begin("HALF");
    await hot.writeFile(half, "sheet-001.jpg", Buffer.alloc(10));
    const empty = await hot.begin("EMPTY");
    // A new HotFolder, as after a restart.
    const again = new HotFolder(out, chooseTmpRoot(out, state));
    expect(again.stillPending(half)).toBe(true);
    expect(again.recover().sort()).toEqual([path.basename(empty), path.basename(half)].sort());
    expect(fs.existsSync(half)).toBe(false);
    expect(fs.existsSync(empty)).toBe(false);
    expect(visibleJobs()).toEqual(["job-DONE"]);
    expect(fs.readdirSync(path.join(out, "job-DONE"))).toHaveLength(4);
    expect(again.recover()).toEqual([]);
  });

  it("names job folders safely and refuses file names that would leave the job's folder", async () => {
    expect(HotFolder.folderName("3f2a/../x y")).toBe("job-3f2a_.._x_y");
    const tmp = await hot.begin("J");
    await expect(hot.writeFile(tmp, "../escape.jpg", "x")).rejects.toThrow("bad file name for a job: ../escape.jpg");
    await expect(hot.writeFile(tmp, ".hidden", "x")).rejects.toThrow("bad file name");
  });
});
