/**
 * Cycle detection for dependency graphs (steps via `needs`, runbooks via `runbook` steps). Each
 * strongly connected component is reported once, as one concrete cycle, so a loop through five
 * steps produces one error rather than five.
 */

/**
 * Returns one cycle per cyclic component, e.g. ['a', 'b', 'c', 'a'] for a -> b -> c -> a. A node
 * with an edge to itself is a cycle of length one (['a', 'a']). `nodes` fixes the order: each cycle
 * starts at its component's earliest node, and cycles come out in that order.
 */
export function findCycles(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map(nodes.map((node, i) => [node, i]));
  const successors = (node: string): string[] => (edges.get(node) ?? []).filter((next) => order.has(next));

  // Tarjan's algorithm, iterative so a long chain of steps cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const children = successors(frame.node);
      if (frame.next < children.length) {
        const child = children[frame.next++]!;
        if (!index.has(child)) {
          index.set(child, counter);
          low.set(child, counter++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, next: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }

  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const first = [...component].sort((a, b) => order.get(a)! - order.get(b)!)[0]!;
    if (component.length === 1 && !successors(first).includes(first)) continue;
    cycles.push(shortestCycle(first, members, successors));
  }
  return cycles.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** Breadth-first search back to `start` inside its component: the shortest loop reads best. */
function shortestCycle(start: string, members: ReadonlySet<string>, successors: (node: string) => string[]): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of successors(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start]; // unreachable for a real component
}
