import { CompiledQuery, type KyselyPlugin, type RootOperationNode, sql } from "kysely";
import { expect, it } from "vitest";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "./databases.js";

/**
 * The polled list reads each command's target (device, license, app) in its own statement,
 * and still walks the space's pending commands by their index (0017): the joins are made on
 * the page only, by key, never over the space's devices, licenses or assets.
 */
describeEachDatabase("MDM commands' targets, read with the list", (database) => {
  it("LT2: the ready list of a space with a big backlog stays on a pending-commands index in order and reads devices, licenses and assets by key", async () => {
    const { db } = database().store;
    for (const space of ["s", "other"]) {
      await sql`insert into spaces (id, name) values (${space}, ${space})`.execute(db);
      await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
        select ${space}, 'a' || i, 'Account ' || i, 'x', i from generate_series(1, 2) i`.execute(db);
      await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
          device_assignable)
        select ${space}, 'a' || a, (500000000 + i)::text, 'STDQ', 'App', 100000, true
        from generate_series(1, 200) i, generate_series(1, 2) a`.execute(db);
      await sql`insert into devices (space_id, id, serial_number, platform)
        select ${space}, 'd' || i, 'SER' || i, 'iOS' from generate_series(1, 5000) i`.execute(db);
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state)
        select ${space}, 'l' || i, 'a1', (500000001 + i % 200)::text, 'device', 'd' || i, 'assigned'
        from generate_series(1, 5000) i`.execute(db);
    }
    // This space: a long delivered history and a backlog of pending installs; the other, a backlog too.
    const commands = (space: string, state: string) =>
      sql`insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, license_id, state)
        select ${space}, ${space} || '-' || ${state} || '-' || i, 'install', 'd' || i, 'SER' || i,
          (500000001 + i % 200)::text, 'l' || i, ${state}
        from generate_series(1, 5000) as i`.execute(db);
    await commands("s", "delivered");
    await commands("s", "pending");
    await commands("other", "pending");
    for (const table of ["mdm_commands", "devices", "licenses", "assets"])
      await sql`analyze ${sql.table(table)}`.execute(db);

    const seen: RootOperationNode[] = [];
    const recording: KyselyPlugin = {
      transformQuery: ({ node }) => {
        seen.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const listed = await listMdmCommands(db.withPlugin(recording), "s", { ready: true, limit: 201 });
    expect(listed).toHaveLength(201);
    expect(listed[0]?.target).toEqual({ platform: "iOS", productType: "App", licenseType: "device" });
    // One statement: the page's query, inside the one that joins the targets (no query per command).
    const statements = seen.filter((n) => n.kind === "RawNode");
    expect(statements).toHaveLength(1);
    const [node] = statements;
    if (!node) throw new Error("no statement");
    const statement = db.getExecutor().compileQuery(node, { queryId: "plan" });
    const { rows } = await db.executeQuery<{ "QUERY PLAN": string }>(
      CompiledQuery.raw(`explain ${statement.sql}`, [...statement.parameters]),
    );
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    // In delivery order, until the page is full: no sort of the space's pending commands.
    expect(plan).toMatch(/Index Scan using mdm_commands_(pending|deliverable) on mdm_commands/);
    expect(plan).not.toMatch(/Sort Key: mdm_commands\.seq/);
    expect(plan).not.toMatch(
      /Seq Scan on (mdm_commands|devices|assets|licenses)|Bitmap Heap Scan on mdm_commands|hashed SubPlan/,
    );
    expect(plan).toMatch(/Index Scan using devices_pkey on devices d/);
    expect(plan).toMatch(/Index Scan using licenses_pkey on licenses l\b/);
    expect(plan).toMatch(/Index Scan on assets_by_app|Index Scan using assets_by_app/);
  });
});
