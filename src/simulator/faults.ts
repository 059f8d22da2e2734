/**
 * Injected faults, global or per endpoint (a path under /mdm/v2, e.g. "/assets/associate"),
 * changeable at run time. Draws come from the seeded PRNG so a test that sets `seed` sees
 * the same faults on every run.
 */
import { AppleError } from "./errors.js";
import type { Prng } from "./prng.js";

export interface FaultConfig {
  /** Share of requests answered 429 / 9646 with Retry-After, 0..1. */
  rate429?: number;
  /** Retry-After seconds on injected 429, 5xx and maintenance answers (default 1). */
  retryAfterSeconds?: number;
  /** Share of requests answered with a 5xx, 0..1. */
  rate5xx?: number;
  /** 500 answers 9603 (internal error), 503 answers 9729 (temporarily unavailable); default 503. */
  status5xx?: 500 | 503;
  /** Added latency before answering, in milliseconds. */
  latencyMs?: number;
  /**
   * How long the request's event stays PENDING, in milliseconds, instead of the simulator's
   * `eventDelayMs`: Apple does not promise to finish events in the order they were made (a
   * large association may finish after a later release of the same serials).
   */
  eventDelayMs?: number;
  /** Share of notifications never delivered, 0..1 (Apple's delivery is best-effort). */
  dropNotifications?: number;
  /**
   * Share of notifications delivered twice with the same notificationId, 0..1, and a random
   * wait of up to `notificationJitterMs` before each delivery, so that notifications arrive
   * out of order: clients must dedupe by notificationId (APPLE-API.md checklist 12).
   */
  duplicateNotifications?: number;
  notificationJitterMs?: number;
  /**
   * Maintenance mode: requests get 503 with error 9729 (the documented immediate "service
   * temporarily unavailable") and Retry-After, and events that complete meanwhile fail with
   * 9644 (maintenance, documented only as an asynchronous error in handling-error-responses).
   */
  maintenance?: boolean;
  /**
   * A token Apple refuses (invalid, expired, revoked, sign-in required) is answered with
   * HTTP 200 and the error body, as Fleet observed of Apple's service: clients must read
   * `errorNumber` whatever the status (APPLE-API.md, optional quirk).
   */
  tokenErrorsAsHttp200?: boolean;
}

/**
 * One subject's tasks refused by an asynchronous error (the event's `failures` and a
 * FAILURE notification name it), as Apple refuses a device it deems not eligible, an app
 * not sold in the location's country, a user whose Apple Account cannot be associated
 * (9635): the rest of the event goes through. The task is not applied; `applied` applies
 * it all the same and still reports the error (Apple answering a failure for an
 * assignment that is gone by then).
 */
export interface SubjectFault {
  /** A path under /mdm/v2: "/assets/associate", "/assets/disassociate" or "/assets/revoke". */
  endpoint: string;
  errorNumber: number;
  serialNumbers?: string[];
  clientUserIds?: string[];
  /** Only tasks of this app (associate, disassociate); unset, every app. */
  adamId?: string;
  /** Only at this location (an app not sold in its country); unset, at every location. */
  uId?: string;
  applied?: boolean;
}

export class Faults {
  private global: FaultConfig = {};
  private readonly byEndpoint = new Map<string, FaultConfig>();
  private subjects: SubjectFault[] = [];

  constructor(private readonly prng: Prng) {}

  set(faults: FaultConfig, endpoint?: string): void {
    if (endpoint === undefined) this.global = { ...faults };
    else this.byEndpoint.set(normalizeEndpoint(endpoint), { ...faults });
  }

  clear(): void {
    this.global = {};
    this.byEndpoint.clear();
    this.subjects = [];
  }

  /** Adds a per-subject refusal (cleared by `clear`, or by `clearSubjects`). */
  failSubjects(fault: SubjectFault): void {
    this.subjects.push({ ...fault, endpoint: normalizeEndpoint(fault.endpoint) });
  }

  clearSubjects(): void {
    this.subjects = [];
  }

  /** The refusal of one task, if a subject fault names it (the last added wins). */
  subjectError(
    endpoint: string,
    subject: { serialNumber?: string; clientUserId?: string },
    adamId?: string,
    uId?: string,
  ): { errorNumber: number; applied: boolean } | undefined {
    const path = normalizeEndpoint(endpoint);
    for (let i = this.subjects.length - 1; i >= 0; i--) {
      const f = this.subjects[i];
      if (!f || f.endpoint !== path) continue;
      if (f.adamId !== undefined && adamId !== undefined && f.adamId !== adamId) continue;
      if (f.uId !== undefined && uId !== undefined && f.uId !== uId) continue;
      const named =
        subject.serialNumber !== undefined
          ? (f.serialNumbers ?? []).includes(subject.serialNumber)
          : (f.clientUserIds ?? []).includes(subject.clientUserId ?? "");
      if (named) return { errorNumber: f.errorNumber, applied: f.applied === true };
    }
    return undefined;
  }

  /** Global faults overridden field by field by the endpoint's. */
  effective(endpoint: string): FaultConfig {
    return { ...this.global, ...this.byEndpoint.get(normalizeEndpoint(endpoint)) };
  }

  latencyMs(endpoint: string): number {
    return Math.max(0, this.effective(endpoint).latencyMs ?? 0);
  }

  /** The event delay this endpoint's requests get, if a fault sets one. */
  eventDelayMs(endpoint: string): number | undefined {
    const ms = this.effective(endpoint).eventDelayMs;
    return ms === undefined ? undefined : Math.max(0, ms);
  }

  tokenErrorsAsHttp200(endpoint: string): boolean {
    return this.effective(endpoint).tokenErrorsAsHttp200 === true;
  }

  inMaintenance(endpoint: string): boolean {
    return this.effective(endpoint).maintenance === true;
  }

  /** The injected error for this request, if any. */
  draw(endpoint: string): AppleError | undefined {
    const faults = this.effective(endpoint);
    const retryAfter = { "retry-after": String(faults.retryAfterSeconds ?? 1) };
    if (faults.maintenance) return new AppleError(9729, undefined, retryAfter, 503);
    if (faults.rate429 && this.prng.next() < faults.rate429) {
      return new AppleError(9646, undefined, retryAfter);
    }
    if (faults.rate5xx && this.prng.next() < faults.rate5xx) {
      return faults.status5xx === 500
        ? new AppleError(9603, undefined, retryAfter)
        : new AppleError(9729, undefined, retryAfter);
    }
    return undefined;
  }

  dropNotification(): boolean {
    const rate = this.global.dropNotifications ?? 0;
    return rate > 0 && this.prng.next() < rate;
  }

  duplicateNotification(): boolean {
    const rate = this.global.duplicateNotifications ?? 0;
    return rate > 0 && this.prng.next() < rate;
  }

  /** How long one delivery waits before its first attempt, in milliseconds. */
  notificationDelayMs(): number {
    const jitter = Math.max(0, this.global.notificationJitterMs ?? 0);
    return jitter > 0 ? Math.floor(this.prng.next() * (jitter + 1)) : 0;
  }
}

/** "/mdm/v2/assets" and "assets" both name "/assets". */
export function normalizeEndpoint(endpoint: string): string {
  const path = endpoint.replace(/^\/?mdm\/v2/, "").replace(/\?.*$/, "");
  return path.startsWith("/") ? path : `/${path}`;
}
