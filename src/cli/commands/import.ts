import { type Command, Option } from "commander";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { readUserFile } from "../files.js";
import { withExamples } from "../help.js";
import { IMPORT_KINDS, type ImportKind, parseImport } from "../import-rows.js";
import { checkImport, writeImport } from "../import-write.js";
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
        ),
    ),
    [
      "orchard import users.csv --kind users        # columns: id,name,email,managedAppleId,externalId",
      "orchard import devices.csv --kind devices    # columns: serial,platform,sharedIpad,supervised,userId",
      'orchard import groups.json --kind groups     # [{"name": "Teachers", "members": ["u1", "u2"]}]',
    ],
  ).action(async (file: string, flags: CommonFlags & { kind: ImportKind }) => {
    const rows = parseImport(flags.kind, await readUserFile(file, "import file"));
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      await checkImport(core.deps.db, spaceId, flags.kind, rows);
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
      if (json) return printJson({ kind: flags.kind, imported: ids.length, ids });
      printLine(`${ids.length} ${flags.kind} imported into space ${spaceId}`);
    });
  });
}
