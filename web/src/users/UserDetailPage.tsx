import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { spacePath, useSpace } from "../app/space";
import { SubjectWaitingApps } from "../apps/WaitingQueue";
import { GroupLink } from "../groups/GroupLink";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUser, useUserGroups, useUserLicenseUsage, useUserWaiting } from "./api";
import { InvitationCard, RegistrationBadge } from "./invitations";
import { UsageTable } from "./UsageTable";

/**
 * A user: the apps they wait for a user-based license of (DB2, UB3), the groups they are
 * in (DI7), and VU1 License usage.
 */
export function UserDetailPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const { userId = "" } = useParams();
  const user = useUser(spaceId, userId);
  const usage = useUserLicenseUsage(spaceId, userId);
  const groups = useUserGroups(spaceId, userId);
  const waiting = useUserWaiting(spaceId, userId);
  if (user.isPending) return <Loading />;
  if (user.isError) return <ErrorNotice error={user.error} />;
  const u = user.data;
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/users")}>← {t("users.title")}</Link>}
        title={u.name}
        description={
          <span className="chips-inline">
            {u.email ?? u.managedAppleId ?? ""} <RegistrationBadge registration={u.registration} />
          </span>
        }
        actions={
          <Link className="btn btn-secondary" to={spacePath(spaceId, `/devices?user=${u.id}`)}>
            {t("users.devices")}
          </Link>
        }
      />
      {u.registration === "enrolled" ? null : <InvitationCard user={u} />}
      {waiting.isError ? <ErrorNotice error={waiting.error} /> : null}
      {waiting.data && waiting.data.length > 0 ? (
        <Card title={t("users.waiting")} actions={<RuleRef id="UB3" compact />}>
          <p className="card-help">{t("users.waitingHelp")}</p>
          <SubjectWaitingApps
            subject={{ kind: "user", id: u.id }}
            rows={waiting.data}
            caption={t("users.waiting")}
          />
        </Card>
      ) : null}
      <Card title={t("users.groups")} actions={<RuleRef id="DI7" compact />}>
        <p className="card-help">{t("users.groupsHelp")}</p>
        {groups.isPending ? (
          <Loading />
        ) : groups.isError ? (
          <ErrorNotice error={groups.error} />
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
      <Card title={t("users.licenseUsage")}>
        <p className="card-help">{t("users.licenseUsageHelp")}</p>
        {usage.isPending ? (
          <Loading />
        ) : usage.isError ? (
          <ErrorNotice error={usage.error} />
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
