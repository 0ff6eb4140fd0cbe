import type { Entity, Intent, IntentType } from '../model/types';

/**
 * Rule-based intent classification: weighted patterns, the best match wins, and the confidence
 * drops when a different intent scores close behind (an ambiguous request should be asked about,
 * not guessed). Entities found in the text nudge the score (a metric word makes a MetricQuery
 * more certain). Pure.
 */
interface Rule {
  intent: IntentType;
  re: RegExp;
  weight: number;
}

const RULES: Rule[] = [
  // A how-to question names actions without asking for them ("how do i open an incident?").
  { intent: 'GeneralQuery', re: /^\s*how\s+(?:do|can|should|would)\s+(?:i|we|you|one)\b/i, weight: 0.96 },
  { intent: 'ApprovalDecision', re: /^\s*(?:i\s+)?(approve|approved|lgtm|reject|rejected|deny|decline)\b/i, weight: 0.95 },
  { intent: 'ApprovalDecision', re: /\b(approve|reject)\s+(it|that|this|the (deploy|run|rollout|restart|gate|request))\b/i, weight: 0.93 },
  {
    intent: 'WorkflowCancel',
    re: /^\s*(?:please\s+)?(cancel|abort|halt|stop|kill)\s+(it|that|this|the\s+([\w-]+\s+)?(deploy|deployment|run|rollout|restart|scaling|workflow|release)|run-)/i,
    weight: 0.93,
  },
  { intent: 'WorkflowCancel', re: /\b(cancel|abort)\b/i, weight: 0.8 },
  // Pause / resume a run (no new step starts until resumed; POST /runs/:id/pause|resume).
  {
    intent: 'RunPause',
    re: /^\s*(?:please\s+)?(?:pause|suspend|put\s+on\s+hold)\s+(it|that|this|the\s+([\w-]+\s+)?(deploy|deployment|run|rollout|restart|scaling|workflow|release)|run-)/i,
    weight: 0.93,
  },
  // Looser: "can we pause the rollout for now" — not a question about pausing ("what does pause do?").
  { intent: 'RunPause', re: /^(?!\s*(?:what|why|when|who|which|does|do|is|are)\b).*\bpause\b/i, weight: 0.8 },
  {
    intent: 'RunResume',
    re: /^\s*(?:please\s+)?(?:resume|unpause|un-pause)\s+(it|that|this|the\s+([\w-]+\s+)?(deploy|deployment|run|rollout|restart|scaling|workflow|release)|run-)/i,
    weight: 0.93,
  },
  { intent: 'RunResume', re: /^(?!\s*(?:what|why|when|who|which|does|do|is|are)\b).*\b(resume|unpause)\b/i, weight: 0.8 },
  // "make me a runbook that …" / "compose a runbook to …": the planner drafts one (runbooks/planner/); nothing runs.
  {
    intent: 'RunbookCompose',
    re: /\b(?:make|create|compose|write|draft|build|design|generate|put together|come up with)\b(?:\s+(?:me|us))?\s+(?:a|an|the|new|\s)*(?:[\w-]+\s+){0,2}?runbook\b(?!s?\s+(?:list|catalogue|catalog)\b)/i,
    weight: 0.96,
  },
  { intent: 'TestCoverage', re: /\b(test )?coverage\b/i, weight: 0.9 },
  { intent: 'TestGenerate', re: /\b(generate|write|create|add|scaffold|draft)\b.{0,40}\b(unit |integration |e2e |regression )?tests?\b/i, weight: 0.9 },
  { intent: 'TestExecute', re: /\b(run|execute|kick off|start|trigger|launch|rerun|re-run)\b.{0,40}\b(tests?|test suite|e2e|specs?|smoke tests?)\b/i, weight: 0.9 },
  { intent: 'IncidentResolve', re: /\b(resolve|close|mark\b.{0,30}\bresolved)\b.{0,40}\b(incident|inc-\S+)/i, weight: 0.92 },
  { intent: 'IncidentResolve', re: /\b(incident|inc-\S+)\b.{0,30}\b(is|as)\s+(resolved|fixed|over)\b/i, weight: 0.9 },
  { intent: 'IncidentResolve', re: /\b(set|mark)\b.{0,40}\b(incident|outage|inc-\S+)\b.{0,12}\b(resolved|fixed|closed)\b/i, weight: 0.93 },
  // An incident's lifecycle states short of resolved are updates ("set INC-2001 to mitigated").
  {
    intent: 'IncidentUpdate',
    re: /\b(set|mark|move)\s+(?:the\s+)?(?:incident\s+)?(inc-\S+|[\w-]+\s+(?:incident|outage))\s+(?:to|as)\s+(mitigated|investigating|identified|monitoring|acknowledged|triaged)\b/i,
    weight: 0.95,
  },
  {
    intent: 'IncidentRemediate',
    re: /\b(remediate|(apply|run|start|execute)\b.{0,30}\b(proposed|suggested|recommended)\s+(fix|remediation|action)|apply\b.{0,30}\bremediation)\b/i,
    weight: 0.93,
  },
  {
    intent: 'IncidentUpdate',
    re: /\b(update|add (?:a )?note|note|comment|escalate|downgrade|upgrade the severity|set (?:the )?severity|change (?:the )?severity)\b.{0,40}\b(incident|inc-\S+)/i,
    weight: 0.88,
  },
  { intent: 'IncidentUpdate', re: /\b(incident|inc-\S+)\b.{0,40}\b(update|note|escalate|severity)\b/i, weight: 0.84 },
  { intent: 'IncidentCreate', re: /\b(open|create|declare|raise|start|file|log|need)\b.{0,30}\b(an? )?(new )?(sev\d |p\d |critical |major )?incident\b/i, weight: 0.92 },
  { intent: 'IncidentCreate', re: /\b(page|wake up)\b.{0,20}\b(on-?call|sre)\b/i, weight: 0.8 },
  {
    intent: 'WorkflowTrigger',
    re: /^\s*(?:(?:please|can you|could you|let'?s|i want to|we need to|go ahead and|now)\s+)*(deploy|redeploy|release|roll ?out|roll ?back|rollback|revert|ship|restart|bounce|reboot|recycle|scale|resize|run the [\w-]+ runbook|trigger|execute)\b(?!.*\btests?\b)/i,
    weight: 0.92,
  },
  { intent: 'WorkflowTrigger', re: /\b(run|start|trigger)\s+(the\s+)?[a-z-]+-(service|fleet)\b/i, weight: 0.88 },
  { intent: 'WorkflowStatus', re: /\b(status|progress|state)\b.{0,30}\b(it|that|this|deploy|deployment|run|rollout|restart|workflow|run-[0-9a-f]+)\b/i, weight: 0.9 },
  { intent: 'WorkflowStatus', re: /^\s*(status|progress|any news|update)\s*\??\s*$/i, weight: 0.88 },
  {
    intent: 'WorkflowStatus',
    re: /\b(is it done|is it finished|did it (finish|succeed|work|fail)|how('?s| is) (it|that|the (deploy|run|rollout)) going|where are we with)\b/i,
    weight: 0.88,
  },
  // Progress of a named change: "how is the auth deploy going", "has the search deployment finished".
  {
    intent: 'WorkflowStatus',
    re: /\b(?:how(?:'?s| is)|is|has|did|are)\s+(?:the\s+)?(?:[\w-]+\s+)?(?:deploy|deployment|rollout|restart|release|rollback|run|scaling|upgrade)\b(?:\s+of\s+[\w-]+)?\s+(?:going|done|finished|complete|completed|over|finish|succeed|succeeded|fail|failed|work|worked)\b/i,
    weight: 0.92,
  },
  { intent: 'WorkflowStatus', re: /\b(done yet|finished yet|how far along|any news on|how(?:'?s| is) run-[0-9a-f]+)\b/i, weight: 0.9 },
  { intent: 'WorkflowStatus', re: /^\s*(done|finished)\s*\??\s*$/i, weight: 0.85 },
  { intent: 'AlertInvestigation', re: /\b(why is|why are)\b.{0,40}\b(alerting|firing|paging|failing|down|slow|erroring)\b/i, weight: 0.88 },
  { intent: 'AlertInvestigation', re: /\b(investigate|root cause|what caused|triage|look into|dig into|what broke|what(?:'?s| is) wrong with)\b/i, weight: 0.9 },
  { intent: 'AlertInvestigation', re: /\b(alerts?|firing|paged)\b/i, weight: 0.8 },
  { intent: 'ServiceHealth', re: /\b(health|healthy|unhealthy)\b/i, weight: 0.85 },
  { intent: 'ServiceHealth', re: /\bis\s+(?:the\s+)?[\w-]+\s+(?:service\s+|svc\s+|app\s+)?(up|down|ok|okay|working|alive|healthy|broken)\b/i, weight: 0.86 },
  { intent: 'ServiceHealth', re: /\bhow(?:'?s| is| are)\s+(?:the\s+)?[\w-]+\s+(?:service\s+)?doing\b/i, weight: 0.84 },
  {
    intent: 'ServiceHealth',
    re: /\b(everything|all|things)\s+(ok|okay|good|fine)\s+with\b|^\s*how'?s\s+(?:the\s+)?[\w-]+\s*\??\s*$|^\s*status\s+of\s+(?:the\s+)?(?!run-)[\w-]+\s*\??\s*$/i,
    weight: 0.85,
  },
  { intent: 'TraceQuery', re: /\b(traces?|spans?|tracing|trace ids?)\b/i, weight: 0.86 },
  { intent: 'LogQuery', re: /\b(logs?|log lines?|stack ?traces?|exceptions?|grep|tail)\b/i, weight: 0.86 },
  {
    intent: 'MetricQuery',
    re: /\b(latency|latencies|p50|p75|p90|p95|p99|percentile|error[- ]rate|request rate|rps|qps|throughput|cpu|memory|ram|heap|disk|saturation|backlog|queue depth|availability|uptime|response times?|requests per second|traffic|[1-5]xx)\b|\breq(?:uests?)?\/s\b/i,
    weight: 0.84,
  },
  { intent: 'MetricQuery', re: /\b(graph|chart|plot|metric|metrics|dashboard)\b/i, weight: 0.75 },
  { intent: 'LogQuery', re: /\b(any|show( me)?|find|list)\b.{0,20}\b(errors|warnings)\b/i, weight: 0.7 },
  { intent: 'GeneralQuery', re: /^\s*(what|how|why|who|when|where|which|can you|could you|explain|help|tell me|describe|list|show)\b/i, weight: 0.55 },
  { intent: 'GeneralQuery', re: /\?\s*$/, weight: 0.5 },
  { intent: 'GeneralQuery', re: /^\s*(thanks|thank you|thx|ty|cheers)\b/i, weight: 0.6 },
];

/** Entities that make an intent more certain when present. */
const SUPPORT: Partial<Record<IntentType, string[]>> = {
  MetricQuery: ['metric', 'percentile', 'service'],
  LogQuery: ['log_level', 'service', 'time_range'],
  TraceQuery: ['service', 'status_code'],
  WorkflowTrigger: ['service', 'version', 'runbook', 'environment'],
  WorkflowStatus: ['run_id'],
  WorkflowCancel: ['run_id'],
  RunPause: ['run_id'],
  RunResume: ['run_id'],
  IncidentCreate: ['service', 'severity'],
  IncidentUpdate: ['incident_id'],
  IncidentResolve: ['incident_id'],
  IncidentRemediate: ['incident_id'],
  ServiceHealth: ['service'],
  AlertInvestigation: ['service'],
};

export function classifyIntent(text: string, entities: readonly Entity[]): Intent & { runnerUp?: IntentType } {
  const best = new Map<IntentType, number>();
  for (const rule of RULES) {
    if (!rule.re.test(text)) continue;
    best.set(rule.intent, Math.max(best.get(rule.intent) ?? 0, rule.weight));
  }
  if (best.size === 0) return { type: 'Unknown', confidence: text.trim().split(/\s+/).length <= 2 ? 0.2 : 0.3 };
  const scored = [...best.entries()].map(([intent, weight]) => {
    const support = SUPPORT[intent] ?? [];
    const bonus = Math.min(0.08, support.filter((t) => entities.some((e) => e.type === t)).length * 0.03);
    return { intent, score: Math.min(0.99, weight + bonus) };
  });
  // Stable: earlier rules win ties (RULES order encodes precedence: actions before questions).
  scored.sort((a, b) => b.score - a.score);
  const [top, second] = scored;
  let confidence = top!.score;
  if (second && second.intent !== 'GeneralQuery' && top!.score - second.score < 0.05) confidence -= 0.1;
  return { type: top!.intent, confidence: Number(Math.max(0, confidence).toFixed(3)), ...(second ? { runnerUp: second.intent } : {}) };
}
