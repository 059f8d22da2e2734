/**
 * A confirmed bulk action (a reclaim, a release of the outside list) whose set is no longer
 * what its preview showed: another count, or as many but not the same ones (the
 * fingerprint). Nothing was done; the caller previews again.
 */
export abstract class PreviewChangedError extends Error {
  constructor(
    readonly expected: number,
    readonly count: number,
    /** `count`: another number; `set`: as many, not the same ones. */
    readonly change: "count" | "set",
    message: string,
  ) {
    super(message);
  }
}
