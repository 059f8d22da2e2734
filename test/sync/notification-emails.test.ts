import { describe, expect, it } from "vitest";
import { createAdministrator } from "../../src/auth/auth.service.js";
import {
  LANGUAGES,
  notificationEmailsOfSpace,
  notificationRecipientsOfSpace,
  setAdminDisabled,
  setAdminLanguage,
  setNotificationEmail,
} from "../../src/store/auth.repo.js";
import {
  createSpace,
  type Notification,
  notificationMessage,
  raiseNotification,
} from "../../src/store/index.js";
import { listNotificationDeliveries } from "../../src/store/notification-delivery.repo.js";
import {
  deliverNotifications,
  emailChannel,
  makeSyncDeps,
  notificationEmail,
  type SyncDeps,
} from "../../src/sync/index.js";
import { deliveryChannels, raise } from "../../src/sync/notify.js";
import { describeEachDatabase, type TestDatabase } from "../store/databases.js";
import { smtpSink } from "./smtp-sink.js";

const NOW = new Date("2026-11-28T10:00:00Z");
let serial = 0;
const unique = (name: string) => `${name}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;

/** An administrator with these roles who asks (or not) for notification e-mails. */
async function administrator(
  tdb: TestDatabase,
  input: {
    email?: string;
    notify?: boolean;
    owner?: boolean;
    grants?: Array<{ spaceId: string; role: "manage" | "read" }>;
  },
) {
  return createAdministrator(tdb.store.db, {
    login: unique("admin"),
    password: "a long enough password",
    isOwner: input.owner ?? false,
    grants: input.grants ?? [],
    ...(input.email ? { email: input.email } : {}),
    notifyByEmail: input.notify ?? false,
    now: NOW,
  });
}

function depsWithEmail(tdb: TestDatabase, smtpUrl: string, to: string[]): SyncDeps {
  const db = tdb.store.db;
  return makeSyncDeps({
    db,
    keys: tdb.store.keys,
    appleBaseUrl: "http://127.0.0.1:9/mdm/v2",
    mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
    now: () => NOW,
    // One channel per language, as from-config.ts builds them.
    channels: LANGUAGES.map((language) =>
      emailChannel({
        smtpUrl,
        from: "orchard@example.org",
        to,
        administrators: (spaceId) => notificationRecipientsOfSpace(db, spaceId),
        consoleUrl: "https://orchard.example.org/",
        language,
      }),
    ),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** A message as its reader sees it: quoted-printable's soft line breaks and escaped bytes (UTF-8) undone. */
const decoded = (message: string) => {
  const text = message.replace(/=\r\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "=" ? text.slice(i + 1, i + 3) : "";
    if (/^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i] ?? "", "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
};

const revoked = (spaceId: string) => ({
  spaceId,
  kind: "token_revoked",
  severity: "alert" as const,
  component: "Apps and Books",
  message: notificationMessage("token.issue", { issue: "revoked", account: "Main" }),
  accountId: unique("acc"),
  now: NOW,
});

describeEachDatabase("notification e-mails to administrators", (current) => {
  it("NT3: a space's notifications reach its administrators who ask (owners: every space), enabled ones only", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const north = await createSpace(db, { name: unique("North") });
    const south = await createSpace(db, { name: unique("South") });
    const mail = (who: string) => `${who}-${north.id.slice(0, 8)}@example.org`;
    const owner = await administrator(tdb, { owner: true, email: mail("owner"), notify: true });
    await administrator(tdb, {
      email: mail("reader"),
      notify: true,
      grants: [{ spaceId: north.id, role: "read" }],
    });
    await administrator(tdb, {
      email: mail("south"),
      notify: true,
      grants: [{ spaceId: south.id, role: "manage" }],
    });
    await administrator(tdb, { email: mail("quiet"), grants: [{ spaceId: north.id, role: "manage" }] });
    const gone = await administrator(tdb, {
      email: mail("gone"),
      notify: true,
      grants: [{ spaceId: north.id, role: "manage" }],
    });
    await setAdminDisabled(db, gone.id, NOW);

    const ofNorth = (await notificationEmailsOfSpace(db, north.id)).filter((e) =>
      e.endsWith(mail("").slice(1)),
    );
    expect(ofNorth.sort()).toEqual([mail("owner"), mail("reader")].sort());
    const ofSouth = (await notificationEmailsOfSpace(db, south.id)).filter((e) =>
      e.endsWith(mail("").slice(1)),
    );
    expect(ofSouth.sort()).toEqual([mail("owner"), mail("south")].sort());
    // The owner would get every other test's e-mails too.
    await setNotificationEmail(db, owner.id, { notifyByEmail: false });
    expect(await notificationEmailsOfSpace(db, south.id)).not.toContain(mail("owner"));
  });

  it("NT3: asking for the e-mails needs an address; removing the address stops them", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const bare = await administrator(tdb, {});
    expect(await setNotificationEmail(db, bare.id, { notifyByEmail: true })).toBe("email_needed");
    const set = await setNotificationEmail(db, bare.id, { email: "bare@example.org", notifyByEmail: true });
    expect(set).toMatchObject({ email: "bare@example.org", notifyByEmail: true });
    const removed = await setNotificationEmail(db, bare.id, { email: null });
    expect(removed).toMatchObject({ notifyByEmail: false });
    expect(removed).not.toHaveProperty("email");
    expect(await setNotificationEmail(db, "no-such-admin", { email: "x@example.org" })).toBe("not_found");
    await expect(
      createAdministrator(db, { login: unique("nobody"), isOwner: false, notifyByEmail: true, now: NOW }),
    ).rejects.toMatchObject({ code: "email_needed" });
  });

  it("NT3: without NOTIFY_EMAIL_TO, an e-mail is queued only while an administrator of the space asks, and goes to them in blind copy", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const sink = await smtpSink();
    try {
      const deps = depsWithEmail(tdb, sink.url, []);
      const space = await createSpace(db, { name: unique("Campus") });
      // Nobody asks: nothing is queued for e-mail (no failed delivery to explain away).
      const first = await raise(deps, revoked(space.id));
      if (!first) throw new Error("not raised");
      expect(await listNotificationDeliveries(db, space.id, first.id)).toEqual([]);
      expect(sink.messages).toHaveLength(0);

      const asks = await administrator(tdb, {
        email: `asks-${space.id.slice(0, 8)}@example.org`,
        notify: true,
        grants: [{ spaceId: space.id, role: "read" }],
      });
      const second = await raise(deps, revoked(space.id));
      if (!second) throw new Error("not raised");
      const [delivery] = await listNotificationDeliveries(db, space.id, second.id);
      expect(delivery).toMatchObject({ channel: "email", state: "delivered" });
      const i = sink.messages.findIndex((m) => m.includes(`<notification-${second.id}@orchard>`));
      expect(i).toBeGreaterThanOrEqual(0);
      expect(sink.envelopes[i]).toContain(asks.email);
      // Blind copy: no administrator's address in the headers others read; still a To: header.
      expect(sink.messages[i]).not.toContain(asks.email);
      expect(sink.messages[i]).toMatch(/^To: "?undisclosed-recipients"?:;/m);

      // They stop asking between the raise and the send: the delivery goes, nothing fails.
      const third = await raiseNotification(db, revoked(space.id), deliveryChannels(deps));
      if (!third) throw new Error("not raised");
      expect(await listNotificationDeliveries(db, space.id, third.id)).toMatchObject([{ state: "pending" }]);
      await setNotificationEmail(db, asks.id, { notifyByEmail: false });
      await deliverNotifications(deps);
      expect(await listNotificationDeliveries(db, space.id, third.id)).toEqual([]);
      expect(sink.messages.some((m) => m.includes(`<notification-${third.id}@orchard>`))).toBe(false);
    } finally {
      await sink.close();
    }
  });

  it("NT3: with NOTIFY_EMAIL_TO, the list and the space's administrators who ask get one e-mail, each address once", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const sink = await smtpSink();
    try {
      const space = await createSpace(db, { name: unique("Lab") });
      const ops = `ops-${space.id.slice(0, 8)}@example.org`;
      const deps = depsWithEmail(tdb, sink.url, [ops]);
      const asks = await administrator(tdb, {
        email: `lab-${space.id.slice(0, 8)}@example.org`,
        notify: true,
        grants: [{ spaceId: space.id, role: "manage" }],
      });
      // Also on the fixed list (in another case): not sent to twice.
      await administrator(tdb, {
        email: ops.toUpperCase(),
        notify: true,
        grants: [{ spaceId: space.id, role: "read" }],
      });
      const raised = await raise(deps, revoked(space.id));
      if (!raised) throw new Error("not raised");
      await deliverNotifications(deps);
      const i = sink.messages.findIndex((m) => m.includes(`<notification-${raised.id}@orchard>`));
      expect(i).toBeGreaterThanOrEqual(0);
      const message = decoded(sink.messages[i] ?? "");
      expect(message).toContain(`To: ${ops}`);
      const envelope = sink.envelopes[i] ?? [];
      expect(envelope.filter((r) => r === ops)).toHaveLength(1);
      expect(envelope).toContain(asks.email);
      // The e-mail reads as the console: the space by name, what to do, a link to its notifications.
      expect(message).toContain(`Space: ${space.name} (${space.id})`);
      expect(message).toContain("What to do:");
      expect(message).toContain(
        `https://orchard.example.org/s/${space.id}/notifications?notification=${raised.id}`,
      );
    } finally {
      await sink.close();
    }
  });

  it("NT3: each administrator reads the e-mail in their language: one e-mail per language, the French one in the console's words", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const sink = await smtpSink();
    try {
      const space = await createSpace(db, { name: unique("Bordeaux") });
      const ops = `ops-${space.id.slice(0, 8)}@example.org`;
      const deps = depsWithEmail(tdb, sink.url, [ops]);
      const grants = [{ spaceId: space.id, role: "manage" as const }];
      const english = await administrator(tdb, {
        email: `en-${space.id.slice(0, 8)}@example.org`,
        notify: true,
        grants,
      });
      const french = await administrator(tdb, {
        email: `fr-${space.id.slice(0, 8)}@example.org`,
        notify: true,
        grants,
      });
      await setAdminLanguage(db, french.id, "fr");
      expect(await notificationRecipientsOfSpace(db, space.id)).toEqual(
        expect.arrayContaining([
          { email: english.email, language: "en" },
          { email: french.email, language: "fr" },
        ]),
      );
      const raised = await raise(deps, revoked(space.id));
      if (!raised) throw new Error("not raised");
      const of = (id: string) => sink.messages.findIndex((m) => m.includes(id));
      const en = of(`<notification-${raised.id}@orchard>`);
      const fr = of(`<notification-${raised.id}.fr@orchard>`);
      expect(en).toBeGreaterThanOrEqual(0);
      expect(fr).toBeGreaterThanOrEqual(0);
      expect(sink.envelopes[en]?.sort()).toEqual([ops, english.email].sort());
      expect(sink.envelopes[fr]).toEqual([french.email]);
      const message = decoded(sink.messages[fr] ?? "");
      expect(message).toContain(`Espace\u00a0: ${space.name} (${space.id})`);
      expect(message).toContain("Jeton révoqué\u00a0: Main");
      expect(message).toContain("À faire\u00a0:");
      expect(decoded(sink.messages[en] ?? "")).toContain("What to do:");
      // Each language is a delivery of its own.
      expect(
        (await listNotificationDeliveries(db, space.id, raised.id)).map((d) => [d.channel, d.state]).sort(),
      ).toEqual([
        ["email", "delivered"],
        ["email-fr", "delivered"],
      ]);
    } finally {
      await sink.close();
    }
  });

  it("NT3: a language's e-mail refused fails alone: the other, sent, is not sent again", async () => {
    const tdb = current();
    const db = tdb.store.db;
    const space = await createSpace(db, { name: unique("Lyon") });
    const refused = `refused-${space.id.slice(0, 8)}@example.org`;
    const sink = await smtpSink({ refuse: (a) => (a === refused ? "550 5.1.1 no such user" : undefined) });
    try {
      const deps = depsWithEmail(tdb, sink.url, []);
      const grants = [{ spaceId: space.id, role: "read" as const }];
      const english = await administrator(tdb, {
        email: `en-${space.id.slice(0, 8)}@example.org`,
        notify: true,
        grants,
      });
      const french = await administrator(tdb, { email: refused, notify: true, grants });
      await setAdminLanguage(db, french.id, "fr");
      const raised = await raise(deps, revoked(space.id));
      if (!raised) throw new Error("not raised");
      await deliverNotifications(deps);
      const states = Object.fromEntries(
        (await listNotificationDeliveries(db, space.id, raised.id)).map((d) => [d.channel, d.state]),
      );
      expect(states).toEqual({ email: "delivered", "email-fr": "failed" });
      const sent = sink.messages.filter((m) => m.includes(`<notification-${raised.id}@orchard>`));
      expect(sent).toHaveLength(1);
      expect(sink.envelopes[sink.messages.indexOf(sent[0] ?? "")]).toEqual([english.email]);
    } finally {
      await sink.close();
    }
  });
});

describe("notification e-mail text", () => {
  const n: Notification = {
    id: "n1",
    spaceId: "space-1",
    kind: "usage",
    severity: "warning",
    component: "Apps and Books",
    title: "License usage of Pages (Main) reached 90%",
    details: { remedy: "Buy more licenses", used: 90, total: 100 },
    accountId: "acc-1",
    adamId: "361309726",
    raisedAt: NOW,
  };

  it("NT3: names the space, account and app by name with their ids, the remedy first, the details after", () => {
    const { subject, text } = notificationEmail(
      n,
      { spaceName: "North campus", accountName: "Main", appName: "Pages" },
      "https://orchard.example.org/base",
    );
    expect(subject).toBe("[Orchard] warning: License usage of Pages (Main) reached 90%");
    const lines = text.split("\n");
    expect(lines[0]).toBe(n.title);
    expect(lines[2]).toBe("What to do: Buy more licenses");
    expect(lines).toContain("Space: North campus (space-1)");
    expect(lines).toContain("Account: Main (acc-1)");
    expect(lines).toContain("App: Pages (361309726)");
    expect(lines).toContain("used: 90");
    expect(lines).toContain("Raised: 2026-11-28 10:00 UTC");
    expect(lines.filter((l) => l.startsWith("remedy"))).toEqual([]);
    expect(lines.at(-1)).toBe(
      "In Orchard: https://orchard.example.org/base/s/space-1/notifications?notification=n1",
    );
  });

  it("NT3: in French, the title, remedy, severity, type and labels are the console's (numbers in French)", () => {
    const usage: Notification = {
      ...n,
      kind: "license_usage",
      messageKey: "usage.reached",
      messageParams: { app: "Pages", account: "Principal", percent: 1000 },
    };
    const { subject, text } = notificationEmail(usage, { spaceName: "Nord" }, "https://o.example.org", "fr");
    expect(subject).toBe(
      "[Orchard] Avertissement\u00a0: Utilisation des licences de Pages (Principal)\u00a0: 1\u202f000\u00a0% atteints",
    );
    const lines = text.split("\n");
    expect(lines).toContain("Espace\u00a0: Nord (space-1)");
    expect(lines).toContain("Gravité\u00a0: Avertissement");
    expect(lines).toContain("Déclenchée le\u00a0: 2026-11-28 10:00 UTC");
    expect(lines).toContain("Type\u00a0: Utilisation des licences (Apps et livres)");
    expect(lines.at(-1)).toBe(
      "Dans Orchard\u00a0: https://o.example.org/s/space-1/notifications?notification=n1",
    );
  });

  it("NT3: without names (or a console address) it names the ids and links nowhere", () => {
    const { text } = notificationEmail(n, undefined);
    expect(text).toContain("Space: space-1");
    expect(text).toContain("App: 361309726");
    expect(text).not.toContain("In Orchard:");
  });
});
