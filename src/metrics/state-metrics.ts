/**
 * What Orchard holds, read from the database at each scrape (operationalState) and told as
 * Prometheus gauges: the same from every process over the same database. Ids are labels
 * (`space`, `account`); their names are in `orchard_space_info` and `orchard_account_info`,
 * to join on, so that a rename does not start a new series.
 */
import { Gauge, Registry } from "prom-client";
import type { Db } from "../store/database.js";
import { operationalState, type StateFigure, type StateMetric } from "../store/metrics.repo.js";

interface GaugeSpec {
  help: string;
  /** The labels `StateFigure.labels` fills, in order. */
  labels?: string[];
  account?: boolean;
}

const GAUGES: Record<StateMetric, GaugeSpec> = {
  space_info: { help: "A space of this Orchard, with its name (always 1)", labels: ["name"] },
  account_info: {
    help: "An Apps and Books account (sToken), with its name (always 1)",
    labels: ["name"],
    account: true,
  },
  account_health: {
    help: "An account's token health (NT2): 1 for its current state (ok, expired, revoked, invalid, login_required, other_mdm, location_changed, duplicate, paused, deleting)",
    labels: ["health"],
    account: true,
  },
  account_token_expiry_seconds: {
    help: "Seconds until the account's sToken expires (negative once expired)",
    account: true,
  },
  licenses_purchased: { help: "Licenses the account bought, all apps together", account: true },
  licenses_used: { help: "Licenses of the account in use, all apps together", account: true },
  waiting_requests: {
    help: "Requests waiting for a license (DB2, UB3), by the reason they wait",
    labels: ["reason"],
  },
  apple_operations_pending: {
    help: "Operations waiting to be sent to Apple, by kind",
    labels: ["kind"],
    account: true,
  },
  apple_oldest_pending_seconds: {
    help: "Age of the oldest operation waiting to be sent to Apple",
    account: true,
  },
  apple_calls: {
    help: "Apple calls not finished, by state (queued, sending, sent: waiting for Apple's result)",
    labels: ["state"],
    account: true,
  },
  mdm_commands: {
    help: "Install, remove and invite commands for the MDM, pending or failed",
    labels: ["state"],
  },
  notifications_open: { help: "Notifications not cleared (NT1, NT2), by severity", labels: ["severity"] },
  notification_deliveries: {
    help: "Notification deliveries pending or failed, by channel and state",
    labels: ["channel", "state"],
  },
};

/** The state's gauges, in a registry of this scrape's own. */
export async function stateRegistry(db: Db, now: Date): Promise<Registry> {
  const registry = new Registry();
  const figures = await operationalState(db, now);
  const gauges = new Map<StateMetric, Gauge<string>>();
  for (const [metric, spec] of Object.entries(GAUGES) as Array<[StateMetric, GaugeSpec]>) {
    gauges.set(
      metric,
      new Gauge({
        name: `orchard_${metric}`,
        help: spec.help,
        labelNames: ["space", ...(spec.account ? ["account"] : []), ...(spec.labels ?? [])],
        registers: [registry],
      }),
    );
  }
  for (const figure of figures) {
    const spec = GAUGES[figure.metric];
    gauges.get(figure.metric)?.set(labelsOf(figure, spec), figure.value);
  }
  return registry;
}

function labelsOf(figure: StateFigure, spec: GaugeSpec): Record<string, string> {
  const labels: Record<string, string> = { space: figure.spaceId };
  if (spec.account) labels.account = figure.accountId ?? "";
  (spec.labels ?? []).forEach((name, i) => {
    labels[name] = figure.labels[i] ?? "";
  });
  return labels;
}
