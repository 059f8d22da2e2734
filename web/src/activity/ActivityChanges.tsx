import type { JSX } from "react";
import { useTranslation } from "react-i18next";
import type { FcfsSetting, ListChange, Named, RulesChange } from "../../../src/store/rules-change";
import type { ActivityEntry } from "../api/types";

const RULE_LISTS = ["groups", "reservedUsers", "reservedDevices", "prohibitedUsers"] as const;

/**
 * Who a line's change named, under its message (invariant 4): a rules change's lists and FCFS
 * before and after (`details.changes`, DI1), a group's members who joined or left
 * (`details.members`). Nothing for other lines.
 */
export function ActivityChanges({ entry }: { entry: ActivityEntry }) {
  const { t } = useTranslation();
  const details = entry.details as { changes?: RulesChange; members?: ListChange } | undefined;
  const fcfs = (s: FcfsSetting | null) =>
    s
      ? t("activity.changes.on", {
          requested: t(`licenseType.${s.requestedType}`),
          mandatory: t(`licenseType.${s.mandatoryType}`),
        })
      : t("activity.changes.off");
  const names = (shown: Named[], count: number) => {
    const listed = shown.map((n) => n.name ?? n.id).join(", ");
    return count > shown.length
      ? `${listed} ${t("activity.changes.more", { count: count - shown.length })}`
      : listed;
  };
  const list = (key: string, label: string, change: ListChange) => (
    <li key={key}>
      {t("activity.changes.list", { list: label })}{" "}
      {change.addedCount > 0 && (
        <span className="change-added">+ {names(change.added, change.addedCount)}</span>
      )}
      {change.addedCount > 0 && change.removedCount > 0 && " "}
      {change.removedCount > 0 && (
        <span className="change-removed">− {names(change.removed, change.removedCount)}</span>
      )}
    </li>
  );
  const items: JSX.Element[] = [];
  const changes = entry.action === "rules.updated" ? details?.changes : undefined;
  if (changes?.fcfs)
    items.push(
      <li key="fcfs">
        {t("activity.changes.fcfs", { before: fcfs(changes.fcfs.before), after: fcfs(changes.fcfs.after) })}
      </li>,
    );
  for (const name of RULE_LISTS) {
    const change = changes?.[name];
    if (change) items.push(list(name, t(`rules.${name}`), change));
  }
  if (entry.action === "group.members_changed" && details?.members)
    items.push(list("members", t("groups.members"), details.members));
  return items.length > 0 ? <ul className="activity-changes small">{items}</ul> : null;
}
