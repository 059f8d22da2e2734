import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblemError } from "../api/client";
import type { Account, AppRulesInput, Device, Group, LicenseType, RulesBase, User } from "../api/types";
import { useSpace } from "../app/space";
import { AppSelect } from "../apps/AppSelect";
import { rulesInput, useApps, useRules } from "../apps/api";
import { LicenseTypeField } from "../apps/LicenseTypeField";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { type Picked, PickList } from "../ui/PickList";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice } from "../ui/States";
import { useGroupName } from "../users/groups";
import type { ProposedChange } from "./api";

type Props = {
  accounts: Account[];
  /** `base`: for a rule edit, the rules it started from (ApplyChange checks they still hold). */
  onChange: (change: ProposedChange | undefined, base?: RulesBase) => void;
  /** Changes when the change must start again from what is now (what it began from changed). */
  round?: number;
};
/** The rules of an app the account did not buy: none. */
const NO_RULES: AppRulesInput = { reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [] };

/** A new priority order (MA6; MA3: nobody loses a license for it). */
export function PriorityProposal({ accounts, onChange }: Props) {
  const { t } = useTranslation();
  const [order, setOrder] = useState(accounts);
  useEffect(() => onChange({ kind: "priorities", order: order.map((a) => a.id) }), [order, onChange]);
  const move = (i: number, by: number) => {
    const next = [...order];
    const [item] = next.splice(i, 1);
    if (item) next.splice(i + by, 0, item);
    setOrder(next);
  };
  return (
    <div>
      <ol className="order-list">
        {order.map((a, i) => (
          <li key={a.id}>
            <span>{a.displayName}</span>
            <span className="row-actions">
              <Button
                size="sm"
                variant="ghost"
                aria-label={t("accounts.moveUpOf", { name: a.displayName })}
                disabled={i === 0}
                onClick={() => move(i, -1)}
              >
                ↑
              </Button>
              <Button
                size="sm"
                variant="ghost"
                aria-label={t("accounts.moveDownOf", { name: a.displayName })}
                disabled={i === order.length - 1}
                onClick={() => move(i, 1)}
              >
                ↓
              </Button>
            </span>
          </li>
        ))}
      </ol>
      <RuleRef id="MA3" />
    </div>
  );
}

function AccountSelect({
  accounts,
  value,
  onChange,
}: {
  accounts: Account[];
  value: string;
  onChange: (id: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <Field label={t("licenses.account")}>
      {(p) => (
        <select {...p} className="select" value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{t("whatIf.chooseAccount")}</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.priority}. {a.displayName}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A token removed (AC5): its holders lose their licenses. */
export function RemoveProposal({ accounts, onChange }: Props) {
  const [id, setId] = useState("");
  useEffect(() => onChange(id ? { kind: "remove_account", accountId: id } : undefined), [id, onChange]);
  return <AccountSelect accounts={accounts} value={id} onChange={setId} />;
}

/**
 * A rule edit of one (account, app) (DI1), starting from its current rules (FCFS groups and
 * types, reserved users and devices, prohibited users), so that applying it (ApplyChange)
 * changes only what was edited. Nothing is proposed until those rules are read (an app the
 * account did not buy has none); `base` is them, for ApplyChange to see whether they changed
 * meanwhile.
 */
export function RulesProposal({ accounts, onChange, round = 0 }: Props) {
  const { t } = useTranslation();
  const groupName = useGroupName();
  const { spaceId } = useSpace();
  const apps = useApps(spaceId, { page: 1, pageSize: 500, order: "asc", sort: "name" });
  const [accountId, setAccountId] = useState("");
  const [adamId, setAdamId] = useState("");
  const [groups, setGroups] = useState<Picked[]>([]);
  const [requestedType, setRequestedType] = useState<LicenseType>("user");
  const [mandatoryType, setMandatoryType] = useState<LicenseType>("device");
  const [reserved, setReserved] = useState<Picked[]>([]);
  const [reservedDevices, setReservedDevices] = useState<Picked[]>([]);
  const [prohibited, setProhibited] = useState<Picked[]>([]);
  // The pair, and the round: a new round starts the edit again from the rules as they are now.
  const pair = `${accountId}/${adamId}#${round}`;
  const current = useRules(spaceId, accountId, adamId, Boolean(accountId && adamId));
  // The rules the edit started from, and of which pair: the form proposes nothing before.
  const [started, setStarted] = useState<{ of: string; base: RulesBase }>();
  // Another pair: its own lists, once read; none of the previous pair's meanwhile.
  const choose = (set: (id: string) => void) => (id: string) => {
    set(id);
    setGroups([]);
    setReserved([]);
    setReservedDevices([]);
    setProhibited([]);
  };
  const missing = current.error instanceof ApiProblemError && current.error.status === 404;
  // The pair's rules could not be read (not a 404): nothing is proposed; the admin may try again.
  const unread = current.isError && !missing;
  useEffect(() => {
    if (started?.of === pair) return;
    // Rules the account cannot have (an app it did not buy): none to keep.
    if (missing) setStarted({ of: pair, base: NO_RULES });
    if (!current.data) return;
    const rules = current.data;
    setGroups(rules.fcfs?.groups ?? []);
    setRequestedType(rules.fcfs?.requestedType ?? "user");
    setMandatoryType(rules.fcfs?.mandatoryType ?? "device");
    setReserved(rules.reservedUsers);
    setReservedDevices(rules.reservedDevices.map((d) => ({ id: d.id, name: d.serialNumber })));
    setProhibited(rules.prohibitedUsers);
    setStarted({ of: pair, base: { ...rulesInput(rules), version: rules.version } });
  }, [current.data, missing, pair, started?.of]);
  const base = started?.of === pair ? started.base : undefined;
  useEffect(() => {
    onChange(
      base
        ? {
            kind: "rules",
            accountId,
            adamId,
            ...(groups.length
              ? { fcfs: { groupIds: groups.map((g) => g.id), requestedType, mandatoryType } }
              : {}),
            reservedUserIds: reserved.map((u) => u.id),
            reservedDeviceIds: reservedDevices.map((d) => d.id),
            prohibitedUserIds: prohibited.map((u) => u.id),
          }
        : undefined,
      base,
    );
  }, [
    base,
    accountId,
    adamId,
    groups,
    requestedType,
    mandatoryType,
    reserved,
    reservedDevices,
    prohibited,
    onChange,
  ]);
  return (
    <div className="grid-2">
      {unread ? <ErrorNotice error={current.error} onRetry={current.refetch} /> : null}
      <AccountSelect accounts={accounts} value={accountId} onChange={choose(setAccountId)} />
      <Field label={t("licenses.app")}>
        {(p) => <AppSelect field={p} apps={apps.data?.items} value={adamId} onChange={choose(setAdamId)} />}
      </Field>
      <PickList<Group>
        name="groups"
        path={`/spaces/${spaceId}/groups`}
        labelOf={groupName}
        value={groups}
        onChange={setGroups}
        label={t("rules.groups")}
      />
      {groups.length > 0 ? (
        <>
          <LicenseTypeField
            label={t("rules.requestedType")}
            value={requestedType}
            onChange={setRequestedType}
          />
          <LicenseTypeField
            label={t("rules.mandatoryType")}
            value={mandatoryType}
            onChange={setMandatoryType}
          />
        </>
      ) : null}
      <PickList<User>
        name="reserved"
        path={`/spaces/${spaceId}/users`}
        labelOf={(u) => u.name}
        value={reserved}
        onChange={setReserved}
        label={t("rules.reservedUsers")}
      />
      <PickList<Device>
        name="reservedDevices"
        path={`/spaces/${spaceId}/devices`}
        labelOf={(d) => d.serialNumber}
        value={reservedDevices}
        onChange={setReservedDevices}
        label={t("rules.reservedDevices")}
      />
      <PickList<User>
        name="prohibited"
        path={`/spaces/${spaceId}/users`}
        labelOf={(u) => u.name}
        value={prohibited}
        onChange={setProhibited}
        label={t("rules.prohibitedUsers")}
      />
    </div>
  );
}
