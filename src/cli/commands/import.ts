import { type Command, Option } from "commander";
import { getSpace } from "../../store/space.repo.js";
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
            "a row whose user, device or group the space has already: refuse the file, keep that one as it is and import the rest, or update it from the row (its columns only; an empty cell clears)",
          )
            .choices(EXISTING)
            .default("refuse"),
        ),
    ),
    [
      "orchard import users.csv --kind users        # columns: id,name,email,managedAppleId,externalId",
      "orchard import devices.csv --kind devices    # columns: serial,platform,sharedIpad,supervised,userId,name,model,osVersion",
      'orchard import groups.json --kind groups     # [{"name": "Teachers", "members": ["u1", "u2"]}]',
      "orchard import users.csv --kind users --existing keep   # again tomorrow: only the new ones",
      "orchard import users.csv --kind users --existing update # again tomorrow: the new ones, and the changes",
    ],
  ).action(async (file: string, flags: CommonFlags & { kind: ImportKind; existing: Existing }) => {
    const all = parseImport(flags.kind, await readUserFile(file, "import file"));
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { write: rows, kept } =
        flags.existing === "refuse"
          ? { write: all, kept: [] }
          : await splitExisting(core.deps.db, spaceId, flags.kind, all);
      const update = flags.existing === "update" ? kept : [];
      await checkImport(core.deps.db, spaceId, flags.kind, all, [...rows, ...update]);
      const progress = startProgress(`importing ${flags.kind}`, rows.length + update.length);
      let written: Awaited<ReturnType<typeof writeImport>>;
      try {
        written = await writeImport(
          core.deps.db,
          { spaceId, actor, now: new Date() },
          flags.kind,
          rows,
          progress.update,
          update,
        );
      } finally {
        progress.stop();
      }
      const { ids, updated, unchanged } = written;
      if (json) {
        return printJson({
          kind: flags.kind,
          imported: ids.length,
          ids,
          ...(flags.existing === "keep" ? { kept: kept.length, keptIds: kept.map((k) => k.id) } : {}),
          ...(flags.existing === "update"
            ? {
                updated: updated.length,
                updatedIds: updated,
                unchanged: unchanged.length,
                unchangedIds: unchanged,
              }
            : {}),
        });
      }
      const also =
        flags.existing === "keep"
          ? `; ${kept.length} kept as they are (the space has them already)`
          : flags.existing === "update"
            ? `; ${updated.length} updated, ${unchanged.length} unchanged`
            : "";
      const space = await getSpace(core.deps.db, spaceId);
      printLine(`${ids.length} ${flags.kind} imported into space ${space.name} (${spaceId})${also}`);
    });
  });
}

const EXISTING = ["refuse", "keep", "update"] as const;
type Existing = (typeof EXISTING)[number];
