import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.js";
import { type PasswordSource, readPassword } from "../../src/cli/password.js";

/** A terminal on stdin: raw mode recorded, keys typed one chunk at a time. */
function terminal(): { input: PasswordSource & PassThrough; modes: boolean[] } {
  const modes: boolean[] = [];
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(raw: boolean) {
      modes.push(raw);
      return input;
    },
  });
  return { input, modes };
}

function screen(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { out, text: () => text };
}

describe("admin create's password", () => {
  it("at a terminal: asked twice without echo (raw mode), backspace erases, the terminal is restored", async () => {
    const { input, modes } = terminal();
    const { out, text } = screen();
    const read = readPassword(input, out);
    input.write("s3cret!x\u007f\r");
    await new Promise((r) => setTimeout(r, 10));
    input.write("s3cret!\n");
    await expect(read).resolves.toBe("s3cret!");
    expect(text()).toBe("password: \npassword again: \n");
    expect(modes).toEqual([true, false, true, false]);
  });

  it("at a terminal: two different passwords, or Ctrl-C, create nothing", async () => {
    const differ = terminal();
    const read = readPassword(differ.input, screen().out);
    differ.input.write("one-password\r");
    await new Promise((r) => setTimeout(r, 10));
    differ.input.write("another-one\r");
    await expect(read).rejects.toThrow(new CliError("the two passwords differ: nothing was created"));
    expect(differ.modes.at(-1)).toBe(false);

    const stopped = terminal();
    const interrupted = readPassword(stopped.input, screen().out);
    stopped.input.write("abc\u0003");
    await expect(interrupted).rejects.toMatchObject({ exitCode: 130 });
    expect(stopped.modes).toEqual([true, false]);
  });

  it("piped: a password longer than the console's sign-in takes (1000) is refused, without reading the rest", async () => {
    const input = new PassThrough();
    input.write("p".repeat(5000));
    await expect(readPassword(input, screen().out)).rejects.toThrow(/a password has at most 1000 characters/);
    const exact = new PassThrough();
    exact.end(`${"p".repeat(1000)}\r\n`);
    await expect(readPassword(exact, screen().out)).resolves.toHaveLength(1000);
  });

  it("piped: the first line, nothing printed", async () => {
    const input = new PassThrough();
    const { out, text } = screen();
    input.end("from-a-pipe\r\nsecond line\n");
    await expect(readPassword(input, out)).resolves.toBe("from-a-pipe");
    expect(text()).toBe("");
  });
});
