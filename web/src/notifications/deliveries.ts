import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import { statusWords } from "../api/field-errors";
import { usePage } from "../api/query";
import type {
  DeliveryState,
  DeliverySummary,
  NotificationDelivery,
  PageQuery,
  ResendResult,
} from "../api/types";
import { parseDeliveryError } from "./delivery-error";

const path = (spaceId: string) => `/spaces/${spaceId}/notifications/deliveries`;

export interface DeliveryFilter {
  state?: DeliveryState;
  channel?: string;
}

/** NT3: each notification's delivery to each channel, newest first. */
export function useDeliveries(spaceId: string, query: PageQuery, filter: DeliveryFilter) {
  return usePage<NotificationDelivery>(path(spaceId), { ...query, ...filter, q: undefined });
}

/** Per channel: deliveries by state, the latest failure, whether this server has it configured. */
export function useDeliverySummary(spaceId: string) {
  return useQuery({
    queryKey: [path(spaceId), "summary"],
    queryFn: ({ signal }) => api.get<DeliverySummary>(`${path(spaceId)}/summary`, undefined, signal),
  });
}

/** Sends the space's failed deliveries again (of one channel, if given) and tries them at once. */
export function useResend(spaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { channel?: string }) => api.post<ResendResult>(`${path(spaceId)}/retry`, body),
    onSettled: () => qc.invalidateQueries({ queryKey: [path(spaceId)] }),
  });
}

/** A channel's name in the console's language ("webhook" → "Webhook", "email" → "E-mail"). */
export function useChannelName() {
  const { t } = useTranslation();
  return (channel: string) => t(`deliveries.channel.${channel}`, { defaultValue: channel });
}

/**
 * Why a delivery failed, in the console's language: "HTTP 401 Unauthorized", "no answer in
 * time", "SMTP 535"; the server's English when the text is not one the channels write.
 */
export function useDeliveryError() {
  const { t } = useTranslation();
  return (text: string): string => {
    const e = parseDeliveryError(text);
    switch (e.kind) {
      case "webhookStatus":
        return t("deliveries.error.webhookStatus", { status: statusWords(e.status) ?? e.status });
      case "webhookUnreachable":
        return e.timedOut
          ? t("deliveries.error.webhookTimedOut")
          : e.code
            ? t("deliveries.error.webhookUnreachableCode", { code: e.code })
            : t("deliveries.error.webhookUnreachable");
      case "smtpReply":
        return t("deliveries.error.smtpReply", { status: e.code ? `${e.status} (${e.code})` : e.status });
      case "smtpUnreachable":
        return e.code
          ? t("deliveries.error.smtpUnreachableCode", { code: e.code })
          : t("deliveries.error.smtpUnreachable");
      case "notTried":
        return t("deliveries.error.notTried");
      case "text":
        return e.text;
    }
  };
}
