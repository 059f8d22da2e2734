/** A table cell's last error: worded for the reader, the stored text in the tooltip; "—" when none. */
export function LastError({ text, words }: { text?: string | null; words: (stored: string) => string }) {
  if (!text) return <>—</>;
  return (
    <span className="delivery-error" title={text}>
      {words(text)}
    </span>
  );
}
