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
