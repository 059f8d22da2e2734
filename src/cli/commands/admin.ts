import type { Command } from "commander";
import { createAdministrator, NO_PASSWORD, resetPassword } from "../../auth/auth.service.js";
import { adminEmailAddress } from "../../auth/email-address.js";
import { loadConfig } from "../../config.js";
import {
  findAdminForLogin,
  type Grant,
  LANGUAGES,
  type Language,
  listAdmins,
  listGrants,
  setAdminDisabled,
  setAdminLanguage,
  setGrants,
  setNotificationEmail,
  type TokenRole,
} from "../../store/auth.repo.js";
import { listSpaces, type Store } from "../../store/index.js";
import { withStore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parseLabel } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { readPassword } from "../password.js";
import { spaceIdOf } from "../resolve.js";

interface CreateFlags {
  login: string;
  name?: string;
  owner: boolean;
  grant: string[];
  ssoOnly: boolean;
  email?: string;
  notifyByEmail: boolean;
  json: boolean;
}

interface EmailFlags {
  login: string;
  address?: string;
  remove: boolean;
  notify?: boolean;
  language?: string;
  json: boolean;
}

/**
 * `orchard admin`: create the first administrator (an owner) or another one, list them,
 * reset a password, and set where their notification e-mails go (NT3), from the server.
 */
export function registerAdmin(program: Command): void {
  const admin = program.command("admin").description("manage Orchard administrators");
  registerCreate(admin);
  registerList(admin);
  registerResetPassword(admin);
  for (const disable of [true, false]) registerDisable(admin, disable);
  registerGrant(admin);
  registerEmail(admin);
}

function registerEmail(admin: Command): void {
  withExamples(
    admin
      .command("email")
      .description(
        "NT3: an administrator's e-mail address, whether they receive the notifications of their spaces (an owner: every space) by e-mail, and in which language; prints what is now set",
      )
      .requiredOption("--login <login>", "the administrator's login, exactly")
      .option(
        "--address <address>",
        "their e-mail address (single sign-on gives one to an administrator without, from the provider's `email` claim)",
      )
      .option("--remove", "no address any more, and so no notification e-mails", false)
      .option("--notify", "they receive their spaces' notifications by e-mail (needs an address)")
      .option("--no-notify", "they no longer receive them; the address is kept")
      .option(
        "--language <en|fr>",
        "the language of their notification e-mails (until they choose another in the console)",
      )
      .option("--json", "print one JSON document on stdout", false),
    [
      "orchard admin email --login bob --address bob@example.org --notify",
      "orchard admin email --login chloe --language fr",
      "orchard admin email --login bob --no-notify",
      "orchard admin email --login bob --remove",
    ],
  ).action(async (options: EmailFlags) => {
    if (
      options.address === undefined &&
      !options.remove &&
      options.notify === undefined &&
      options.language === undefined
    )
      throw new CliError("give --address <address>, --remove, --notify, --no-notify or --language <en|fr>");
    const language =
      options.language === undefined ? undefined : LANGUAGES.find((l) => l === options.language);
    if (options.language !== undefined && !language)
      throw new CliError(
        `--language ${options.language}: not a language of Orchard (${LANGUAGES.join(", ")})`,
      );
    if (options.address !== undefined && options.remove)
      throw new CliError("--address or --remove, not both");
    if (options.address !== undefined) checkAddress("--address", options.address);
    if (options.remove && options.notify)
      throw new CliError("--notify needs an e-mail address: give --address <address> instead of --remove");
    await withStore(async (store) => {
      const found = await administratorNamed(store, options.login);
      if (language) await setAdminLanguage(store.db, found.id, language);
      const set = await setNotificationEmail(store.db, found.id, {
        ...(options.address !== undefined
          ? { email: options.address }
          : options.remove
            ? { email: null }
            : {}),
        ...(options.notify !== undefined ? { notifyByEmail: options.notify } : {}),
      });
      if (set === "not_found") throw notFound(options.login);
      if (set === "email_needed")
        throw new CliError(`${found.login} has no e-mail address: add --address <address> to --notify`);
      if (options.json)
        printJson({
          id: set.id,
          login: set.login,
          ...(set.email !== undefined ? { email: set.email } : {}),
          notifyByEmail: set.notifyByEmail,
          language: set.language,
        });
      else
        printLine(
          set.notifyByEmail
            ? `${set.login}: notification e-mails to ${set.email}, in ${LANGUAGE_NAMES[set.language ?? "en"]}`
            : `${set.login}: ${set.email === undefined ? "no e-mail address" : `e-mail ${set.email}`}, no notification e-mails`,
        );
      if (set.notifyByEmail) noteWithoutEmailChannel();
    });
  });
}

const LANGUAGE_NAMES: Record<Language, string> = { en: "English", fr: "French" };

/** An e-mail address as the API takes it (z.email()), or the one-line refusal naming the option. */
function checkAddress(option: string, address: string): void {
  if (!adminEmailAddress.safeParse(address).success)
    throw new CliError(`${option} ${address}: not an e-mail address (name@example.org)`);
}

/** The setting is kept either way; the server only sends once its e-mail channel is configured. */
function noteWithoutEmailChannel(): void {
  if (!loadConfig().notifyEmail)
    printNote("this server sends no e-mail yet: set SMTP_URL and NOTIFY_EMAIL_FROM (the setting is kept)");
}

function registerGrant(admin: Command): void {
  withExamples(
    admin
      .command("grant")
      .description(
        "PM1: replace an administrator's roles per space with these (none: --grant omitted); an owner manages every space already",
      )
      .requiredOption("--login <login>", "the administrator's login, exactly")
      .option(
        "--grant <space:role...>",
        "a role per space: <space>:manage or <space>:read, the space by id or name ('default': the default space)",
        [],
      )
      .option("--json", "print one JSON document on stdout", false),
    [
      `orchard admin grant --login bob --grant "North campus:manage" --grant default:read`,
      "orchard admin grant --login bob",
    ],
  ).action(async (options: { login: string; grant: string[]; json: boolean }) => {
    const wanted = options.grant.map((g) => parseGrant(g));
    await withStore(async (store) => {
      const found = await administratorNamed(store, options.login);
      if (found.isOwner)
        throw new CliError(
          `${options.login} is an owner: owners manage every space, roles per space add nothing`,
          4,
        );
      const grants: Grant[] = [];
      for (const g of wanted) grants.push({ spaceId: await spaceIdOf(store, g.space), role: g.role });
      if (new Set(grants.map((g) => g.spaceId)).size !== grants.length)
        throw new CliError("--grant names a space twice: one role per space");
      await setGrants(store.db, { kind: "admin", id: found.id }, grants);
      if (options.json) return printJson({ id: found.id, login: found.login, grants });
      printLine(
        grants.length === 0
          ? `${found.login} has no role in any space now`
          : `${found.login}: ${options.grant.join(", ")}`,
      );
      if (found.ssoManaged)
        printNote(
          `${found.login} gets their roles from the identity provider's groups: their next sign-in sets them anew`,
        );
    });
  });
}

function registerDisable(admin: Command, disable: boolean): void {
  const verb = disable ? "disable" : "enable";
  withExamples(
    admin
      .command(verb)
      .description(
        disable
          ? "an administrator can no longer sign in (password or single sign-on): their sessions end and the API tokens they created stop, roles kept; never the last owner"
          : "an administrator disabled signs in again, with the roles they had; their API tokens work again",
      )
      .requiredOption("--login <login>", "the administrator's login, exactly")
      .option("--json", "print one JSON document on stdout", false),
    [`orchard admin ${verb} --login mallory@example.org`],
  ).action(async (options: { login: string; json: boolean }) => {
    await withStore(async (store) => {
      const found = await administratorNamed(store, options.login);
      const outcome = await setAdminDisabled(store.db, found.id, disable ? new Date() : null);
      if (outcome === "not_found") throw notFound(options.login);
      if (outcome === "last_owner")
        throw new CliError(
          `${options.login} is the last enabled owner: make another owner first (orchard admin create --owner)`,
          4,
        );
      if (options.json)
        return printJson({ id: outcome.id, login: outcome.login, disabled: outcome.disabled });
      printLine(
        disable
          ? `${outcome.login} disabled: their sessions are ended and their API tokens stopped`
          : `${outcome.login} enabled`,
      );
    });
  });
}

function registerCreate(admin: Command): void {
  withExamples(
    admin
      .command("create")
      .description(
        "create an administrator; the password is the first line of standard input (asked twice, unechoed, at a terminal)",
      )
      .requiredOption("--login <login>", "login name (1-200 characters)", parseLabel)
      .option("--name <name>", "display name (1-200 characters; default: the login)", parseLabel)
      .option("--owner", "may create spaces and administrators; manages every space", false)
      .option(
        "--grant <space:role...>",
        "PM1: a role per space: <space>:manage or <space>:read, the space by id or name ('default': the default space)",
        [],
      )
      .option(
        "--sso-only",
        "no password: signs in with single sign-on only (needs OIDC_ISSUER; the login is the provider's OIDC_LOGIN_CLAIM, e-mail by default)",
        false,
      )
      .option("--email <address>", "NT3: their e-mail address, for notification e-mails")
      .option(
        "--notify-by-email",
        "NT3: they receive the notifications of their spaces (an owner: every space) by e-mail; needs --email",
        false,
      )
      .option("--json", "print one JSON document on stdout", false),
    [
      `printf '%s\\n' "$ADMIN_PASSWORD" | orchard admin create --login alice --owner --email alice@example.org --notify-by-email`,
      "orchard admin create --login carol@example.org --grant default:manage --sso-only",
      `orchard admin create --login bob --grant default:read --grant "North campus:manage" < pw.txt`,
    ],
  ).action(async (options: CreateFlags) => {
    // Checked before the password is asked: a typo costs no typing.
    const wanted = options.grant.map((g) => parseGrant(g));
    if (options.email !== undefined) checkAddress("--email", options.email);
    if (options.notifyByEmail && options.email === undefined)
      throw new CliError("--notify-by-email needs --email <address>");
    if (options.ssoOnly && !loadConfig().sso)
      throw new CliError(
        "--sso-only needs single sign-on: set OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET",
      );
    const password = options.ssoOnly ? undefined : await readPassword();
    await withStore(async (store) => {
      const grants: Grant[] = [];
      for (const g of wanted) grants.push({ spaceId: await spaceIdOf(store, g.space), role: g.role });
      const created = await createAdministrator(store.db, {
        login: options.login,
        ...(options.name !== undefined ? { displayName: options.name } : {}),
        password,
        isOwner: options.owner,
        grants,
        email: options.email,
        notifyByEmail: options.notifyByEmail,
        now: new Date(),
      });
      if (options.json)
        printJson({
          id: created.id,
          login: created.login,
          isOwner: created.isOwner,
          ...(created.email !== undefined ? { email: created.email } : {}),
          notifyByEmail: created.notifyByEmail,
        });
      else
        printLine(
          `administrator ${created.login} created${created.isOwner ? " (owner)" : ""}${password === undefined ? ", signing in with single sign-on only" : ""}${created.notifyByEmail ? `, notification e-mails to ${created.email}` : ""}`,
        );
      if (created.notifyByEmail) noteWithoutEmailChannel();
    });
  });
}

function registerList(admin: Command): void {
  withExamples(
    admin
      .command("list")
      .description(
        "every administrator: owner or roles per space (PM1), how they sign in (password, single sign-on, roles from the provider's groups), disabled, their e-mail address and whether they receive notification e-mails (NT3; --json: in which language too)",
      )
      .option("--json", "print one JSON document on stdout (stable shape, for scripts)", false),
    [
      "orchard admin list",
      "orchard admin list --json | jq '.items[] | select(.isOwner) | .login'",
      "orchard admin list --json | jq -r '.items[] | select(.notifyByEmail) | .email'",
    ],
  ).action(async (flags: { json: boolean }) => {
    await withStore(async (store) => {
      const spaces = new Map((await listSpaces(store.db)).map((s) => [s.id, s.name]));
      const items = [];
      for (const a of await listAdmins(store.db)) {
        const withHash = await findAdminForLogin(store.db, a.login);
        items.push({
          id: a.id,
          login: a.login,
          displayName: a.displayName,
          isOwner: a.isOwner,
          grants: a.isOwner ? [] : await listGrants(store.db, { kind: "admin", id: a.id }),
          password: withHash !== undefined && withHash.passwordHash !== NO_PASSWORD,
          ssoLinked: a.ssoLinked,
          ssoManaged: a.ssoManaged,
          disabled: a.disabled,
          createdAt: a.createdAt.toISOString(),
          ...(a.lastSignInAt ? { lastSignInAt: a.lastSignInAt.toISOString() } : {}),
          ...(a.email !== undefined ? { email: a.email } : {}),
          notifyByEmail: a.notifyByEmail,
          language: a.language,
        });
      }
      if (flags.json) return printJson({ items });
      if (items.length === 0)
        return printNote("no administrator yet: orchard admin create --login <login> --owner");
      printTable(
        [
          "LOGIN",
          "NAME",
          "ACCESS",
          "SIGNS IN WITH",
          "STATUS",
          "LAST SIGN-IN",
          "CREATED",
          "E-MAIL",
          "NOTIFICATION E-MAILS",
        ],
        items.map((a) => [
          a.login,
          a.displayName,
          a.isOwner
            ? "owner (every space)"
            : a.grants.map((g) => `${spaces.get(g.spaceId) ?? g.spaceId}:${g.role}`).join(", ") || "none",
          [
            ...(a.password ? ["password"] : []),
            ...(a.ssoManaged
              ? ["single sign-on (roles from groups)"]
              : a.ssoLinked
                ? ["single sign-on"]
                : []),
          ].join(", ") || "single sign-on (not yet)",
          a.disabled ? "disabled" : "active",
          a.lastSignInAt ? shortDate(new Date(a.lastSignInAt)) : "never",
          shortDate(new Date(a.createdAt)),
          a.email ?? "-",
          a.notifyByEmail ? "yes" : "no",
        ]),
      );
    });
  });
}

function registerResetPassword(admin: Command): void {
  withExamples(
    admin
      .command("reset-password")
      .description(
        "a new password for an administrator, from the server (the way back in when the owners lost theirs or the identity provider is down): the first line of standard input (asked twice at a terminal); their sessions end",
      )
      .requiredOption("--login <login>", "the administrator's login, exactly")
      .option("--json", "print one JSON document on stdout", false),
    [`printf '%s\\n' "$NEW_PASSWORD" | orchard admin reset-password --login alice`],
  ).action(async (options: { login: string; json: boolean }) => {
    await withStore(async (store) => {
      // Looked up before the password is asked: a typo in the login costs no typing.
      await administratorNamed(store, options.login);
      const password = await readPassword();
      const admin = await resetPassword(store.db, { login: options.login, password });
      if (admin === "not_found") throw notFound(options.login);
      if (admin === "from_groups")
        throw new CliError(
          `${options.login} gets their roles from the identity provider's groups: a password would let them in whatever their groups; for a way back in, create an owner of Orchard's own (orchard admin create --owner)`,
          4,
        );
      if (options.json) printJson({ id: admin.id, login: admin.login, sessionsEnded: true });
      else printLine(`password of ${admin.login} replaced; their sessions are ended`);
      if (admin.disabled)
        printNote(`${admin.login} is disabled: the password lets them in only once enabled`);
      if (!loadConfig().passwordLogin)
        printNote("PASSWORD_LOGIN=off: the console takes no password until it is on");
    });
  });
}

/** The administrator with exactly this login, or the CLI's not-found error (exit 3). */
async function administratorNamed(store: Store, login: string) {
  const found = await findAdminForLogin(store.db, login);
  if (!found) throw notFound(login);
  return found;
}

const notFound = (login: string) => new CliError(`administrator ${login} not found (orchard admin list)`, 3);

/** `<space>:<role>`, the role one of `roles` (an administrator's: manage or read). */
export function parseGrant<R extends TokenRole = Grant["role"]>(
  value: string,
  roles: readonly R[] = ["manage", "read"] as R[],
): { space: string; role: R } {
  const at = value.lastIndexOf(":");
  const space = value.slice(0, at).trim();
  const role = value.slice(at + 1) as R;
  if (at < 1 || space === "" || !roles.includes(role))
    throw new CliError(`--grant ${value}: expected ${roles.map((r) => `<space>:${r}`).join(" or ")}`);
  return { space, role };
}
