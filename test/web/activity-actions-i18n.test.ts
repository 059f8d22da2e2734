import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ACTIVITY_ACTIONS, ACTIVITY_MESSAGE_KEYS } from "../../src/store/index.js";
import { at, leaves, words } from "./console-words.js";

const ROOT = resolve(import.meta.dirname, "../..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** The text with every `activityMessage(...)` call removed: what is left names actions, not messages. */
function withoutMessages(text: string): string {
  let out = "";
  let from = 0;
  for (;;) {
    const start = text.indexOf("activityMessage(", from);
    if (start < 0) return out + text.slice(from);
    out += text.slice(from, start);
    let depth = 0;
    let end = start + "activityMessage".length;
    for (; end < text.length; end++) {
      if (text[end] === "(") depth++;
      else if (text[end] === ")" && --depth === 0) break;
    }
    from = end + 1;
  }
}

/**
 * Every action the server's source writes: each "domain.name" literal of an action's
 * domain outside the message catalogues and `activityMessage(...)` calls (an `action:`
 * property, `logAccount(..., "account.added", ...)`, the allocation's SQL
 * `'license.granted'`), and for a `mdm.${kind}` template every MDM message key (the same
 * template names the line's message).
 */
function actionsInSource(): Map<string, string> {
  const domains = [...new Set(ACTIVITY_ACTIONS.map((a) => a.split(".")[0]))].join("|");
  const literal = new RegExp(`["'\`]((?:${domains})\\.[a-z]+(?:_[a-z]+)*)["'\`]`, "g");
  const found = new Map<string, string>();
  for (const path of sources(join(ROOT, "src"))) {
    const file = relative(ROOT, path);
    if (file.startsWith("src/simulator/") || /-(messages|actions)(-[a-z]{2})?\.ts$/.test(file)) continue;
    const text = withoutMessages(readFileSync(path, "utf8"));
    for (const [, action] of text.matchAll(literal)) if (action) found.set(action, file);
    if (/`mdm\.\$\{/.test(text))
      for (const key of ACTIVITY_MESSAGE_KEYS.filter((k) => k.startsWith("mdm."))) found.set(key, file);
  }
  return found;
}

describe("activity actions in the console's languages", () => {
  it("invariant 4: every action the source writes is in ACTIVITY_ACTIONS", () => {
    const found = actionsInSource();
    // The scan finds the writers it must: a literal in store/, sync/ and the allocation's SQL.
    expect(found.get("license.granted")).toBe("src/store/allocation.ts");
    expect(found.get("account.priority_changed")).toBe("src/sync/accounts.ts");
    expect(found.get("mdm.device_wiped")).toBe("src/store/mdm-events.repo.ts");
    const unlisted = [...found].filter(
      ([action]) => !(ACTIVITY_ACTIONS as readonly string[]).includes(action),
    );
    expect(unlisted).toEqual([]);
  });

  it("invariant 4: every action has an English and a French label, the French one not a copy", () => {
    const missing: string[] = [];
    for (const action of ACTIVITY_ACTIONS) {
      const en = at(words.en, `actions.${action}`);
      const fr = at(words.fr, `actions.${action}`);
      if (typeof en !== "string" || en.trim() === "") missing.push(`en ${action}`);
      if (typeof fr !== "string" || fr.trim() === "") missing.push(`fr ${action}`);
      else expect(fr, action).not.toBe(en);
    }
    expect(missing).toEqual([]);
  });

  it("invariant 4: the Action filter offers only actions a line can have (every label names one)", () => {
    for (const lng of ["en", "fr"] as const) {
      const labelled = leaves(at(words[lng], "actions") as Record<string, unknown>);
      expect(
        labelled.filter((action) => !(ACTIVITY_ACTIONS as readonly string[]).includes(action)),
        lng,
      ).toEqual([]);
    }
  });
});
