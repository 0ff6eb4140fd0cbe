/** A status word with its colour class; the word itself is always shown (colour is never the only cue). */
export function Status({ value }: { value: string }) {
  return <span className={`status status-${value.replace(/[^a-z_]/g, '')}`}>{value.replace(/_/g, ' ')}</span>;
}

export function When({ at }: { at: string | undefined }) {
  if (!at) return null;
  return (
    <time dateTime={at} title={at}>
      {new Date(at).toLocaleString()}
    </time>
  );
}
