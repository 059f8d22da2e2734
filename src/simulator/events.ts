/**
 * Asynchronous events: a mutation is validated at once, answered with an eventId, and
 * applied after `delayMs` (0 = next tick); GET /status shows PENDING until then, then
 * COMPLETE, or FAILED when any task failed (partial success is FAILED with
 * numCompleted < numRequested: test/fixtures/apple/status.response.failed.json).
 * Each run applies all its tasks in one tick, so counts stay consistent under concurrency.
 */
import { errorBody } from "./errors.js";
import type { Faults } from "./faults.js";
import type { Location, SimEvent } from "./location.js";
import type { SimulatorLogger } from "./notifier.js";
import type { Prng } from "./prng.js";

export interface EventOutcome {
  numCompleted: number;
  failures: SimEvent["failures"];
}

/** Applies the event; `forcedError` (e.g. 9644 in maintenance) fails every task instead. */
export type EventRun = (eventId: string, forcedError?: number) => EventOutcome;

export class EventEngine {
  /** Pending events in submission order: their timer and how to complete them now. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private pendingCount = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly options: {
      delayMs: number;
      ids: Prng;
      faults: Faults;
      logger?: SimulatorLogger;
      /** Called after an event is submitted and after it settles (the state changed). */
      onChange?: () => void;
    },
  ) {}

  submit(
    location: Location,
    eventType: SimEvent["eventType"],
    numRequested: number,
    endpoint: string,
    run: EventRun,
  ): SimEvent {
    const event: SimEvent = {
      eventId: this.options.ids.uuid(),
      eventType,
      eventStatus: "PENDING",
      numRequested,
      numCompleted: 0,
      failures: [],
    };
    location.rememberEvent(event);
    this.pendingCount++;
    const fire = () => {
      this.timers.delete(timer);
      this.complete(event, endpoint, run);
    };
    const timer = setTimeout(fire, this.options.faults.eventDelayMs(endpoint) ?? this.options.delayMs);
    this.timers.set(timer, fire);
    this.options.onChange?.();
    return event;
  }

  /** Resolves when no event is pending. */
  idle(): Promise<void> {
    if (this.pendingCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Completes every pending event now, in submission order (before a final save). */
  flush(): void {
    for (const [timer, fire] of [...this.timers]) {
      clearTimeout(timer);
      fire();
    }
  }

  close(): void {
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    this.pendingCount = 0;
    this.release();
  }

  private complete(event: SimEvent, endpoint: string, run: EventRun): void {
    const forced = this.options.faults.inMaintenance(endpoint) ? 9644 : undefined;
    try {
      const outcome = run(event.eventId, forced);
      event.numCompleted = outcome.numCompleted;
      event.failures = outcome.failures;
    } catch (error) {
      this.options.logger?.warn({ eventId: event.eventId, err: String(error) }, "simulator event crashed");
      event.failures = [errorBody(9603)];
    }
    event.eventStatus = event.failures.length > 0 ? "FAILED" : "COMPLETE";
    this.options.onChange?.();
    this.pendingCount--;
    if (this.pendingCount === 0) this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
