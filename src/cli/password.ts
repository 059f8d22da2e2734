import { MAX_PASSWORD_LENGTH } from "../auth/passwords.js";
import { CliError } from "./errors.js";

/** Standard input as the password reader sees it: a terminal can be put in raw mode (no echo). */
export interface PasswordSource extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
}

/**
 * A password from standard input, never from the command line (it would show in `ps`).
 * Piped: its first line. At a terminal: asked twice, without echo (raw mode, as `passwd`
 * does), and refused if the two differ. Ctrl-C stops, Ctrl-D or Enter ends a line.
 */
export async function readPassword(
  input: PasswordSource = process.stdin,
  prompt: NodeJS.WritableStream = process.stderr,
): Promise<string> {
  if (input.isTTY && typeof input.setRawMode === "function") {
    const first = await askHidden(input, prompt, "password: ");
    if (first === "") throw new CliError("no password given: nothing was created");
    const again = await askHidden(input, prompt, "password again: ");
    if (again !== first) throw new CliError("the two passwords differ: nothing was created");
    return withinLength(first);
  }
  let text = "";
  for await (const chunk of input) {
    text += String(chunk);
    // A file with no line break (a binary piped by mistake) is not read to its end.
    if (text.includes("\n") || text.length > MAX_PASSWORD_LENGTH + 2) break;
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "")
    throw new CliError(
      "no password on standard input: pipe it in (printf '%s\\n' \"$PASSWORD\" | orchard …)",
    );
  return withinLength(password);
}

/** The console's sign-in takes passwords of MAX_PASSWORD_LENGTH at most: a longer one could never sign in. */
function withinLength(password: string): string {
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new CliError(
      `a password has at most ${MAX_PASSWORD_LENGTH} characters (the console's sign-in takes no more): nothing was changed`,
    );
  return password;
}

const ENTER = new Set(["\r", "\n", "\u0004"]);
const ERASE = new Set(["\u007f", "\b"]);

function askHidden(input: PasswordSource, out: NodeJS.WritableStream, label: string): Promise<string> {
  out.write(label);
  input.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = () => {
      input.off("data", onData);
      input.setRawMode?.(false);
      input.pause();
      out.write("\n");
    };
    const onData = (chunk: Buffer | string) => {
      const keys = [...String(chunk)];
      for (const [i, c] of keys.entries()) {
        if (ENTER.has(c)) {
          finish();
          // Pasted with what follows (the confirmation): kept for the next question.
          const rest = keys.slice(i + 1).join("");
          if (rest !== "") input.unshift(rest);
          return resolve(text);
        }
        if (c === "\u0003") {
          finish();
          return reject(new CliError("interrupted: nothing was created", 130));
        }
        text = ERASE.has(c) ? text.slice(0, -1) : text + c;
      }
    };
    input.on("data", onData);
    input.resume();
  });
}
