import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { HistoryLink } from "../activity/history";
import { DetailUnavailable } from "../app/DetailUnavailable";
import { spacePath, useSpace } from "../app/space";
import { SubjectRules } from "../apps/SubjectRules";
import { SubjectWaitingApps } from "../apps/WaitingQueue";
import { GroupLink } from "../groups/GroupLink";
import { SubjectLicenses } from "../licenses/SubjectLicenses";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { useUser, useUserGroups, useUserLicenseUsage, useUserWaiting } from "./api";
import { InvitationCard, RegistrationBadge } from "./invitations";
import { ReserveDialog } from "./ReserveDialog";
import { UsageTable } from "./UsageTable";

/**
 * AC7, UB2: Apple's id for the user (`clientUserId`), beside where their registration at
 * Apple stands: Apple's assignments and the MDM name the user by it. None before Orchard
 * registers the user (or a sync finds them at Apple).
 */
function AppleUserId({ clientUserId }: { clientUserId: string | undefined }) {
  const { t } = useTranslation();
  return (
    <span className="muted small" title={t("users.clientUserIdHelp")}>
      {clientUserId ? (
        <>
          {t("common.labelled", { label: t("users.clientUserId") })}{" "}
          <span className="mono">{clientUserId}</span>
        </>
      ) : (
        t("users.noClientUserId")
      )}
    </span>
  );
}

/**
 * A user: Apple's id for them beside their registration (AC7, UB2), the apps they wait for a
 * user-based license of (DB2, UB3; each wait may be cancelled), the groups they are in
 * (DI7), the rules reserving apps for them or prohibiting them (DI3, DI4), their user-based licenses (each may be revoked, RV2) and VU1 License usage.
 */
export function UserDetailPage() {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const { userId = "" } = useParams();
  const [reserving, setReserving] = useState(false);
  const [reserved, setReserved] = useState<{ app: string; account: string }>();
  const user = useUser(spaceId, userId);
  const usage = useUserLicenseUsage(spaceId, userId);
  const groups = useUserGroups(spaceId, userId);
  const waiting = useUserWaiting(spaceId, userId);
  if (user.isPending) return <Loading />;
  if (user.isError) return <DetailUnavailable list="users" error={user.error} onRetry={user.refetch} />;
  const u = user.data;
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/users")}>← {t("users.title")}</Link>}
        title={u.name}
        description={
          <span className="chips-inline">
            {u.email ?? u.managedAppleId ?? ""} <RegistrationBadge registration={u.registration} />{" "}
            <AppleUserId clientUserId={u.clientUserId} />
          </span>
        }
        actions={
          <>
            <HistoryLink of={{ user: u.id }} />
            <Link className="btn btn-secondary" to={spacePath(spaceId, `/devices?user=${u.id}`)}>
              {t("users.devices")}
            </Link>
            {canWrite ? (
              <Button onClick={() => setReserving(true)}>{t("users.reserve.button")}</Button>
            ) : null}
          </>
        }
      />
      {reserved ? (
        <Notice tone="success">{t("users.reserve.done", { name: u.name, ...reserved })}</Notice>
      ) : null}
      {reserving ? (
        <ReserveDialog
          user={u}
          onClose={() => setReserving(false)}
          onReserved={(what) => {
            setReserving(false);
            setReserved(what);
          }}
        />
      ) : null}
      {u.registration === "enrolled" ? null : <InvitationCard user={u} />}
      {waiting.isError ? <ErrorNotice error={waiting.error} onRetry={waiting.refetch} /> : null}
      {waiting.data ? (
        <SubjectWaitingApps
          subject={{ kind: "user", id: u.id }}
          rows={waiting.data}
          title={t("users.waiting")}
          help={t("users.waitingHelp")}
          ruleId="UB3"
        />
      ) : null}
      <Card title={t("users.groups")} actions={<RuleRef id="DI7" compact />}>
        <p className="card-help">{t("users.groupsHelp")}</p>
        {groups.isPending ? (
          <Loading />
        ) : groups.isError ? (
          <ErrorNotice error={groups.error} onRetry={groups.refetch} />
        ) : (
          <ul
            className="chips"
            style={{ listStyle: "none", margin: 0, padding: 0 }}
            aria-label={t("users.groups")}
          >
            {groups.data.map((g) => (
              <li key={g.id} className="badge">
                <GroupLink group={g} />
              </li>
            ))}
          </ul>
        )}
      </Card>
      <SubjectRules subject={{ kind: "user", id: u.id }} />
      <SubjectLicenses
        subject={{ user: u.id }}
        title={t("users.licenses")}
        help={t("users.licensesHelp")}
        emptyTitle={t("users.noLicensesTitle")}
        emptyText={t("users.noLicensesText")}
      />
      <Card title={t("users.licenseUsage")}>
        <p className="card-help">{t("users.licenseUsageHelp")}</p>
        {usage.isPending ? (
          <Loading />
        ) : usage.isError ? (
          <ErrorNotice error={usage.error} onRetry={usage.refetch} />
        ) : (
          <UsageTable
            caption={t("users.licenseUsage")}
            rows={usage.data}
            userId={u.id}
            columns={["name", "version", "cost", "assigned", "type", "platform", "device", "details"]}
            empty={<EmptyState title={t("users.noAppsTitle")}>{t("users.noAppsText")}</EmptyState>}
          />
        )}
      </Card>
    </>
  );
}
