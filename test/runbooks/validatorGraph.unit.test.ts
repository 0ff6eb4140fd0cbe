import { findCycles } from '../../domain/dagCycles';
import { definitionOf, issuesOf, withSteps, yaml } from './helpers';

/** Steps 'a'.. with the given needs; line of step i is 5 + i. */
function chain(needs: Record<string, string[]>): string {
  return withSteps(
    Object.entries(needs)
      .map(([id, deps]) => `- { id: ${id}, type: wait, duration: 1s, needs: [${deps.join(', ')}] }`)
      .join('\n'),
  );
}

describe('runbook validation: the needs graph', () => {
  it('reports a duplicate step id at the second occurrence', () => {
    expect(issuesOf(chain({ a: [], b: [] }).replace('id: b', 'id: a'))).toEqual([{ path: 'steps[1].id', message: 'duplicate step id "a" (first used by steps[0])', line: 6 }]);
  });

  it('names an unknown dependency and lists the known steps', () => {
    expect(issuesOf(chain({ a: [], b: ['zzz'] }))).toEqual([{ path: 'steps[1].needs[0]', message: 'unknown step "zzz" in needs; known steps: a, b', line: 6 }]);
  });

  it('suggests the closest id for a typo in needs', () => {
    expect(issuesOf(chain({ build: [], deploy: ['biuld'] }))).toEqual([{ path: 'steps[1].needs[0]', message: 'unknown step "biuld" in needs; did you mean "build"?', line: 6 }]);
  });

  it('rejects a step that needs itself', () => {
    expect(issuesOf(chain({ a: ['a'] }))).toEqual([{ path: 'steps[0].needs[0]', message: 'step "a" needs itself', line: 5 }]);
  });

  it('rejects a dependency listed twice', () => {
    expect(issuesOf(chain({ a: [], b: ['a', 'a'] }))).toEqual([{ path: 'steps[1].needs[1]', message: '"a" is listed twice in needs', line: 6 }]);
  });

  it('reports a cycle once, with the cycle spelled out', () => {
    const issues = issuesOf(chain({ a: ['c'], b: ['a'], c: ['b'], d: ['a'] }));
    expect(issues).toEqual([{ path: 'steps[0].needs[0]', message: 'dependency cycle: a -> c -> b -> a', line: 5, cycle: ['a', 'c', 'b', 'a'] }]);
  });

  it('reports each independent cycle', () => {
    const issues = issuesOf(chain({ a: ['b'], b: ['a'], c: [], d: ['e', 'c'], e: ['d'] }));
    expect(issues.map((i) => i.message)).toEqual(['dependency cycle: a -> b -> a', 'dependency cycle: d -> e -> d']);
    expect(issues.map((i) => i.path)).toEqual(['steps[0].needs[0]', 'steps[3].needs[0]']);
  });

  it('does not report a self-dependency a second time as a cycle', () => {
    expect(issuesOf(chain({ a: ['a', 'b'], b: [] })).map((i) => i.message)).toEqual(['step "a" needs itself']);
  });

  it('accepts a diamond', () => {
    const definition = definitionOf(chain({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }));
    expect(definition.steps.map((s) => s.needs)).toEqual([[], ['a'], ['a'], ['b', 'c']]);
  });

  it('checks the graph even when a step has schema errors', () => {
    const issues = issuesOf(
      withSteps(yaml`
      - { id: a, type: nope, needs: [b] }
      - { id: b, type: wait, duration: 1s, needs: [a] }
    `),
    );
    expect(issues.map((i) => i.message)).toEqual([
      'unknown step type "nope"; expected one of command, http, query, approval, wait, runbook, foreach',
      'dependency cycle: a -> b -> a',
    ]);
  });
});

describe('findCycles', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it('finds nothing in a DAG', () => {
    expect(findCycles(['a', 'b', 'c'], graph({ a: ['b', 'c'], b: ['c'] }))).toEqual([]);
  });

  it('returns self-loops as cycles of one node', () => {
    expect(findCycles(['a', 'b'], graph({ a: ['b'], b: ['b'] }))).toEqual([['b', 'b']]);
  });

  it('returns one shortest cycle per strongly connected component, starting at its first node', () => {
    // a -> b -> c -> d -> a and b -> a: one component, whose shortest loop through a is a -> b -> a.
    expect(findCycles(['a', 'b', 'c', 'd'], graph({ a: ['b'], b: ['c', 'a'], c: ['d'], d: ['a'] }))).toEqual([['a', 'b', 'a']]);
  });

  it('ignores edges to unknown nodes', () => {
    expect(findCycles(['a'], graph({ a: ['ghost'], ghost: ['a'] }))).toEqual([]);
  });

  it('handles long chains without recursion limits', () => {
    const nodes = Array.from({ length: 20000 }, (_, i) => `n${i}`);
    const edges = new Map(nodes.map((n, i) => [n, [`n${(i + 1) % nodes.length}`]]));
    const [cycle] = findCycles(nodes, edges);
    expect(cycle).toHaveLength(20001);
    expect(cycle![0]).toBe('n0');
  });
});
