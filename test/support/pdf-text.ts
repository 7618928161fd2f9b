/**
 * The text of a PDF as an independent parser reads it: pdf-parse (pdf.js) run in a node process of
 * its own, since pdf.js sets up its worker with a dynamic import that jest's module sandbox refuses.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const READ = `
const { PDFParse } = require("pdf-parse");
const parser = new PDFParse({ data: new Uint8Array(require("node:fs").readFileSync(process.argv[1])) });
parser.getText().then(async (r) => { process.stdout.write(r.text); await parser.destroy(); }, (e) => { console.error(e); process.exit(1); });
`;

/** Every line of the PDF's text (file path or bytes), trimmed. */
export async function pdfLines(pdf: string | Buffer): Promise<string[]> {
  let file = typeof pdf === "string" ? pdf : "";
  let dir: string | null = null;
  if (typeof pdf !== "string") {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-pdf-"));
    file = path.join(dir, "read.pdf");
    fs.writeFileSync(file, pdf);
  }
  try {
    const text = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["-e", READ, file], { cwd: path.resolve(__dirname, "../.."), maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
        err ? reject(new Error(`pdf-parse failed: ${stderr || err.message}`)) : resolve(stdout),
      ),
    );
    return text.split("\n").map((l) => l.trim());
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
