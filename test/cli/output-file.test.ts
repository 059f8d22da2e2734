import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { openOutputFile } from "../../src/cli/output-file.js";

const folder = () => mkdtempSync(join(tmpdir(), "orchard-output-"));

/** Rows that come, then a failure half-way (the database gone, a cursor torn down). */
function failingHalfWay(): Readable {
  return Readable.from(
    (async function* () {
      yield "adam_id,state\n";
      yield "1,assigned\n";
      throw new Error("connection lost");
    })(),
  );
}

describe("an export's output file", () => {
  it("an export that fails half-way leaves the previous file whole, and no temporary file beside it", async () => {
    const dir = folder();
    const file = join(dir, "licenses.csv");
    writeFileSync(file, "yesterday's export\n");
    const output = await openOutputFile(file);
    await expect(output.write(failingHalfWay())).rejects.toThrow("connection lost");
    expect(readFileSync(file, "utf8")).toBe("yesterday's export\n");
    expect(readdirSync(dir)).toEqual(["licenses.csv"]);
  });

  it("a complete export replaces the file and keeps its permissions", async () => {
    const dir = folder();
    const file = join(dir, "licenses.csv");
    writeFileSync(file, "old\n");
    chmodSync(file, 0o640);
    await (await openOutputFile(file)).write(Readable.from(["new\n"]));
    expect(readFileSync(file, "utf8")).toBe("new\n");
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(["licenses.csv"]);
  });

  it("a new file is created; a symbolic link stays a link, its target replaced", async () => {
    const dir = folder();
    await (await openOutputFile(join(dir, "new.csv"))).write(Readable.from(["a\n"]));
    expect(readFileSync(join(dir, "new.csv"), "utf8")).toBe("a\n");
    writeFileSync(join(dir, "target.csv"), "old\n");
    symlinkSync("target.csv", join(dir, "link.csv"));
    await (await openOutputFile(join(dir, "link.csv"))).write(Readable.from(["b\n"]));
    expect(readFileSync(join(dir, "target.csv"), "utf8")).toBe("b\n");
    expect(lstatSync(join(dir, "link.csv")).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["link.csv", "new.csv", "target.csv"]);
  });

  it("a named pipe is written in place, not replaced by a file", async () => {
    const dir = folder();
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    // The reader opens the pipe while the export does, as with `cat pipe` in another shell.
    const cat = spawn("cat", [fifo]);
    let read = "";
    cat.stdout.on("data", (chunk: Buffer) => {
      read += chunk.toString("utf8");
    });
    const ended = new Promise((resolve) => cat.once("close", resolve));
    await (await openOutputFile(fifo)).write(Readable.from(["through the pipe\n"]));
    await ended;
    expect(read).toBe("through the pipe\n");
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});
