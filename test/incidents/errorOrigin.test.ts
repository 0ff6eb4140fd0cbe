import { attributeSymptoms, errorOrigins } from '../../incidents/heuristics/errorOrigin';
import { formHypotheses } from '../../incidents/heuristics/hypotheses';
import type { Signal } from '../../incidents/types';

/** The error-origin step of the heuristics (pure functions, no servers needed). */
const span = (spanId: string, service: string, error: boolean, parentSpanId?: string) => ({ spanId, service, error, ...(parentSpanId ? { parentSpanId } : {}) });

test('the origin is the deepest failing span; its callers are the services above it', () => {
  const chain = [span('a', 'gateway', true), span('b', 'api', true, 'a'), span('c', 'dbproxy', true, 'b'), span('d', 'cache', false, 'b')];
  expect(errorOrigins(chain)).toEqual([{ service: 'dbproxy', callers: ['api', 'gateway'] }]);
  // A caller failing while its callee answers fine is its own origin.
  expect(errorOrigins([span('a', 'frontend', true), span('b', 'catalog', false, 'a')])).toEqual([{ service: 'frontend', callers: [] }]);
  // Two failing leaves under one root: two origins. A parent cycle in bad data ends the walk.
  expect(errorOrigins([span('r', 'web', true), span('x', 'auth', true, 'r'), span('y', 'billing', true, 'r')]).map((o) => o.service)).toEqual(['auth', 'billing']);
  expect(errorOrigins([span('p', 'a', false, 'q'), span('q', 'b', true, 'p')])).toEqual([{ service: 'b', callers: ['a'] }]);
});

test("half of a caller's symptoms move to the origin; signals without `explains` pass unchanged", () => {
  const errorRate: Signal = { kind: 'error_rate', service: 'frontend', weight: 0.6, text: 'error rate rose', evidenceId: 'e1' };
  const logs: Signal = { kind: 'logs', service: 'frontend', weight: 0.2, text: 'new pattern', evidenceId: 'e2' };
  const origin: Signal = { kind: 'traces', service: 'inventory', weight: 0.3, text: 'errors originate in inventory', evidenceId: 'e3', explains: ['frontend'] };
  const out = attributeSymptoms([errorRate, logs, origin]);
  expect(out).toContainEqual({ ...errorRate, weight: 0.3 });
  expect(out).toContainEqual(expect.objectContaining({ kind: 'error_rate', service: 'inventory', weight: 0.3, evidenceId: 'e1' }));
  // Logs are the caller's own evidence, not a propagated symptom.
  expect(out).toContainEqual(logs);
  // Replay safety: histories from before `explains` form exactly the hypotheses they formed then.
  const { explains: _e, ...oldOrigin } = origin;
  expect(attributeSymptoms([errorRate, logs, oldOrigin])).toEqual([errorRate, logs, oldOrigin]);
  expect(formHypotheses([errorRate, logs, origin])[0]!.service).toBe('inventory');
  expect(formHypotheses([errorRate, logs, oldOrigin])[0]!.service).toBe('frontend');
});
