import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataDirInUseError, lockDataDir } from "../../src/store/data-dir-lock.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** A lock-holder.ts process; resolves to its first line ("held 123", "refused 456"). */
function holder(dataDir: string, startAt: number, socketFile?: string) {
  const args = ["--import", "tsx", "test/store/lock-holder.ts", dataDir, String(startAt)];
  const child = spawn(process.execPath, socketFile ? [...args, socketFile] : args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const line = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
    });
    child.once("exit", (code) => reject(new Error(`lock holder exited (${code}) before it spoke`)));
  });
  return { child, line };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

const freshDir = () => mkdtempSync(join(tmpdir(), "orchard-lock-"));

describe("the PGlite data folder is one process's", () => {
  it("several processes starting at the same instant: exactly one holds it, the others name it", async () => {
    const dir = freshDir();
    const startAt = Date.now() + 4000; // after every child has loaded
    const racers = Array.from({ length: 6 }, () => holder(dir, startAt));
    const lines = await Promise.all(racers.map((r) => r.line));
    const held = lines.filter((l) => l.startsWith("held "));
    expect(held).toHaveLength(1);
    const winner = held[0]?.slice("held ".length);
    expect(lines.filter((l) => l !== held[0])).toEqual(Array(5).fill(`refused ${winner}`));
  });

  it("a holder killed with SIGKILL leaves nothing to clean up: the next process takes the folder", async () => {
    const dir = freshDir();
    const first = holder(dir, 0);
    const pid = first.child.pid;
    expect(await first.line).toBe(`held ${pid}`);
    const refusal = await lockDataDir(dir).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as DataDirInUseError).message).toContain(`in use by process ${pid}:`);
    await killed(first.child);
    const release = await lockDataDir(dir);
    await release();
  });

  it("where the lock is a socket file, one left by a killed process is taken over by exactly one of those starting at once", async () => {
    const dir = freshDir();
    const socketFile = join(dir, "lock.sock");
    const first = holder(dir, 0, socketFile);
    expect(await first.line).toMatch(/^held /);
    await killed(first.child);
    expect(existsSync(socketFile)).toBe(true); // left behind
    const startAt = Date.now() + 4000;
    const lines = await Promise.all(
      Array.from({ length: 6 }, () => holder(dir, startAt, socketFile)).map((r) => r.line),
    );
    expect(lines.filter((l) => l.startsWith("held "))).toHaveLength(1);
  });

  it("opened twice in one process, it is counted: free only when both are closed", async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([lockDataDir(dir), lockDataDir(dir)]);
    await a();
    await a(); // twice is once
    expect((await holder(dir, 0).line).startsWith("refused ")).toBe(true);
    await b();
    expect((await holder(dir, 0).line).startsWith("held ")).toBe(true);
  });
});
