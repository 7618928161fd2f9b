/**
 * The folders a capture device sees over FTP: names only, resolved from the session's folder, never
 * above the top.
 */
import { folderOf, pathOf, segmentsOf, storeTargetOf } from "../../src/shoots/ftp-paths";

describe("FTP folders", () => {
  it.each([
    ["/", ".", []],
    ["/", "SH-1", ["SH-1"]],
    ["/SH-1", "1234", ["SH-1", "1234"]],
    ["/SH-1/1234", "..", ["SH-1"]],
    ["/SH-1", "../../../etc", ["etc"]],
    ["/SH-1", "/SH-2/", ["SH-2"]],
    ["/", "SH-1\\9", ["SH-1", "9"]],
  ])("from %s, %s is %j", (cwd, arg, segments) => {
    expect(segmentsOf(cwd, arg)).toEqual(segments);
  });

  it("refuses control characters and overlong names", () => {
    expect(segmentsOf("/", "SH-1/a\u0007b")).toBeNull();
    expect(segmentsOf("/", "x".repeat(256))).toBeNull();
  });

  it("knows three kinds of folder, and no deeper ones", () => {
    expect(folderOf([])).toEqual({ kind: "root" });
    expect(folderOf(["SH-1"])).toEqual({ kind: "shoot", shootId: "SH-1" });
    expect(folderOf(["SH-1", "bib 7"])).toEqual({ kind: "subject", shootId: "SH-1", subject: "bib 7" });
    expect(folderOf(["SH-1", "a", "b"])).toBeNull();
    expect(pathOf({ kind: "subject", shootId: "SH-1", subject: "bib 7" })).toBe("/SH-1/bib 7");
    expect(pathOf({ kind: "root" })).toBe("/");
  });

  it.each([
    ["/", "SH-1/a.jpg", { shootId: "SH-1", subject: null, fileName: "a.jpg" }],
    ["/", "SH-1/42/a.jpg", { shootId: "SH-1", subject: "42", fileName: "a.jpg" }],
    ["/SH-1", "a.jpg", { shootId: "SH-1", subject: null, fileName: "a.jpg" }],
    ["/SH-1/42", "a.jpg", { shootId: "SH-1", subject: "42", fileName: "a.jpg" }],
    ["/SH-1/42", "/SH-2/a.jpg", { shootId: "SH-2", subject: null, fileName: "a.jpg" }],
    ["/", "a.jpg", null],
    ["/", "SH-1/a/b/c.jpg", null],
    ["/SH-1", "", null],
    ["/SH-1", null, null],
  ])("from %s, STOR %j stores into %j", (cwd, arg, target) => {
    expect(storeTargetOf(cwd, arg)).toEqual(target);
  });
});
