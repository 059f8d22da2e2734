import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LICENSE_COLUMNS, LICENSES_CSV } from "../../service/licenses-export.js";
import { checkSubjectFilter } from "../../service/list-filters.js";
import { EXPORT_FORMATS, type ExportFormat, exportStream } from "../../service/stream-export.js";
import { USAGE_COLUMNS, USAGE_CSV } from "../../service/usage-export.js";
import { iterateAppUsage, iterateLicenses } from "../../store/export.repo.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import { adamId, id, searchText, spaceParams } from "../schemas.js";
import { licenseFilterOf, licenseFilterQuery } from "./licenses.routes.js";

const format = z.enum(EXPORT_FORMATS).default("csv").describe("csv (the default, with a header row) or json");
const download = {
  produces: ["text/csv", "application/json"],
  response: {
    200: z.unknown().describe("text/csv or application/json, as an attachment"),
    ...problemResponses,
  },
};

/**
 * The space's licenses and their usage as files, for audits, finance and true-up, streamed
 * as the activity log's export is (activity.routes.ts): rows are read a batch at a time as
 * the client reads, so memory stays flat whatever the space's size.
 */
export function registerExportRoutes(app: Api, ctx: ApiContext): void {
  const { db } = ctx.deps;

  app.get(
    "/spaces/:spaceId/licenses/export",
    {
      config: can.read,
      schema: {
        tags: ["licenses"],
        summary: "Every license of the space as CSV or JSON, filtered and searched as the list (streamed)",
        description:
          `One row per license, by license id. CSV columns, in this order: ${LICENSE_COLUMNS.join(", ")}. ` +
          "Dates are ISO 8601 (UTC), empty when unset; `grace_ends_at` is set while the license is in grace " +
          "(RV3); `rule_ids` are space-separated. JSON: an array of objects with the same fields in camelCase " +
          "(`id`, `adamId`, …), absent values left out. Filters as `GET licenses`: an id the space does not " +
          "have is a 404 naming the parameter.",
        params: spaceParams,
        querystring: licenseFilterQuery.extend({
          q: searchText.optional().describe("as the list's search: user name, serial number or app name"),
          format,
        }),
        ...download,
      },
    },
    async (request, reply) => {
      const { q, format: as, ...query } = request.query;
      const spaceId = spaceOf(request);
      const filter = await licenseFilterOf(db, spaceId, query);
      return sendExport(
        request,
        reply,
        "licenses",
        as,
        exportStream(as, iterateLicenses(db, spaceId, filter, q), LICENSES_CSV),
      );
    },
  );

  app.get(
    "/spaces/:spaceId/usage/export",
    {
      config: can.read,
      schema: {
        tags: ["apps"],
        summary: "License usage per app and account as CSV or JSON, for finance and true-up (streamed)",
        description:
          `One row per app bought by an account, by app id then account id. CSV columns, in this order: ${USAGE_COLUMNS.join(", ")}. ` +
          "`total` is Apple's count for the account; `used` the seats taken (Orchard's licenses holding one and " +
          "assignments made outside Orchard); `assigned`, `pending_assign`, `pending_release` and `in_grace` count " +
          "Orchard's licenses by state; `reserved` the seats set aside for reserved users and devices that hold " +
          "none yet (DI6); `available` is total minus used; `waiting_users` and `waiting_devices` count the app's " +
          "queue (DB2), which is the app's, not one account's: each account row of the app repeats it; " +
          "`usage_percent` is used / total, rounded (NT1). JSON: an array of objects, fields in camelCase.",
        params: spaceParams,
        querystring: z.object({
          account: id.optional().describe("only this account's purchases"),
          app: adamId.optional().describe("only this app"),
          format,
        }),
        ...download,
      },
    },
    async (request, reply) => {
      const { account, app: adam, format: as } = request.query;
      const spaceId = spaceOf(request);
      await checkSubjectFilter(
        db,
        spaceId,
        { account, app: adam },
        { field: (name) => `querystring.${name}`, bySerial: (s) => `serial=${s}` },
      );
      const rows = iterateAppUsage(db, spaceId, { accountId: account, adamId: adam });
      return sendExport(request, reply, "usage", as, exportStream(as, rows, USAGE_CSV));
    },
  );
}

/** An export as a download: its type, its file name, and its rows pulled as the client reads. */
function sendExport(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  as: ExportFormat,
  body: NodeJS.ReadableStream,
) {
  body.on("error", (error) => request.log.error({ err: error }, `${name} export failed`));
  return reply
    .type(as === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8")
    .header("content-disposition", `attachment; filename="orchard-${name}.${as}"`)
    .serializer((x: unknown) => x as string)
    .send(body);
}
