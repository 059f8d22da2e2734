/** An error the user can fix: printed as one line, with a meaningful exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    /** 2 = bad usage or input; 3 = not found; 4 = refused by Apple or a conflict; 130 = interrupted (Ctrl-C); 1 = anything else. */
    readonly exitCode: 1 | 2 | 3 | 4 | 130 = 2,
  ) {
    super(message);
  }
}

/**
 * A message as one line of a terminal: line breaks become spaces, and any other control
 * character a value brought with it (an escape sequence in a name, a carriage return, NUL)
 * is shown escaped (\x1b), never sent to the terminal to act on.
 */
export function oneLine(message: string): string {
  return message
    .trim()
    .replace(/\s*\n\s*/g, " ")
    .replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
