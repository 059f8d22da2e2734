import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import {
  createDevices,
  requestLicenses,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "2000001";
const SYSTEM = { kind: "system" as const, id: "cli-test" };

/** `orchard explain`, `what-if`, `licenses` and `export activity` on a space with two accounts and live licenses. */
describe("orchard explain, what-if, licenses, export", () => {
  let cli: CliHarness;
  const account = { first: "", second: "" };
  beforeAll(async () => {
    cli = await startCli();
    const a = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "First" });
    const b = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Second" });
    // One license in the first account: the second device's falls through to the second (MA2).
    cli.sim.operator.addAsset(a.uId, { adamId: APP, totalCount: 1, supportedPlatforms: ["iOS"] });
    cli.sim.operator.addAsset(b.uId, { adamId: APP, totalCount: 5, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      const spaceId = await ensureDefaultSpace({ store });
      const add = (sTokenFile: string, name: string) =>
        deps.accounts.add({
          spaceId,
          name,
          sTokenFile,
          autoDistribute: true,
          clearPrevious: false,
          takeOver: false,
          actor: SYSTEM,
        });
      account.first = (await add(a.sToken, "First")).account.id;
      account.second = (await add(b.sToken, "Second")).account.id;
      await setCatalogApp(deps.db, { spaceId, adamId: APP, name: "Keynote" }, deps.now());
      const devices = await createDevices(
        deps.db,
        ["SER-1", "SER-2", "SER-3"].map((serialNumber) => ({
          spaceId,
          serialNumber,
          platform: "iOS" as const,
        })),
      );
      for (const d of devices.slice(0, 2)) {
        await deps.licenses.request(deps.db, {
          spaceId,
          adamId: APP,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
          actor: SYSTEM,
          now: deps.now(),
        });
      }
    });
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("MA1, MA2: licenses lists each license with its account and rule ids; filters narrow it", async () => {
    const all = await cli.json<{
      total: number;
      items: Array<{ serialNumber: string; accountName: string; type: string; ruleIds: string[] }>;
    }>(["licenses", "--app", APP, "--json"]);
    expect(all.total).toBe(2);
    const bySerial = Object.fromEntries(all.items.map((l) => [l.serialNumber, l]));
    expect(bySerial["SER-1"]).toMatchObject({ accountName: "First", type: "device" });
    expect(bySerial["SER-2"]).toMatchObject({ accountName: "Second", type: "device" });
    expect(bySerial["SER-2"]?.ruleIds).toContain("MA2");

    const table = await cli.run(["licenses", "--account", account.second, "--type", "device"]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+APP\s+TYPE\s+SUBJECT\s+STATE\s+ACCOUNT\s+RULES\s+CREATED$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/\(2000001\)\s+device\s+device SER-2\s+\S+\s+Second\s+\S*MA2/);
  });

  it("explain: the decision and every rule id with its sentence (MA1, MA2); unknown app or device is exit 3", async () => {
    const human = await cli.run(["explain", "--app", APP, "--serial", "SER-3", "--why", "mandatory"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`GRANT: Keynote (${APP}) for device SER-3 (mandatory)`);
    expect(lines[1]).toBe('A device-based license would be granted from account "Second".');
    expect(lines).toContain(
      "  MA2  An account is used only if the subject is eligible there; when it has no free license, the next eligible account is used.",
    );
    // MA1, MA2: the accounts in priority order, the one the license comes from starred.
    const table = lines.slice(lines.indexOf("") + 1);
    expect(table[0]).toMatch(/^#\s+ACCOUNT\s+ELIGIBLE\s+FREE\s+RULES\s+FOUND$/);
    expect(table[1]).toMatch(/^1\s+First\s+/);
    expect(table[2]).toMatch(/^2\s+Second \*\s+yes\s+\d+ of \d+\s+/);

    const kept = await cli.json<{
      outcome: string;
      summary: string;
      rules: Array<{ id: string; sentence: string }>;
      decision: { because: string[] };
    }>(["explain", "--app", APP, "--serial", "SER-1", "--why", "check_in", "--json"]);
    expect(kept.outcome).toBe("keep");
    expect(kept.summary).toContain('account "First"');
    expect(kept.rules.map((r) => r.id)).toEqual([...new Set(kept.decision.because)]);
    for (const r of kept.rules) expect(r.sentence.length).toBeGreaterThan(10);

    expectFailure(
      await cli.run(["explain", "--app", "999", "--serial", "SER-1"]),
      3,
      /^orchard: app 999 not found: it is not in this space's catalog and no account bought it\n$/,
    );
    // The second is refused before the database opens: it may run beside the first.
    const [serial, noSubject] = await Promise.all([
      cli.run(["explain", "--app", APP, "--serial", "NOPE"]),
      cli.run(["explain", "--app", APP]),
    ]);
    expectFailure(serial, 3, /device with serial number NOPE not found/);
    expectFailure(noSubject, 2, /give exactly one of --user, --device and --serial/);
  });

  it("what-if AC5: removing the first account's token loses its license; MA3: a new order keeps every license", async () => {
    const removed = await cli.json<{
      totals: { lose: number; keep: number };
      apps: Array<{ adamId: string; lose: Array<{ subject: { kind: string }; because: string[] }> }>;
      rules: Array<{ id: string }>;
    }>(["what-if", "--remove-account", account.first, "--json"]);
    expect(removed.totals).toMatchObject({ lose: 1, keep: 1 });
    expect(removed.apps[0]?.lose[0]?.subject.kind).toBe("device");
    expect(removed.rules.map((r) => r.id)).toContain("AC5");
    // Names, not ids: the app's name, the device's serial, and where it stands today.
    const human = await cli.run(["what-if", "--remove-account", account.first]);
    expect(human.stdout).toMatch(
      /\nAPP\s+CHANGE\s+SUBJECT\s+TODAY\s+RULES\s+WHY\n.*\(\d+\)\s+lose\s+device SER-\d\s+keep\s+AC5/,
    );

    const order = await cli.run(["what-if", "--priority", `${account.second},${account.first}`]);
    expect(order.code).toBe(0);
    expect(order.stdout).toMatch(
      /^0 would gain, 0 would lose, 0 would wait, 0 refused, 0 would move, 2 keep\n/,
    );
    expect(order.stdout).toMatch(
      /\nMA3 {2}Changing account priorities never revokes or moves an existing license\.\n/,
    );

    const rules = await cli.file(
      "rules.json",
      JSON.stringify({ accountId: account.first, adamId: APP, reservedUserIds: "u1" }),
    );
    const [bad, none, unknown] = await Promise.all([
      cli.run(["what-if", "--rules", rules]),
      cli.run(["what-if"]),
      cli.run(["what-if", "--rules", "/nowhere/rules.json"]),
    ]);
    expectFailure(bad, 2, /rules\.json: reservedUserIds: .*array/);
    expectFailure(none, 2, /give at least one of --priority, --remove-account and --rules/);
    expectFailure(unknown, 2, /cannot read the rules file \/nowhere\/rules\.json: no such file/);
    expectFailure(await cli.run(["what-if", "--remove-account", "nope"]), 3, /account nope not found/);
    // DI1: a rules file names its account by id or by name, as --priority does.
    const byName = await cli.file("by-name.json", JSON.stringify({ accountId: "first", adamId: APP }));
    const named = await cli.run(["what-if", "--rules", byName, "--json"]);
    expect(named.code, named.stderr).toBe(0);
    const noSuch = await cli.file("no-such.json", JSON.stringify({ accountId: "Nowhere", adamId: APP }));
    expectFailure(await cli.run(["what-if", "--rules", noSuch]), 3, /account Nowhere not found/);
  });

  it("MA2: explain --lang fr prints the whole explanation in French, the summary, every rule sentence and the accounts' table; --json too", async () => {
    const fr = JSON.parse(await readFile(new URL("../../web/src/i18n/fr.json", import.meta.url), "utf8")) as {
      ruleText: Record<string, string>;
    };
    const human = await cli.run([
      "explain",
      "--app",
      APP,
      "--serial",
      "SER-3",
      "--why",
      "mandatory",
      "--lang",
      "fr",
    ]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    const lines = human.stdout.trimEnd().split("\n");
    // The frame too: the outcome, the reason, the accounts' table (French typography).
    expect(lines[0]).toBe(`ATTRIBUÉE\u00a0: Keynote (${APP}) pour l'appareil SER-3 (obligatoire)`);
    expect(lines[1]).toBe("Une licence par appareil serait attribuée depuis le compte «\u00a0Second\u00a0».");
    expect(lines).toContain(`  MA2  ${fr.ruleText.MA2}`);
    const table = lines.slice(lines.indexOf("") + 1);
    expect(table[0]).toMatch(/^#\s+COMPTE\s+ÉLIGIBLE\s+LIBRES\s+RÈGLES\s+CONSTAT$/);
    expect(table[2]).toMatch(/^2\s+Second \*\s+oui\s+\d+ sur \d+\s+/);

    const kept = await cli.json<{ summary: string; rules: Array<{ id: string; sentence: string }> }>([
      "explain",
      "--app",
      APP,
      "--serial",
      "SER-1",
      "--why",
      "check_in",
      "--json",
      "--lang",
      "fr",
    ]);
    expect(kept.summary).toBe(
      "Le sujet détient déjà une licence par appareil du compte «\u00a0First\u00a0» et la conserve.",
    );
    for (const r of kept.rules) expect(r.sentence).toBe(fr.ruleText[r.id]);
  });

  it("AC5, MA3: what-if --lang fr prints French; without --lang, LC_ALL / LANG decide, else English", async () => {
    const removed = await cli.run(["what-if", "--remove-account", account.first, "--lang", "fr"]);
    expect(removed).toMatchObject({ code: 0, stderr: "" });
    // The totals, the headers and each row's words too, not only the reasons and the rules.
    expect(removed.stdout).toMatch(/^0 gagneraient, 1 perdraient, .*, 1 gardent leur licence\n/);
    expect(removed.stdout).toMatch(/\nAPP\s+CHANGEMENT\s+SUJET\s+AUJOURD'HUI\s+RÈGLES\s+POURQUOI\n/);
    expect(removed.stdout).toMatch(
      /perd sa licence\s+appareil \S+\s+conservée\s+\S+\s+Perd sa licence\. Ensuite\u00a0: Une licence par appareil/,
    );
    expect(removed.stdout).not.toMatch(/would|\blose\b|\bdevice\b/);
    expect(removed.stdout).toMatch(/\nAC5 {2}La suppression d'un compte est irréversible/);

    const order = ["what-if", "--priority", `${account.second},${account.first}`];
    const french = /\nMA3 {2}Changer les priorités ne révoque ni ne déplace aucune licence existante/;
    const english = /\nMA3 {2}Changing account priorities never revokes or moves an existing license\.\n/;
    try {
      cli.env.LANG = "fr_FR.UTF-8";
      expect((await cli.run(order)).stdout).toMatch(french);
      expect((await cli.run([...order, "--lang", "en"])).stdout).toMatch(english);
      cli.env.LC_ALL = "C";
      expect((await cli.run(order)).stdout).toMatch(english);
    } finally {
      delete cli.env.LANG;
      delete cli.env.LC_ALL;
    }
  });

  it("--lang accepts en and fr only: anything else is one line and exit 2, before the database opens", async () => {
    const [explain, whatIf] = await Promise.all([
      cli.run(["explain", "--app", APP, "--serial", "SER-1", "--lang", "xx"]),
      cli.run(["what-if", "--remove-account", account.first, "--lang", "fr_FR"]),
    ]);
    expectFailure(
      explain,
      2,
      /^orchard: option '--lang <language>' argument 'xx' is invalid\. Allowed choices are en, fr\. \(see 'orchard explain --help'\)\n$/,
    );
    expectFailure(whatIf, 2, /argument 'fr_FR' is invalid\. Allowed choices are en, fr\./);
  });

  it("export activity streams the log as CSV to a file and as JSON to stdout; --since filters", async () => {
    const file = `${cli.dataDir}/activity.csv`;
    const written = await cli.json<{ format: string; rows: number }>([
      "export",
      "activity",
      "--output",
      file,
      "--json",
    ]);
    expect(written).toMatchObject({ format: "csv" });
    const csv = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(csv[0]).toBe(
      "seq,at,actor_kind,actor_id,action,user_id,device_id,adam_id,account_id,license_id,rule_ids,message," +
        "device_serial_number,user_name,app_name,account_name,actor_name,details",
    );
    expect(csv).toHaveLength(written.rows + 1);
    expect(csv.some((line) => line.includes(",account.added,") && line.includes(",AC1,"))).toBe(true);
    // Names beside the ids: a license line names its device and account, an audit reads it as is.
    expect(csv.some((line) => /,license\.granted,.*,SER-\d,,[^,]*,(First|Second),,$/.test(line))).toBe(true);

    const entries = await cli.json<
      Array<{ seq: number; action: string; ruleIds: string[]; accountName?: string }>
    >(["export", "activity", "--format", "json"]);
    expect(entries).toHaveLength(written.rows);
    expect(entries.find((e) => e.action === "account.added")?.accountName).toMatch(/^(First|Second)$/);
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((x, y) => y - x));

    const [future, badDate] = await Promise.all([
      cli.run(["export", "activity", "--json", "--since", "2999-01-01"]),
      cli.run(["export", "activity", "--since", "last week"]),
    ]);
    expect(future).toMatchObject({ code: 0, stdout: "[]\n" });
    expectFailure(badDate, 2, /--since: "last week" is not an ISO 8601 date/);
  });

  it("DB2: without --why, explain tells a waiting device its wait and its place, from the reason it waits with; --why still wins", async () => {
    const WAITED = "2000002";
    await cli.withCore(async ({ store, deps }) => {
      const spaceId = await ensureDefaultSpace({ store });
      const now = deps.now();
      await upsertAsset(
        deps.db,
        {
          spaceId,
          accountId: account.first,
          adamId: WAITED,
          name: "Pages",
          pricingParam: "STDQ",
          productType: "App",
          total: 1,
          used: 0,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        now,
      );
      await setCatalogApp(deps.db, { spaceId, adamId: WAITED, name: "Pages", installOnDevice: true }, now);
      await setAppRules(
        deps.db,
        {
          spaceId,
          accountId: account.first,
          adamId: WAITED,
          fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
          reservedUserIds: [],
          reservedDeviceIds: [],
          prohibitedUserIds: [],
        },
        { kind: "admin" },
        now,
      );
      const devices = await createDevices(
        deps.db,
        ["WAIT-1", "WAIT-2"].map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const })),
      );
      // The one seat goes to the first; the second waits, asked at check-in.
      for (const [i, d] of devices.entries())
        await requestLicenses(deps.db, {
          spaceId,
          adamId: WAITED,
          requests: [
            { spaceId, adamId: WAITED, subject: { kind: "device", deviceId: d.id }, why: "check_in" },
          ],
          actor: { kind: "mdm" },
          now: new Date(now.getTime() + i * 60_000),
        });
    });
    const human = await cli.run(["explain", "--app", WAITED, "--serial", "WAIT-2"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    const lines = human.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`WAIT: Pages (${WAITED}) for device WAIT-2 (check_in: the request it waits with)`);
    expect(lines[2]).toMatch(/^In the queue: 1 of 1, waiting since /);

    const waits = await cli.json<{
      outcome: string;
      why: string;
      whyFrom: string;
      queue?: { position: number };
    }>(["explain", "--app", WAITED, "--serial", "WAIT-2", "--json"]);
    expect(waits).toMatchObject({
      outcome: "wait",
      why: "check_in",
      whyFrom: "queue",
      queue: { position: 1 },
    });
    // The holder: its keep, with the reason its license was granted for.
    const kept = await cli.run(["explain", "--app", WAITED, "--serial", "WAIT-1"]);
    expect(kept.stdout.split("\n")[0]).toBe(
      `KEEP: Pages (${WAITED}) for device WAIT-1 (check_in: the license it holds)`,
    );
    // --why still wins: a request without a user is not the wait.
    const asked = await cli.json<{ outcome: string; why: string; whyFrom: string; queue?: unknown }>([
      "explain",
      "--app",
      WAITED,
      "--serial",
      "WAIT-2",
      "--why",
      "requested",
      "--json",
    ]);
    expect(asked).toMatchObject({ why: "requested", whyFrom: "asked" });
    expect(asked.outcome).not.toBe("wait");
    expect(asked.queue).toBeUndefined();
    const idle = await cli.run(["explain", "--app", WAITED, "--serial", "SER-3"]);
    expect(idle.stdout.split("\n")[0]).toMatch(
      /^\w+: Pages \(2000002\) for device SER-3 \(requested: by default, it neither waits nor holds a license\)$/,
    );
  }, 300_000);
});
