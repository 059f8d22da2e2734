import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { DEFAULT_RETENTION } from "../src/store/retention.repo.js";

describe("configuration", () => {
  it("defaults to embedded PGlite in ./data on 127.0.0.1:8080", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ dataDir: "./data", port: 8080, host: "127.0.0.1" });
    expect(c.databaseUrl).toBeUndefined();
  });

  it("limits each API token to 60,000 requests a minute (1,000 a second) unless told otherwise (0: no limit); a bad number is refused", () => {
    expect(loadConfig({}).apiTokenRequestsPerMinute).toBe(60_000);
    expect(loadConfig({ API_TOKEN_REQUESTS_PER_MINUTE: "0" }).apiTokenRequestsPerMinute).toBe(0);
    expect(loadConfig({ API_TOKEN_REQUESTS_PER_MINUTE: "120" }).apiTokenRequestsPerMinute).toBe(120);
    for (const bad of ["-1", "1.5", "lots"])
      expect(() => loadConfig({ API_TOKEN_REQUESTS_PER_MINUTE: bad })).toThrowError(
        /API_TOKEN_REQUESTS_PER_MINUTE/,
      );
  });

  it("reports every invalid variable at once", () => {
    expect(() => loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" })).toThrowError(
      ConfigError,
    );
    try {
      loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
    } catch (error) {
      expect(String(error)).toMatch(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/);
      expect(String(error)).toContain("LOG_LEVEL");
    }
  });

  it("SYNC_CRON, FULL_SYNC_CRON: a schedule croner cannot read is refused with the other variables, not when the worker starts", () => {
    expect(loadConfig({ SYNC_CRON: "*/5 * * * *" }).syncCron).toBe("*/5 * * * *");
    let message = "";
    try {
      loadConfig({ SYNC_CRON: "bad cron", FULL_SYNC_CRON: "99 3 * * *", PORT: "http" });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = String(error);
    }
    expect(message).toMatch(/SYNC_CRON.*not a cron schedule/);
    expect(message).toMatch(/FULL_SYNC_CRON.*not a cron schedule/);
    expect(message).toContain("PORT");
  });

  it("refuses a channel half configured (a webhook without its secret would be dropped without a word)", () => {
    expect(() => loadConfig({ MDM_WEBHOOK_URL: "https://mdm.example/hook" })).toThrowError(
      /MDM_WEBHOOK_SECRET: needed with MDM_WEBHOOK_URL/,
    );
    expect(() => loadConfig({ NOTIFY_WEBHOOK_SECRET: "s".repeat(16) })).toThrowError(
      /NOTIFY_WEBHOOK_URL: needed with NOTIFY_WEBHOOK_SECRET/,
    );
    expect(() => loadConfig({ SMTP_URL: "smtp://mail", NOTIFY_EMAIL_TO: "it@example.org" })).toThrowError(
      /NOTIFY_EMAIL_FROM: needed with SMTP_URL/,
    );
    expect(() => loadConfig({ NOTIFY_EMAIL_TO: "it@example.org" })).toThrowError(
      /SMTP_URL: needed with NOTIFY_EMAIL_TO/,
    );
    const both = loadConfig({
      MDM_WEBHOOK_URL: "https://mdm.example/hook",
      MDM_WEBHOOK_SECRET: "s".repeat(16),
    });
    expect(both.mdmWebhook?.url).toBe("https://mdm.example/hook");
  });

  it("NT3: sends notification e-mails without NOTIFY_EMAIL_TO (to the administrators who ask for them)", () => {
    const mail = loadConfig({ SMTP_URL: "smtp://mail", NOTIFY_EMAIL_FROM: "orchard@example.org" });
    expect(mail.notifyEmail?.to).toEqual([]);
    const listed = loadConfig({
      SMTP_URL: "smtp://mail",
      NOTIFY_EMAIL_FROM: "orchard@example.org",
      NOTIFY_EMAIL_TO: "it@example.org, ops@example.org",
    });
    expect(listed.notifyEmail?.to).toEqual(["it@example.org", "ops@example.org"]);
  });

  it("takes a webhook's previous secret only beside a new one, and not the same one", () => {
    const hook = { MDM_WEBHOOK_URL: "https://mdm.example/hook", MDM_WEBHOOK_SECRET: "n".repeat(16) };
    const rotating = loadConfig({ ...hook, MDM_WEBHOOK_PREVIOUS_SECRET: "o".repeat(16) });
    expect(rotating.mdmWebhook?.previousSecret?.reveal()).toBe("o".repeat(16));
    expect(JSON.stringify(rotating)).not.toContain("o".repeat(16));
    expect(() => loadConfig({ ...hook, MDM_WEBHOOK_PREVIOUS_SECRET: "n".repeat(16) })).toThrowError(
      /MDM_WEBHOOK_PREVIOUS_SECRET: is the same as MDM_WEBHOOK_SECRET/,
    );
    expect(() => loadConfig({ NOTIFY_WEBHOOK_PREVIOUS_SECRET: "o".repeat(16) })).toThrowError(
      /NOTIFY_WEBHOOK_PREVIOUS_SECRET: needs NOTIFY_WEBHOOK_SECRET/,
    );
  });

  it("takes a metrics token, kept secret, and a worker's metrics port only with it", () => {
    const token = "m".repeat(24);
    const c = loadConfig({ METRICS_TOKEN: token, METRICS_PORT: "9464" });
    expect(c.metricsToken?.reveal()).toBe(token);
    expect(c.metricsPort).toBe(9464);
    expect(JSON.stringify(c)).not.toContain(token);
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(() => loadConfig({ METRICS_PORT: "9464" })).toThrowError(/METRICS_PORT: needs METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_TOKEN: token, METRICS_PORT: "8080", PORT: "8080" })).toThrowError(
      /METRICS_PORT: is the same as PORT/,
    );
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrowError(/METRICS_TOKEN/);
  });

  it("takes single sign-on with its three variables and PUBLIC_BASE_URL (the callback), https but on this machine, and passwords off only beside it", () => {
    const oidc = {
      OIDC_ISSUER: "https://login.example.org/tenant/v2.0",
      OIDC_CLIENT_ID: "orchard",
      OIDC_CLIENT_SECRET: "client-secret-value",
      PUBLIC_BASE_URL: "https://orchard.example.org/",
    };
    const c = loadConfig({ ...oidc, PASSWORD_LOGIN: "off" });
    expect(c.sso).toMatchObject({
      issuer: oidc.OIDC_ISSUER,
      clientId: "orchard",
      redirectUri: "https://orchard.example.org/api/v1/auth/sso/callback",
      loginClaim: "email",
    });
    expect(c.sso?.clientSecret.reveal()).toBe("client-secret-value");
    expect(JSON.stringify(c)).not.toContain("client-secret-value");
    expect(c.passwordLogin).toBe(false);
    expect(loadConfig({}).passwordLogin).toBe(true);
    expect(loadConfig({ ...oidc, OIDC_LOGIN_CLAIM: "preferred_username" }).sso?.loginClaim).toBe(
      "preferred_username",
    );
    expect(() =>
      loadConfig({ OIDC_ISSUER: oidc.OIDC_ISSUER, PUBLIC_BASE_URL: oidc.PUBLIC_BASE_URL }),
    ).toThrowError(/OIDC_CLIENT_ID: needed with OIDC_ISSUER/);
    const { PUBLIC_BASE_URL: _unset, ...withoutBase } = oidc;
    expect(() => loadConfig(withoutBase)).toThrowError(/PUBLIC_BASE_URL: needed with OIDC_ISSUER/);
    expect(() => loadConfig({ ...oidc, OIDC_ISSUER: "http://login.example.org" })).toThrowError(
      /OIDC_ISSUER: must be https/,
    );
    expect(loadConfig({ ...oidc, OIDC_ISSUER: "http://127.0.0.1:9000" }).sso?.issuer).toBe(
      "http://127.0.0.1:9000",
    );
    expect(() => loadConfig({ PASSWORD_LOGIN: "off" })).toThrowError(/PASSWORD_LOGIN: off needs OIDC_ISSUER/);
    // A callback of its own (PUBLIC_BASE_URL also tells Apple where to send notifications),
    // spelt once as a URL is, for both of the provider's requests.
    expect(
      loadConfig({
        ...withoutBase,
        OIDC_REDIRECT_URI: "https://Orchard.Intranet.example:443/api/v1/auth/sso/callback",
      }).sso?.redirectUri,
    ).toBe("https://orchard.intranet.example/api/v1/auth/sso/callback");
  });

  it("OIDC_GROUP_ROLES, OIDC_GROUPS_CLAIM, OIDC_SCOPES: roles from the provider's groups, read; a bad entry named", () => {
    const oidc = {
      OIDC_ISSUER: "https://login.example.org/tenant/v2.0",
      OIDC_CLIENT_ID: "orchard",
      OIDC_CLIENT_SECRET: "client-secret-value",
      PUBLIC_BASE_URL: "https://orchard.example.org/",
    };
    const c = loadConfig({
      ...oidc,
      OIDC_GROUP_ROLES: " orchard-owners=owner; Paris IT = manage:Paris ;helpdesk=read:*;",
      OIDC_SCOPES: "openid email profile groups",
    });
    expect(c.sso?.groupRoles).toEqual([
      { group: "orchard-owners", owner: true },
      { group: "Paris IT", role: "manage", space: "Paris" },
      { group: "helpdesk", role: "read", space: "*" },
    ]);
    expect(c.sso?.groupsClaim).toBe("groups");
    expect(c.sso?.scopes).toEqual(["openid", "email", "profile", "groups"]);
    expect(loadConfig(oidc).sso?.groupRoles).toBeUndefined();
    expect(loadConfig({ ...oidc, OIDC_GROUPS_CLAIM: "roles" }).sso?.groupsClaim).toBe("roles");
    expect(() => loadConfig({ ...oidc, OIDC_GROUP_ROLES: "helpdesk=read" })).toThrowError(
      /OIDC_GROUP_ROLES: "helpdesk=read": the role is owner, manage:<space> or read:<space>/,
    );
    expect(() => loadConfig({ ...oidc, OIDC_GROUP_ROLES: "owner" })).toThrowError(
      /OIDC_GROUP_ROLES: "owner" is not <group>=<role>/,
    );
    expect(() => loadConfig({ ...oidc, OIDC_GROUP_ROLES: " ; " })).toThrowError(
      /OIDC_GROUP_ROLES: names no group/,
    );
    expect(() => loadConfig({ ...oidc, OIDC_SCOPES: "email profile" })).toThrowError(
      /OIDC_SCOPES: must include openid/,
    );
    expect(() => loadConfig({ OIDC_GROUP_ROLES: "a=owner" })).toThrowError(
      /OIDC_GROUP_ROLES: needs OIDC_ISSUER/,
    );
    // Signing out of the provider too: off unless its return address is given.
    expect(loadConfig(oidc).sso?.postLogoutRedirectUri).toBeUndefined();
    expect(
      loadConfig({ ...oidc, OIDC_POST_LOGOUT_REDIRECT_URI: "https://Orchard.example.org/login" }).sso
        ?.postLogoutRedirectUri,
    ).toBe("https://orchard.example.org/login");
    expect(() =>
      loadConfig({ OIDC_POST_LOGOUT_REDIRECT_URI: "https://orchard.example.org/login" }),
    ).toThrowError(/OIDC_POST_LOGOUT_REDIRECT_URI: needs OIDC_ISSUER/);
  });

  it("TRUST_PROXY: every hop, a number of hops, or the proxies' addresses and CIDRs; unset, none", () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.2, 10.0.1.0/24,::1" }).trustProxy).toEqual([
      "10.0.0.2",
      "10.0.1.0/24",
      "::1",
    ]);
    expect(() => loadConfig({ TRUST_PROXY: "proxy.example.org" })).toThrowError(/TRUST_PROXY/);
  });

  it("keeps secrets out of logs and JSON", () => {
    const c = loadConfig({
      DATABASE_URL: "postgres://u:hunter2@db/orchard",
      ORCHARD_SECRET_KEY: `${"k".repeat(43)}=`,
    });
    expect(JSON.stringify(c)).not.toContain("hunter2");
    expect(JSON.stringify(c)).not.toContain("kkkk");
    expect(`${c.secretKey}`).toBe("[secret]");
    expect(c.databaseUrl?.reveal()).toContain("hunter2");
  });

  it("keeps history as long as the retention variables say, by default the store's defaults", () => {
    expect(loadConfig({}).retention).toEqual(DEFAULT_RETENTION);
    expect(
      loadConfig({
        ACTIVITY_RETENTION_DAYS: "0",
        NOTIFICATION_RETENTION_DAYS: "400",
        HISTORY_RETENTION_DAYS: "14",
        RELEASED_LICENSE_RETENTION_DAYS: "365",
      }).retention,
    ).toEqual({
      expiredSessionDays: 1,
      appleNotificationDays: 14,
      deliveredDeliveryDays: 14,
      failedDeliveryDays: 14,
      clearedNotificationDays: 400,
      finishedMdmCommandDays: 14,
      finishedAppleOperationDays: 14,
      releasedLicenseDays: 365,
      activityDays: 0,
      // Idempotency-Keys live their 24 hours whatever the variables say.
      idempotencyKeyDays: 1,
    });
    // A longer history keeps the short-lived records 30 days; 0 keeps all of it forever.
    expect(loadConfig({ HISTORY_RETENTION_DAYS: "180" }).retention).toMatchObject({
      appleNotificationDays: 30,
      deliveredDeliveryDays: 30,
      failedDeliveryDays: 180,
      finishedMdmCommandDays: 180,
      finishedAppleOperationDays: 180,
    });
    expect(loadConfig({ HISTORY_RETENTION_DAYS: "0" }).retention).toMatchObject({
      appleNotificationDays: 0,
      deliveredDeliveryDays: 0,
      failedDeliveryDays: 0,
      finishedMdmCommandDays: 0,
      finishedAppleOperationDays: 0,
    });
    expect(loadConfig({ RELEASED_LICENSE_RETENTION_DAYS: "0" }).retention.releasedLicenseDays).toBe(0);
  });

  it("reports every invalid retention at once: not a whole number of days, empty, negative", () => {
    let message = "";
    try {
      loadConfig({
        ACTIVITY_RETENTION_DAYS: "2y",
        NOTIFICATION_RETENTION_DAYS: "",
        HISTORY_RETENTION_DAYS: "-1",
        RELEASED_LICENSE_RETENTION_DAYS: "1.5",
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = String(error);
    }
    expect(message).toContain("ACTIVITY_RETENTION_DAYS");
    expect(message).toContain("NOTIFICATION_RETENTION_DAYS");
    expect(message).toContain("HISTORY_RETENTION_DAYS");
    expect(message).toContain("RELEASED_LICENSE_RETENTION_DAYS");
    expect(() => loadConfig({ ACTIVITY_RETENTION_DAYS: "36501" })).toThrowError(/ACTIVITY_RETENTION_DAYS/);
    expect(loadConfig({ ACTIVITY_RETENTION_DAYS: " 3650 " }).retention.activityDays).toBe(3650);
  });
});
