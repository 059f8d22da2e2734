import { useTranslation } from "react-i18next";

/** A rule id with its sentence in the console's language: "MA5 — A reservation beats priority…". */
export function RuleRef({ id, compact }: { id: string; compact?: boolean }) {
  const { t } = useTranslation();
  const sentence = t(`ruleText.${id}`, { defaultValue: "" });
  if (compact) {
    return (
      <abbr className="rule-chip" title={sentence || id}>
        {id}
      </abbr>
    );
  }
  return (
    <span className="rule-ref">
      <span className="rule-chip">{id}</span>
      {sentence ? <span className="rule-sentence"> — {sentence}</span> : null}
    </span>
  );
}

export function RuleList({ ids }: { ids: readonly string[] }) {
  if (ids.length === 0) return null;
  return (
    <ul className="rule-list">
      {ids.map((id) => (
        <li key={id}>
          <RuleRef id={id} />
        </li>
      ))}
    </ul>
  );
}
