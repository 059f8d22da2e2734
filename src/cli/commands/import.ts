import { type Command, Option } from "commander";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { readUserFile } from "../files.js";
import { withExamples } from "../help.js";
import { IMPORT_KINDS, type ImportKind, parseImport } from "../import-rows.js";
import { checkImport, splitExisting, writeImport } from "../import-write.js";
import { printJson, printLine } from "../output.js";
import { startProgress } from "../progress.js";

/** `orchard import`: users, devices or groups from a CSV (header row) or JSON array; all or nothing. */
export function registerImport(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("import")
        .argument("<file>", "a CSV file with a header row, or a JSON array of objects (UTF-8)")
        .description(
          "import users, devices or groups from CSV (with a header row) or a JSON array, all or nothing",
        )
        .addOption(
          new Option("--kind <kind>", "what the file holds").choices(IMPORT_KINDS).makeOptionMandatory(),
        )
        .addOption(
          new Option(
            "--existing <what>",
            "a row whose user, device or group the space has already: refuse the file, or keep that one as it is and import the rest",
          )
            .choices(["refuse", "keep"])
            .default("refuse"),
        ),
    ),
    [
      "orchard import users.csv --kind users        # columns: id,name,email,managedAppleId,externalId",
      "orchard import devices.csv --kind devices    # columns: serial,platform,sharedIpad,supervised,userId",
      'orchard import groups.json --kind groups     # [{"name": "Teachers", "members": ["u1", "u2"]}]',
      "orchard import users.csv --kind users --existing keep   # again tomorrow: only the new ones",
    ],
  ).action(async (file: string, flags: CommonFlags & { kind: ImportKind; existing: "refuse" | "keep" }) => {
    const all = parseImport(flags.kind, await readUserFile(file, "import file"));
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { write: rows, kept } =
        flags.existing === "keep"
          ? await splitExisting(core.deps.db, spaceId, flags.kind, all)
          : { write: all, kept: [] };
      await checkImport(core.deps.db, spaceId, flags.kind, all, rows);
      const progress = startProgress(`importing ${flags.kind}`, rows.length);
      let ids: string[];
      try {
        ids = await writeImport(
          core.deps.db,
          { spaceId, actor, now: new Date() },
          flags.kind,
          rows,
          progress.update,
        );
      } finally {
        progress.stop();
      }
      if (json) {
        return printJson({
          kind: flags.kind,
          imported: ids.length,
          ids,
          ...(flags.existing === "keep" ? { kept: kept.length, keptIds: kept.map((k) => k.id) } : {}),
        });
      }
      printLine(
        `${ids.length} ${flags.kind} imported into space ${spaceId}${flags.existing === "keep" ? `; ${kept.length} kept as they are (the space has them already)` : ""}`,
      );
    });
  });
}
