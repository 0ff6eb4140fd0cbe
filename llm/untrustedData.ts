/** Fetched data for a prompt: delimited, so the model can tell data from instructions. */
export function untrustedBlock(source: string, body: string): string {
  const safe = body.replace(/<\/?untrusted_data[^>]*>/gi, '[tag removed]');
  return `<untrusted_data source="${source.replace(/"/g, "'")}">\n${safe}\n</untrusted_data>`;
}
