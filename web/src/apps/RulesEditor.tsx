import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { Account, AppRules, Device, Group, LicenseType, User } from "../api/types";
import { useSpace } from "../app/space";
import { GroupLink } from "../groups/GroupLink";
import { Button } from "../ui/Button";
import { FormDialog } from "../ui/Dialog";
import { Option } from "../ui/Field";
import { type Picked, PickList } from "../ui/PickList";
import { RuleRef } from "../ui/RuleRef";
import { FormError, Notice, Revealed } from "../ui/States";
import { useGroupName } from "../users/groups";
import { rulesChangedMeanwhile, useAppRow, useSetRules } from "./api";
import { LicenseTypeField } from "./LicenseTypeField";

interface EditorProps {
  account: Account;
  adamId: string;
  rules: AppRules;
  otherAccounts: Account[];
  onClose: () => void;
  /** The rules read again, when someone changed them meanwhile. */
  onReload: () => Promise<AppRules | undefined>;
}

/**
 * DI1 "Distribute licenses": the FCFS groups with the license type per case (DI2), the
 * Reserved users and devices (DI3, DI6) and the Prohibited users (DI4) of one
 * (account, app). The API validates (DI6, DI7) and its field errors show on the fields.
 * The form starts from the rules of one version, and saves on it; when someone changed them
 * meanwhile, it starts again from the rules read again (a form of their version).
 */
export function RulesEditor(props: EditorProps) {
  const [shown, setShown] = useState(props.rules);
  const reload = async () => {
    const now = await props.onReload();
    if (now) setShown(now);
  };
  return <RulesForm key={shown.version} {...props} rules={shown} onReload={reload} />;
}

function RulesForm({
  account,
  adamId,
  rules,
  otherAccounts,
  onClose,
  onReload,
}: Omit<EditorProps, "onReload"> & { onReload: () => Promise<void> }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const save = useSetRules(spaceId, account.id, adamId);
  // DB5: the API knows (from the store's metadata) whether the app is custom or Productivity.
  const appRow = useAppRow(spaceId, adamId);
  const [fcfsOn, setFcfsOn] = useState(rules.fcfs !== undefined);
  const groupName = useGroupName();
  const [groups, setGroups] = useState<Picked[]>(
    (rules.fcfs?.groups ?? []).map((g) => ({ id: g.id, name: groupName(g) })),
  );
  const [requestedType, setRequestedType] = useState<LicenseType>(rules.fcfs?.requestedType ?? "user");
  const [mandatoryType, setMandatoryType] = useState<LicenseType>(rules.fcfs?.mandatoryType ?? "device");
  const [reservedUsers, setReservedUsers] = useState<Picked[]>(rules.reservedUsers);
  const [reservedDevices, setReservedDevices] = useState<Picked[]>(
    rules.reservedDevices.map((d) => ({ id: d.id, name: d.serialNumber })),
  );
  const [prohibited, setProhibited] = useState<Picked[]>(rules.prohibitedUsers);
  const changedMeanwhile = rulesChangedMeanwhile(save.error);
  // DI7, said before sending, by name: a user reserved and prohibited at once.
  const [both, setBoth] = useState<string>();
  // The Prohibited list is the last field, next to Save: its error is in view.
  const errors: Record<string, string> = {
    ...fieldErrorsOf(save.error),
    ...(both ? { prohibitedUserIds: t("rules.reservedAndProhibited", { name: both }) } : {}),
  };
  const deviceChosen = fcfsOn && (requestedType === "device" || mandatoryType === "device");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const twice = reservedUsers.find((u) => prohibited.some((p) => p.id === u.id));
    setBoth(twice?.name);
    if (twice) return;
    save.mutate(
      {
        rules: {
          ...(fcfsOn ? { fcfs: { groupIds: groups.map((g) => g.id), requestedType, mandatoryType } } : {}),
          reservedUserIds: reservedUsers.map((u) => u.id),
          reservedDeviceIds: reservedDevices.map((d) => d.id),
          prohibitedUserIds: prohibited.map((u) => u.id),
        },
        // The version the form started from: refused if the rules changed since.
        version: rules.version,
      },
      { onSuccess: onClose },
    );
  };
  return (
    <FormDialog
      title={t("rules.editTitle", { account: account.displayName })}
      onClose={onClose}
      onSubmit={submit}
      busy={save.isPending}
      wide
      className="rules-form"
    >
      <section>
        <h3 className="section-title">{t("rulesTabs.fcfs")}</h3>
        <Option
          name="fcfs"
          checked={fcfsOn}
          onChange={setFcfsOn}
          label={t("rules.fcfsOn")}
          description={t("rules.fcfsHelp")}
        />
        {fcfsOn ? (
          <>
            <PickList<Group>
              name="fcfs"
              path={`/spaces/${spaceId}/groups`}
              labelOf={groupName}
              value={groups}
              onChange={setGroups}
              label={t("rules.groups")}
              error={errors.fcfs}
            />
            {groups.length > 0 ? (
              <p className="muted small">
                {t("rules.groupPages")}{" "}
                {groups.map((g, i) => (
                  <span key={g.id}>
                    {i > 0 ? ", " : null}
                    <GroupLink group={g} newTab />
                  </span>
                ))}
              </p>
            ) : null}
            <div className="grid-2">
              <LicenseTypeField
                label={t("rules.requestedType")}
                hint={t("rules.requestedHelp")}
                value={requestedType}
                onChange={setRequestedType}
              />
              <LicenseTypeField
                label={t("rules.mandatoryType")}
                hint={t("rules.mandatoryHelp")}
                value={mandatoryType}
                onChange={setMandatoryType}
              />
            </div>
            {deviceChosen && appRow.data?.deviceLicenseReminder ? (
              <Notice tone="info" title={t("rules.db5Title")}>
                {t("rules.db5Text")} <RuleRef id="DB5" compact />
              </Notice>
            ) : null}
          </>
        ) : null}
      </section>
      <section>
        <h3 className="section-title">{t("rulesTabs.reserved")}</h3>
        <PickList<User>
          name="reservedUserIds"
          path={`/spaces/${spaceId}/users`}
          labelOf={(u) => u.name}
          value={reservedUsers}
          onChange={setReservedUsers}
          label={t("rules.reservedUsers")}
          error={errors.reservedUserIds}
        />
        {/* A book is never a device's (DB5): no device to reserve it for, unless one was already. */}
        {appRow.data?.productType === "Book" && reservedDevices.length === 0 ? (
          <p className="muted small">{t("rules.bookNoDevices")}</p>
        ) : (
          <PickList<Device>
            name="reservedDeviceIds"
            path={`/spaces/${spaceId}/devices`}
            labelOf={(d) => d.serialNumber}
            value={reservedDevices}
            onChange={setReservedDevices}
            label={t("rules.reservedDevices")}
            error={errors.reservedDeviceIds}
          />
        )}
      </section>
      <section>
        <h3 className="section-title">{t("rulesTabs.prohibited")}</h3>
        <PickList<User>
          name="prohibitedUserIds"
          path={`/spaces/${spaceId}/users`}
          labelOf={(u) => u.name}
          value={prohibited}
          onChange={setProhibited}
          label={t("rules.prohibitedUsers")}
          error={errors.prohibitedUserIds}
        />
        {prohibited.length > 0 && otherAccounts.length > 0 ? (
          <Notice tone="warning" title={t("rules.di4Title")}>
            {t("rules.di4Editing", {
              count: otherAccounts.length,
              accounts: otherAccounts.map((a) => a.displayName).join(", "),
            })}
          </Notice>
        ) : null}
      </section>
      {changedMeanwhile ? (
        <Revealed>
          <Notice tone="warning" title={t("rules.changedTitle")}>
            <p>{t("rules.changedText")}</p>
            <Button onClick={() => void onReload()}>{t("rules.loadCurrent")}</Button>
          </Notice>
        </Revealed>
      ) : (
        <FormError error={save.error} />
      )}
      <p className="footnote">
        <RuleRef id="DI1" /> <RuleRef id="DI7" />
      </p>
    </FormDialog>
  );
}
