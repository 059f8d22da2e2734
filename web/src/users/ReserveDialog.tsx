import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useAccounts } from "../accounts/api";
import { useSpace } from "../app/space";
import { AppSelect } from "../apps/AppSelect";
import { useAppAccounts, useApps, useReserveForUser } from "../apps/api";
import { FormDialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice } from "../ui/States";

/**
 * DI3 from the user's page: a license of an app reserved for this user at one of the accounts
 * that bought it, the app's other rules left as they are. DI6 (no more reservations than
 * licenses) and DI7 (not also prohibited) are the server's to refuse; its words are shown.
 */
export function ReserveDialog({
  user,
  onClose,
  onReserved,
}: {
  user: { id: string; name: string };
  onClose: () => void;
  onReserved: (what: { app: string; account: string }) => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const apps = useApps(spaceId, { page: 1, pageSize: 500, sort: "name", order: "asc" });
  const accounts = useAccounts(spaceId);
  const [adamId, setAdamId] = useState("");
  const [accountId, setAccountId] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const reserve = useReserveForUser(spaceId);
  const bought = useAppAccounts(spaceId, adamId, adamId ? (accounts.data ?? []).map((a) => a.id) : []);
  // The accounts that bought the app, in priority order, each with its free licenses.
  const choices = (accounts.data ?? []).flatMap((a, i) => {
    const row = bought[i]?.data;
    return row ? [{ account: a, available: row.available }] : [];
  });
  const appName = apps.data?.items.find((a) => a.adamId === adamId)?.name ?? adamId;
  const account = choices.find((c) => c.account.id === accountId)?.account;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!adamId || !account) return;
    reserve.mutate(
      { accountId: account.id, adamId, userId: user.id },
      { onSuccess: () => onReserved({ app: appName, account: account.displayName }) },
    );
  };
  return (
    <FormDialog
      title={t("users.reserve.title", { name: user.name })}
      onClose={onClose}
      onSubmit={submit}
      busy={reserve.isPending}
      submitLabel={t("users.reserve.submit")}
    >
      <p className="card-help">{t("users.reserve.help")}</p>
      <Field
        label={t("licenses.app")}
        error={submitted && !adamId ? t("users.reserve.appRequired") : undefined}
      >
        {(p) => (
          <AppSelect
            field={p}
            name="app"
            apps={apps.data?.items}
            value={adamId}
            onChange={(id) => {
              setAdamId(id);
              setAccountId("");
            }}
          />
        )}
      </Field>
      <Field
        label={t("licenses.account")}
        error={submitted && adamId && !account ? t("users.reserve.accountRequired") : undefined}
      >
        {(p) => (
          <select
            {...p}
            name="account"
            className="select"
            value={accountId}
            disabled={!adamId}
            onChange={(e) => setAccountId(e.target.value)}
          >
            <option value="">{t("whatIf.chooseAccount")}</option>
            {/* DI6: a reservation needs a free license; an account with none cannot take one. */}
            {choices.map(({ account: a, available }) => (
              <option key={a.id} value={a.id} disabled={available === 0}>
                {t("users.reserve.accountChoice", {
                  priority: a.priority,
                  name: a.displayName,
                  available: f.number(available),
                })}
              </option>
            ))}
          </select>
        )}
      </Field>
      {reserve.error ? <ErrorNotice error={reserve.error} /> : null}
      <p className="footnote">
        <RuleRef id="DI3" /> <RuleRef id="DI6" />
      </p>
    </FormDialog>
  );
}
