import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { RunbookDefinition, Step } from '../../domain/runbook';

/**
 * A validated definition as a catalogue YAML file for review in git: fields that only repeat a
 * default (`needs: []`, `continueOnError: false`, `expectExitCode: 0`, `concurrency: 4` …) are
 * left out, so the file reads like the hand-written ones. Whether a field is a default is decided
 * by the schema itself (dropping it parses to the same value), not by a second list of defaults.
 */
function withoutDefaults<T extends Record<string, unknown>>(value: T, schema: z.ZodType, keep: readonly string[]): Record<string, unknown> {
  const parsed = schema.parse(value);
  const out: Record<string, unknown> = { ...value };
  for (const key of Object.keys(value)) {
    if (keep.includes(key)) continue;
    const { [key]: _dropped, ...rest } = out;
    // A required field fails to parse without it; a default one parses to the same value.
    const without = schema.safeParse(rest);
    if (without.success && isDeepStrictEqual(without.data, parsed)) delete out[key];
  }
  return out;
}

export function definitionYaml(definition: RunbookDefinition, header: readonly string[]): string {
  const steps = definition.steps.map((step) => withoutDefaults(step, Step, ['id', 'type']));
  const doc = withoutDefaults({ ...definition, steps }, RunbookDefinition, ['name', 'description', 'steps']);
  const comment = header.map((line) => `# ${line.replace(/[\r\n]+/g, ' ')}`.trimEnd()).join('\n');
  return `${comment}\n${stringify(doc, { lineWidth: 0 })}`;
}
