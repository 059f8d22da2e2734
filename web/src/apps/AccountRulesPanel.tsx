import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Account } from "../api/types";
import { useSpace } from "../app/space";
import { GroupLink } from "../groups/GroupLink";
import { Button } from "../ui/Button";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { LicenseTypeBadge } from "../ui/status";
import { Tabs } from "../ui/Tabs";
import { AppLog } from "./AppLog";
import { useRules } from "./api";
import { ProhibitedCheck } from "./ProhibitedCheck";
import { RulesEditor } from "./RulesEditor";

type Tab = "fcfs" | "reserved" | "prohibited" | "log";

/** VU2: one account's tabs for the app, FCFS, Reserved, Prohibited and the log; "Distribute licenses" edits them (DI1). */
export function AccountRulesPanel({
  account,
  adamId,
  otherAccounts,
}: {
  account: Account;
  adamId: string;
  otherAccounts: Account[];
}) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const rules = useRules(spaceId, account.id, adamId);
  const [tab, setTab] = useState<Tab>("fcfs");
  const [editing, setEditing] = useState(false);
  if (rules.isPending) return <Loading />;
  if (rules.isError) return <ErrorNotice error={rules.error} onRetry={rules.refetch} />;
  const r = rules.data;
  const reservedCount = r.reservedUsers.length + r.reservedDevices.length;
  return (
    <div className="rules-panel">
      <div className="toolbar">
        <Tabs
          label={t("rulesTabs.label")}
          value={tab}
          onChange={setTab}
          items={[
            { key: "fcfs", label: t("rulesTabs.fcfs"), count: r.fcfs?.groups.length ?? 0 },
            { key: "reserved", label: t("rulesTabs.reserved"), count: reservedCount },
            { key: "prohibited", label: t("rulesTabs.prohibited"), count: r.prohibitedUsers.length },
            { key: "log", label: t("rulesTabs.log") },
          ]}
        />
        {canWrite ? (
          <Button variant="primary" onClick={() => setEditing(true)}>
            {t("rules.edit")}
          </Button>
        ) : null}
      </div>
      <div role="tabpanel" className="tab-panel">
        {tab === "fcfs" ? (
          r.fcfs ? (
            <div>
              <ul className="name-list">
                {r.fcfs.groups.map((g) => (
                  <li key={g.id}>
                    <GroupLink group={g} />
                  </li>
                ))}
              </ul>
              <p className="small">
                {t("common.labelled", { label: t("rules.requestedType") })}{" "}
                <LicenseTypeBadge type={r.fcfs.requestedType} /> ·{" "}
                {t("common.labelled", { label: t("rules.mandatoryType") })}{" "}
                <LicenseTypeBadge type={r.fcfs.mandatoryType} />
              </p>
              <RuleRef id="DI2" />
            </div>
          ) : (
            <EmptyState title={t("rules.noFcfsTitle")}>{t("rules.noFcfsText")}</EmptyState>
          )
        ) : null}
        {tab === "reserved" ? (
          reservedCount === 0 ? (
            <EmptyState title={t("rules.noReservedTitle")}>{t("rules.noReservedText")}</EmptyState>
          ) : (
            <div>
              <ul className="name-list">
                {r.reservedUsers.map((u) => (
                  <li key={u.id}>{u.name}</li>
                ))}
                {r.reservedDevices.map((d) => (
                  <li key={d.id}>
                    {d.serialNumber} <span className="muted small">({t("rules.device")})</span>
                  </li>
                ))}
              </ul>
              <RuleRef id="DI6" />
            </div>
          )
        ) : null}
        {tab === "prohibited" ? (
          r.prohibitedUsers.length === 0 ? (
            <EmptyState title={t("rules.noProhibitedTitle")}>{t("rules.noProhibitedText")}</EmptyState>
          ) : (
            <ProhibitedCheck account={account} adamId={adamId} users={r.prohibitedUsers} />
          )
        ) : null}
        {tab === "log" ? <AppLog accountId={account.id} adamId={adamId} /> : null}
      </div>
      {editing ? (
        <RulesEditor
          account={account}
          adamId={adamId}
          rules={r}
          otherAccounts={otherAccounts}
          onClose={() => setEditing(false)}
          onReload={async () => (await rules.refetch()).data}
        />
      ) : null}
    </div>
  );
}
