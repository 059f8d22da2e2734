/**
 * Reading Prometheus' text format in tests: the value of the one sample of `name` whose
 * labels include `labels` (undefined when none; an error when several).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  const line = found[0];
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
