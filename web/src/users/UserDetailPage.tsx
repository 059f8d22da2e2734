import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUser, useUserLicenseUsage } from "./api";
import { UsageTable } from "./UsageTable";

/** VU1: User > License usage. */
export function UserDetailPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const { userId = "" } = useParams();
  const user = useUser(spaceId, userId);
  const usage = useUserLicenseUsage(spaceId, userId);
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
            {u.email ?? u.managedAppleId ?? ""}{" "}
            {u.enrolled ? (
              <Badge tone="success">{t("users.enrolled")}</Badge>
            ) : (
              <Badge tone="warning">{t("users.notEnrolled")}</Badge>
            )}
          </span>
        }
        actions={
          <Link className="btn btn-secondary" to={spacePath(spaceId, `/devices?user=${u.id}`)}>
            {t("users.devices")}
          </Link>
        }
      />
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
