import type { Command } from "commander";
import {
  adminPrincipal,
  issueApiToken,
  MAX_TOKEN_DAYS,
  tokenEndsIn,
  tokensWithGrants,
} from "../../auth/auth.service.js";
import {
  findAdminForLogin,
  findApiToken,
  type Grant,
  revokeApiToken,
  type TokenRole,
} from "../../store/auth.repo.js";
import { withStore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { expiryDate, printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { spaceIdOf } from "../resolve.js";
import { parseGrant } from "./admin.js";

interface CreateFlags {
  name: string;
  for: string;
  grant: string[];
  expiresInDays?: number;
  json: boolean;
}

/**
 * `orchard api-token`: the API tokens of machines (an MDM server: role `mdm`), from the
 * server's shell, as the console's Settings page makes them: to provision an MDM's
 * integration from a script, with no browser. A token acts for an administrator (`--for`),
 * whose roles bound its own, as in the API.
 */
export function registerApiToken(program: Command): void {
  const apiToken = program
    .command("api-token")
    .description("API tokens for machines (an MDM server: role mdm), as the console's Settings make them");
  withExamples(
    apiToken
      .command("create")
      .description("create an API token; the token is printed once, alone on stdout, and never again")
      .requiredOption("--name <name>", "what the token is for, e.g. the MDM server's name")
      .requiredOption("--for <login>", "the administrator it acts for: its roles bound the token's")
      .option(
        "--grant <space:role...>",
        "a role per space: <space>:mdm, <space>:read or <space>:manage; the space by id or name ('default': the default space)",
        [],
      )
      .option(
        "--expires-in-days <days>",
        `refused from then on (1 to ${MAX_TOKEN_DAYS}); without it, until revoked`,
        parsePositive(MAX_TOKEN_DAYS),
      )
      .option("--json", "print one JSON document on stdout (with the token)", false),
    [
      `TOKEN=$(orchard api-token create --name Jamf --for alice --grant default:mdm --expires-in-days 90)`,
      `orchard api-token create --name reports --for alice --grant "North campus:read" --json`,
    ],
  ).action(async (flags: CreateFlags) => {
    // Checked before the database opens: a typo is one line, exit 2.
    const wanted = flags.grant.map((g) => parseGrant(g, ["mdm", "read", "manage"]));
    if (wanted.length === 0) throw new CliError("give at least one --grant <space>:<role>");
    const name = flags.name.trim();
    if (name === "" || name.length > 100) throw new CliError("--name: 1 to 100 characters");
    await withStore(async (store) => {
      const admin = await findAdminForLogin(store.db, flags.for);
      if (!admin || admin.disabled) throw new CliError(`no active administrator with login ${flags.for}`, 3);
      const grants: Array<Grant<TokenRole>> = [];
      for (const g of wanted) {
        const spaceId = await spaceIdOf(store, g.space);
        if (grants.some((x) => x.spaceId === spaceId))
          throw new CliError(`--grant ${g.space}: one role per space`);
        grants.push({ spaceId, role: g.role });
      }
      const now = new Date();
      const issued = await issueApiToken(store.db, await adminPrincipal(store.db, admin, "token"), {
        name,
        grants,
        now,
        ...(flags.expiresInDays ? { expiresAt: tokenEndsIn(now, flags.expiresInDays) } : {}),
      });
      if (flags.json) return printJson({ ...issued.record, grants: issued.grants, token: issued.token });
      printLine(issued.token);
      printNote(
        `API token ${issued.record.name} (${issued.record.id}) created for ${admin.login}: ${issued.grants.map((g) => `${g.spaceId}:${g.role}`).join(", ")}${issued.record.expiresAt ? `, until ${issued.record.expiresAt.toISOString()}` : ""}; it is shown only now`,
      );
    });
  });

  withExamples(
    apiToken
      .command("list")
      .description("every API token: its roles, when it ends, when it was last used, revoked or not")
      .option("--json", "print one JSON document on stdout", false),
    ["orchard api-token list", "orchard api-token list --json"],
  ).action(async (flags: { json: boolean }) => {
    await withStore(async (store) => {
      const items = await tokensWithGrants(store.db);
      if (flags.json) return printJson({ items });
      if (items.length === 0) return printNote("no API token yet: orchard api-token create --help");
      const now = new Date();
      printTable(
        ["ID", "NAME", "ROLES", "EXPIRES", "LAST USED", "REVOKED"],
        items.map((t) => [
          t.id,
          t.name,
          t.grants.map((g) => `${g.spaceId}:${g.role}`).join(" "),
          expiryDate(t.expiresAt, now),
          shortDate(t.lastUsedAt),
          shortDate(t.revokedAt),
        ]),
      );
    });
  });

  withExamples(
    apiToken
      .command("revoke")
      .argument("<id>", "the token's id, as api-token list shows it")
      .description("revoke an API token: every server refuses it within seconds")
      .option("--json", "print one JSON document on stdout", false),
    ["orchard api-token revoke 8f0c2a51-…"],
  ).action(async (id: string, flags: { json: boolean }) => {
    await withStore(async (store) => {
      const token = await findApiToken(store.db, id);
      if (!token) throw new CliError(`API token ${id} not found: orchard api-token list`, 3);
      const already = token.revokedAt !== undefined;
      if (!already) await revokeApiToken(store.db, id, new Date());
      if (flags.json) return printJson({ id, name: token.name, revoked: true, already });
      printLine(already ? `API token ${token.name} was revoked already` : `API token ${token.name} revoked`);
    });
  });
}
