import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ParamSpec, RunbookDefinition, StepType } from '../domain/runbook';
import { parseRunbookYaml } from '../domain/runbookValidator';
import { formatIssue, formatPath, type RawIssue, type ValidationIssue } from '../domain/validationIssue';
import { readYaml } from '../domain/yamlLocation';
import { checkChildParams, checkRecursion } from './catalogueChecks';

/**
 * The runbook catalogue: every `*.yaml` / `*.yml` file in one directory, validated as a whole at
 * start-up. A catalogue with any problem refuses to load (one error listing all of them), so a
 * worker or API never serves a half-valid set of runbooks.
 */

export interface RunbookSummary {
  name: string;
  description: string;
  params: Record<string, ParamSpec>;
  steps: { id: string; type: StepType; needs: string[] }[];
}

export interface CatalogueIssue extends ValidationIssue {
  file: string;
}

export class RunbookCatalogueError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly CatalogueIssue[],
  ) {
    const count = issues.length === 1 ? '1 issue' : `${issues.length} issues`;
    super(`Invalid runbook catalogue in ${source} (${count}):\n${issues.map((i) => `  ${formatIssue(i, i.file)}`).join('\n')}`);
    this.name = 'RunbookCatalogueError';
  }
}

export interface RunbookSourceFile {
  /** File name as shown in errors; its base name (without .yaml/.yml) must equal the runbook's name. */
  file: string;
  text: string;
}

const YAML_FILE = /\.ya?ml$/i;

function baseName(file: string): string {
  return path.basename(file).replace(YAML_FILE, '');
}

/** The declared name, read leniently, so references to a runbook with other errors are not reported too. */
function declaredName(text: string): string | undefined {
  try {
    const doc: unknown = parseYaml(text, { merge: true });
    const name = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).name : undefined;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Catalogue definitions are shared by every caller; freezing turns an accidental mutation into an error. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export class RunbookCatalogue {
  private constructor(private readonly byName: ReadonlyMap<string, RunbookDefinition>) {}

  /** Reads every *.yaml / *.yml file directly in `dir` (not subdirectories). Throws RunbookCatalogueError. */
  static async load(dir: string): Promise<RunbookCatalogue> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new Error(`cannot read runbook directory ${dir}: ${(err as Error).message}`);
    }
    const files = entries
      .filter((e) => e.isFile() && YAML_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
    const sources = await Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(dir, file), 'utf8') })));
    return RunbookCatalogue.fromSources(sources, dir);
  }

  /** Builds a catalogue from in-memory sources (what load() does after reading the files). */
  static fromSources(sources: readonly RunbookSourceFile[], label = 'runbook sources'): RunbookCatalogue {
    const issues: CatalogueIssue[] = [];
    const locate = new Map<string, ReturnType<typeof readYaml>>();
    const report = (file: string, raw: RawIssue) => {
      locate.set(file, locate.get(file) ?? readYaml(sources.find((s) => s.file === file)!.text));
      const line = locate.get(file)!.lineOf(raw.path);
      issues.push({
        file,
        path: formatPath(raw.path),
        message: raw.message,
        ...(line !== undefined ? { line } : {}),
        ...(raw.cycle ? { cycle: raw.cycle } : {}),
      });
    };

    const knownRunbooks = new Set<string>();
    for (const { file, text } of sources) {
      knownRunbooks.add(baseName(file));
      const name = declaredName(text);
      if (name) knownRunbooks.add(name);
    }

    const byName = new Map<string, RunbookDefinition>();
    const fileOf = new Map<string, string>();
    for (const { file, text } of sources) {
      const result = parseRunbookYaml(text, { knownRunbooks });
      if (!result.ok) {
        issues.push(...result.issues.map((issue) => ({ file, ...issue })));
        continue;
      }
      const { name } = result.definition;
      if (baseName(file) !== name) {
        report(file, { path: ['name'], message: `runbook "${name}" must live in ${name}.yaml, not ${path.basename(file)}` });
        continue;
      }
      const previous = fileOf.get(name);
      if (previous) {
        report(file, { path: ['name'], message: `runbook "${name}" is already defined in ${previous}` });
        continue;
      }
      byName.set(name, result.definition);
      fileOf.set(name, file);
    }

    for (const [name, definition] of byName) {
      for (const issue of checkChildParams(definition, byName)) report(fileOf.get(name)!, issue);
    }
    for (const { runbook, issue } of checkRecursion(byName)) report(fileOf.get(runbook)!, issue);

    if (issues.length) throw new RunbookCatalogueError(label, issues);
    for (const definition of byName.values()) deepFreeze(definition);
    return new RunbookCatalogue(byName);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  get(name: string): RunbookDefinition | undefined {
    return this.byName.get(name);
  }

  list(): RunbookSummary[] {
    return this.names().map((name) => {
      const definition = this.byName.get(name)!;
      return {
        name,
        description: definition.description,
        params: definition.params,
        steps: definition.steps.map((step) => ({ id: step.id, type: step.type, needs: step.needs })),
      };
    });
  }
}
