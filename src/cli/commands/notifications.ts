import { type Command, Option } from "commander";
import { findNotifications } from "../../store/notification.repo.js";
import {
  type DeliveryState,
  listNotificationDeliveriesView,
  summarizeNotificationDeliveries,
} from "../../store/notification-delivery.repo.js";
import { ChannelNotConfiguredError, resendDeliveries } from "../../sync/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";

interface DeliveriesFlags extends CommonFlags {
  state?: DeliveryState;
  channel?: string;
  limit: number;
}

interface ResendFlags extends CommonFlags {
  channel?: string;
  notification?: string[];
}

const STATES: DeliveryState[] = ["pending", "delivered", "failed"];
/** As many notifications as the API takes in one resend (POST notifications/resend). */
const MAX_NOTIFICATIONS = 500;

/** What configures each channel, for the administrator who has to fix it. */
const SETTINGS: Record<string, string> = {
  webhook: "NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET",
  email: "SMTP_URL, NOTIFY_EMAIL_FROM",
  "email-fr": "SMTP_URL, NOTIFY_EMAIL_FROM",
};

/**
 * `orchard notifications …`: where the notifications (NT1, NT2) went besides the console:
 * each one's delivery to the webhook and by e-mail, and the failed ones sent again once the
 * channel's configuration is fixed.
 */
export function registerNotifications(program: Command): void {
  const notifications = program
    .command("notifications")
    .description("NT3: notification deliveries to the webhook and by e-mail; send failed ones again");

  withExamples(
    withCommonFlags(
      notifications
        .command("deliveries")
        .description(
          "each notification's delivery to each channel, newest first: state, attempts, last error",
        )
        .addOption(new Option("--state <state>", "only in this state").choices(STATES))
        .option("--channel <channel>", "only this channel's (webhook, email, email-fr)")
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      "orchard notifications deliveries --state failed",
      "orchard notifications deliveries --channel webhook --json | jq '.items[] | .lastError'",
    ],
  ).action(async (flags: DeliveriesFlags) => {
    checkChannel(flags.channel);
    await withCore(flags, async ({ core, spaceId, json }) => {
      const page = await listNotificationDeliveriesView(
        core.deps.db,
        spaceId,
        { state: flags.state, channel: flags.channel },
        { page: 1, pageSize: flags.limit, sort: "createdAt", order: "desc" },
      );
      if (json) return printJson({ items: page.items, total: page.total });
      if (page.items.length === 0) {
        printNote(
          flags.state || flags.channel
            ? "no delivery matches"
            : "no delivery yet: notifications go to the channels configured (NOTIFY_WEBHOOK_URL, SMTP_URL)",
        );
        return;
      }
      printTable(
        ["RAISED", "NOTIFICATION", "CHANNEL", "STATE", "ATTEMPTS", "LAST ATTEMPT", "LAST ERROR"],
        page.items.map((d) => [
          shortDate(d.notification.raisedAt),
          d.notification.title,
          d.channel,
          d.state === "pending" && d.nextAttemptAt ? `pending (next ${shortDate(d.nextAttemptAt)})` : d.state,
          String(d.attempts),
          d.attempts > 0 ? shortDate(d.updatedAt) : "-",
          d.lastError ?? "-",
        ]),
      );
      if (page.total > page.items.length)
        printNote(
          `${page.items.length} of ${page.total} deliveries shown: use --limit, --state or --channel for the others`,
        );
      if (flags.state !== "failed") {
        const failed = (await summarizeNotificationDeliveries(core.deps.db, spaceId))
          .filter((c) => (flags.channel ? c.channel === flags.channel : true))
          .reduce((n, c) => n + c.failed, 0);
        if (failed > 0)
          printNote(
            `${plural(failed, "delivery", "deliveries")} failed: fix the channel, then 'orchard notifications resend'`,
          );
      }
    });
  });

  withExamples(
    withCommonFlags(
      notifications
        .command("resend")
        .description(
          "send the space's failed deliveries again (after fixing the channel's configuration) and try them at once",
        )
        .option("--channel <channel>", "only this channel's (webhook, email, email-fr)")
        .option("--notification <id...>", "only these notifications' (ids, as deliveries --json lists them)"),
    ),
    [
      "orchard notifications resend",
      "orchard notifications resend --channel webhook --json",
      "orchard notifications resend --space Sciences --notification 6f1c0c9e-…",
    ],
  ).action(async (flags: ResendFlags) => {
    checkChannel(flags.channel);
    if ((flags.notification?.length ?? 0) > MAX_NOTIFICATIONS)
      throw new CliError(`at most ${MAX_NOTIFICATIONS} --notification ids at once`);
    await withCore(flags, async ({ core, spaceId, json }) => {
      if (flags.notification) {
        // An id of no notification of the space is a typo (exit 3), not "nothing to send again".
        const found = new Set(
          (await findNotifications(core.deps.db, spaceId, flags.notification)).map((n) => n.id),
        );
        const unknown = flags.notification.find((id) => !found.has(id));
        if (unknown !== undefined)
          throw new CliError(
            `notification ${unknown} not found in this space ('orchard notifications deliveries --json' lists them)`,
            3,
          );
      }
      let result: Awaited<ReturnType<typeof resendDeliveries>>;
      try {
        result = await resendDeliveries(core.sync, {
          spaceId,
          ...(flags.channel !== undefined ? { channel: flags.channel } : {}),
          ...(flags.notification ? { notificationIds: flags.notification } : {}),
          // A command waits for the attempt to end: the process must not close under it.
          waitMs: 10 * 60_000,
        });
      } catch (error) {
        if (error instanceof ChannelNotConfiguredError)
          throw new CliError(`${error.message}${settingsHint(error.channel)}`, 2);
        throw error;
      }
      if (result.failed > 0) {
        const why = result.errors.map((e) => `${e.channel}: ${e.error}`).join("; ");
        throw new CliError(
          `${result.failed} of ${plural(result.retried, "delivery", "deliveries")} sent again failed again (${why})${
            result.errors.length === 1 ? settingsHint(result.errors[0]?.channel ?? "") : ""
          }`,
          4,
        );
      }
      if (json) return printJson(result);
      if (result.retried === 0) {
        const skipped = (await summarizeNotificationDeliveries(core.deps.db, spaceId)).filter(
          (c) =>
            c.failed > 0 &&
            !core.sync.channels.some((ch) => ch.name === c.channel) &&
            (flags.channel === undefined || c.channel === flags.channel),
        );
        printNote(
          skipped.length > 0
            ? `no delivery sent again: the failed ones are to channels not configured here (${skipped
                .map((c) => c.channel)
                .join(", ")})`
            : "no failed delivery to send again",
        );
        return;
      }
      const parts = [
        ...(result.delivered > 0 ? [`${result.delivered} delivered`] : []),
        ...(result.pending > 0 ? [`${result.pending} pending, retried by the worker`] : []),
      ];
      printLine(`${plural(result.retried, "delivery", "deliveries")} sent again: ${parts.join(", ")}`);
      if (result.pending > 0 && result.errors.length > 0)
        printNote(result.errors.map((e) => `${e.channel}: ${e.error}`).join("; "));
    });
  });
}

/** A channel's name, checked before the database opens: its shape only (any name may be listed). */
function checkChannel(channel: string | undefined): void {
  if (channel !== undefined && !/^[a-z][a-z0-9_-]{0,49}$/.test(channel))
    throw new CliError(
      `--channel: "${channel}" is not a channel's name (${Object.keys(SETTINGS).join(", ")})`,
      2,
    );
}

function settingsHint(channel: string): string {
  const settings = SETTINGS[channel];
  return settings ? ` (check ${settings})` : "";
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
