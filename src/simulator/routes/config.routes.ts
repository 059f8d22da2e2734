/**
 * GET /service/config and GET/POST /client/config.
 * https://developer.apple.com/documentation/devicemanagement/service-config
 * https://developer.apple.com/documentation/devicemanagement/client-config-4szk1
 */
import type { FastifyInstance } from "fastify";
import type { ClientConfigResponse, ServiceConfigResponse } from "../../apple/wire.js";
import { envelopeOf, locationOf, type SimContext } from "../context.js";
import { AppleError, ERROR_MESSAGES } from "../errors.js";
import type { ClientConfig, Location, MdmInfo } from "../location.js";
import { jsonBody, optionalString, stringList } from "../request.js";

/** The types service config advertises (no SUBSCRIPTION_* there: service-config.response.json). */
export const ADVERTISED_NOTIFICATION_TYPES = [
  "ASSET_MANAGEMENT",
  "USER_MANAGEMENT",
  "USER_ASSOCIATED",
  "ASSET_COUNT",
];
/** Also accepted on subscribe, as Apple's tutorial subscribes to them. */
const ACCEPTED_NOTIFICATION_TYPES = [
  ...ADVERTISED_NOTIFICATION_TYPES,
  "SUBSCRIPTION_MANAGEMENT",
  "SUBSCRIPTION_COUNT",
];

export function registerConfigRoutes(app: FastifyInstance, ctx: SimContext): void {
  app.get("/mdm/v2/service/config", async (): Promise<ServiceConfigResponse> => {
    const base = `${ctx.origin()}/mdm/v2`;
    return {
      errorCodes: Object.entries(ERROR_MESSAGES).map(([n, errorMessage]) => ({
        errorMessage,
        errorNumber: Number(n),
      })),
      limits: { ...ctx.world.limits },
      notificationTypes: [...ADVERTISED_NOTIFICATION_TYPES],
      urls: {
        // The "invitation" is accepted by the simulator's operator side, standing in for Apple's page.
        invitationEmail: `${ctx.origin()}/operator/invitations/accept?inviteCode=%25inviteCode%25&mt=8`,
        clientConfig: `${base}/client/config`,
        createUsers: `${base}/users/create`,
        getAssignments: `${base}/assignments`,
        revokeAssets: `${base}/assets/revoke`,
        // Apple's is uclient-api.itunes.apple.com/.../wa/lookup; ours serves the public lookup format.
        contentMetadataLookup: `${ctx.origin()}/lookup`,
        getUsers: `${base}/users`,
        eventStatus: `${base}/status`,
        associateAssets: `${base}/assets/associate`,
        disassociateAssets: `${base}/assets/disassociate`,
        updateUsers: `${base}/users/update`,
        getAssets: `${base}/assets`,
        retireUsers: `${base}/users/retire`,
      },
    };
  });

  app.get("/mdm/v2/client/config", async (request) => clientConfigResponse(locationOf(ctx, request)));

  app.post("/mdm/v2/client/config", async (request) => {
    const location = locationOf(ctx, request);
    const body = jsonBody(request);
    const next: ClientConfig = { ...location.clientConfig };
    const mdmInfo = parseMdmInfo(ctx, body.mdmInfo);
    if (mdmInfo) next.mdmInfo = mdmInfo;
    const types = stringList(body, "notificationTypes");
    if (types && !types.every((t) => ACCEPTED_NOTIFICATION_TYPES.includes(t))) throw new AppleError(9602);
    const url = optionalString(body, "notificationUrl");
    const token = optionalString(body, "notificationAuthToken");
    if (url !== undefined || token !== undefined) {
      if (url === "" && token === "") {
        next.notificationUrl = undefined;
        next.notificationAuthToken = undefined;
      } else {
        if (!url || !token) throw new AppleError(9710);
        const max = ctx.world.limits.maxNotificationLength;
        if (url.length > max || token.length > max) throw new AppleError(9711);
        if (!acceptableUrl(url, ctx.insecureNotificationUrls)) throw new AppleError(9712);
        // Setting notifications sends TEST_NOTIFICATION; failing delivery rejects the config (9728).
        if (!(await ctx.notifier.test(url, token, location.uId))) throw new AppleError(9728);
        next.notificationUrl = url;
        next.notificationAuthToken = token;
      }
    }
    // Types left out when setting a URL subscribe to every advertised type (UNVERIFIED default).
    if (types) next.notificationTypes = [...new Set(types)];
    else if (url && location.clientConfig.notificationTypes.length === 0) {
      next.notificationTypes = [...ADVERTISED_NOTIFICATION_TYPES];
    }
    location.clientConfig = next;
    return clientConfigResponse(location);
  });
}

function parseMdmInfo(ctx: SimContext, value: unknown): MdmInfo | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new AppleError(9723);
  const { id, name, metadata } = value as Record<string, unknown>;
  if (typeof id !== "string" || typeof name !== "string" || typeof metadata !== "string") {
    throw new AppleError(9723);
  }
  if (id === "" || name === "") throw new AppleError(9723);
  const limits = ctx.world.limits;
  if (id.length > limits.maxMdmIdLength) throw new AppleError(9724);
  if (name.length > limits.maxMdmNameLength) throw new AppleError(9725);
  if (metadata.length > limits.maxMdmMetadataLength) throw new AppleError(9713);
  return { id, name, metadata };
}

/**
 * Apple requires HTTPS (9712). The simulator also accepts plain HTTP to loopback by
 * default, so tests and the demo can receive notifications without certificates.
 */
function acceptableUrl(url: string, insecure: SimContext["insecureNotificationUrls"]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "https:") return true;
  if (parsed.protocol !== "http:") return false;
  if (insecure === "any") return true;
  const host = parsed.hostname;
  return insecure === "loopback" && (host === "127.0.0.1" || host === "localhost" || host === "[::1]");
}

export function clientConfigResponse(location: Location): ClientConfigResponse {
  const config = location.clientConfig;
  const response: ClientConfigResponse = {
    countryISO2ACode: location.countryISO2ACode,
    defaultPlatform: "volumestore",
    locationName: location.locationName,
    subscribedNotificationTypes: [...config.notificationTypes],
    ...envelopeOf(location),
    websiteURL: "https://business.apple.com",
  };
  if (config.mdmInfo) response.mdmInfo = { ...config.mdmInfo };
  if (config.notificationUrl) response.notificationUrl = config.notificationUrl;
  if (config.notificationAuthToken) response.notificationAuthToken = config.notificationAuthToken;
  return response;
}
