/** A pause between a loop's idle rounds that `stop()` can cut short (SIGTERM need not wait it out). */
export interface Pause {
  /** Waits `ms`, or until `wake()`. */
  wait(ms: number): Promise<void>;
  /** Ends the pause under way, if any. */
  wake(): void;
}

export function createPause(): Pause {
  let wake: (() => void) | undefined;
  return {
    async wait(ms) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    },
    wake: () => wake?.(),
  };
}
