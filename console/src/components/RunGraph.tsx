import { Graph, layout } from '@dagrejs/dagre';
import { useMemo } from 'react';
import type { StepView } from '../lib/runProgress';

/**
 * The run's DAG: steps as nodes, `needs` as edges, laid out by dagre (top to bottom) and drawn as
 * SVG. Each node carries its live status as a class, a `data-status` and its label text, so the
 * state is visible without colour and readable by assistive technology.
 */
const W = 150;
const H = 44;

interface Laid {
  nodes: { id: string; x: number; y: number }[];
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

function lay(steps: { id: string; needs: string[] }[]): Laid {
  const g = new Graph<
    { rankdir: string; nodesep: number; ranksep: number; marginx: number; marginy: number; width?: number; height?: number },
    { width: number; height: number; x?: number; y?: number },
    { points?: { x: number; y: number }[] }
  >();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) g.setNode(s.id, { width: W, height: H });
  for (const s of steps) for (const n of s.needs) if (ids.has(n)) g.setEdge(n, s.id);
  layout(g);
  const graph = g.graph();
  return {
    nodes: g.nodes().map((id) => {
      const n = g.node(id);
      return { id, x: n.x ?? 0, y: n.y ?? 0 };
    }),
    edges: g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
    width: graph.width ?? W,
    height: graph.height ?? H,
  };
}

export function RunGraph({ steps, needs, selected, onSelect }: { steps: StepView[]; needs: Record<string, string[]>; selected?: string; onSelect: (id: string) => void }) {
  const shape = steps.map((s) => `${s.id}<${(needs[s.id] ?? []).join(',')}`).join('|');
  // Layout depends on the graph's shape only, not on statuses: status changes re-render, never re-layout.
  const laid = useMemo(
    () =>
      lay(
        shape.split('|').map((part) => {
          const [id = '', deps = ''] = part.split('<');
          return { id, needs: deps ? deps.split(',') : [] };
        }),
      ),
    [shape],
  );
  const byId = new Map(steps.map((s) => [s.id, s]));
  return (
    <svg className="dag" viewBox={`0 0 ${laid.width} ${laid.height}`} width={laid.width} height={laid.height} role="group" aria-label="Run graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
        </marker>
      </defs>
      {laid.edges.map((e) => (
        <polyline key={`${e.from}->${e.to}`} className="edge" points={e.points.map((p) => `${p.x},${p.y}`).join(' ')} markerEnd="url(#arrow)" />
      ))}
      {laid.nodes.map((n) => {
        const step = byId.get(n.id);
        const status = step?.status ?? 'pending';
        return (
          <g
            key={n.id}
            className={`node node-${status}${selected === n.id ? ' selected' : ''}`}
            transform={`translate(${n.x - W / 2},${n.y - H / 2})`}
            data-testid={`node-${n.id}`}
            data-status={status}
            role="button"
            tabIndex={0}
            aria-label={`step ${n.id}: ${status}`}
            aria-pressed={selected === n.id}
            onClick={() => onSelect(n.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(n.id);
              }
            }}
          >
            <rect width={W} height={H} rx={6} />
            <text x={10} y={18} className="node-id">
              {n.id.length > 18 ? `${n.id.slice(0, 17)}…` : n.id}
            </text>
            <text x={10} y={34} className="node-status">
              {status}
              {step?.type ? ` · ${step.type}` : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
