import { type FormEvent, useRef } from "react";

/**
 * A form's submit handler that drops a second submit (a double-click on its button, Enter
 * pressed twice) made before the first one's `busy` shows: a mutation's pending state
 * reaches the component a task after `mutate` (TanStack Query notifies on a zero-delay
 * timer), so until then the button is still enabled. Each submit is one user action, sent
 * with its own Idempotency-Key (api/idempotency.ts): without this, a double-click is two
 * creations. A submit that starts nothing (the form's own checks refuse it) frees the form
 * on the next task all the same.
 */
export function useSubmitOnce(busy: boolean, onSubmit: (e: FormEvent) => void): (e: FormEvent) => void {
  const handing = useRef(false);
  return (e) => {
    if (busy || handing.current) {
      e.preventDefault();
      return;
    }
    handing.current = true;
    onSubmit(e);
    // Queued after the mutation's own notification: when it runs, `busy` is rendered.
    setTimeout(() => {
      handing.current = false;
    }, 0);
  };
}
