import type { Entity } from '../model/types';
import { COMMON_SERVICES, ENVIRONMENTS, LOG_LEVELS, METRIC_WORDS, NOT_SERVICES, SEVERITIES, VERB_RUNBOOKS } from './lexicon';
import { encodeTimeRange, parseTimeRange } from './timeRange';

/**
 * Rule-based entity extraction. Identifiers with a syntax (versions, run ids, incident ids, status
 * codes) are matched by pattern; service names by slot ("for X", "X logs", "deploy X") and by a
 * vocabulary that grounding fills from the live backends. Pure: the workflow may call it too.
 */
export interface ExtractOptions {
  now: number;
  /** Service names known to exist (from Prometheus/Loki/Tempo label values). */
  knownServices?: readonly string[];
  /** Catalogue runbook names, recognised verbatim. */
  runbooks?: readonly string[];
}

const VERSION = /\b(v\d+(?:\.\d+){0,3}(?:-[A-Za-z0-9.]+)?|\d+\.\d+\.\d+(?:-[A-Za-z0-9.]+)?)\b/;
const RUN_ID = /\brun-[0-9a-f]{8,}(?:-[0-9a-f]+)*\b/i;
// Longest form first: with /i, `INC-\d+` would otherwise match the head of a UUID id like inc-08534671-5827-….
const INCIDENT_ID = /\b(inc-[0-9a-f]{8,}(?:-[0-9a-f]+)*|INC-\d{1,9})\b/i;
const LEADING_VERB = /^\s*(?:(?:please|can you|could you|let'?s|i want to|we need to|go ahead and|now)\s+)*([a-z]+(?:\s+(?:back|out))?)/i;
const HOUSE_SERVICE = /\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:svc|service|api|worker|gateway))\b/i;
const SLOT_SERVICE: RegExp[] = [
  /\b(?:for|of|on|from|in)\s+(?:the\s+)?([a-z][a-z0-9-]{1,40})(?:\s+(?:service|svc|app|logs?|traces?|pods?))\b/i,
  /\b(?:for|of|on|from)\s+(?:the\s+)?([a-z][a-z0-9-]{1,40})\b/i,
  /\b(?:deploy|restart|bounce|scale|roll ?back|release|redeploy)\s+(?:the\s+)?([a-z][a-z0-9-]{1,40})\b/i,
  /\b(?:same|ditto)\s+for\s+([a-z][a-z0-9-]{1,40})\b/i,
  /\b([a-z][a-z0-9-]{1,40})\s+(?:service|svc|logs?|traces?|pods?|latency|error rate|errors)\b/i,
  /\bis\s+([a-z][a-z0-9-]{1,40})\s+(?:healthy|up|down|ok|okay|working)\b/i,
];

function push(out: Entity[], entity: Entity): void {
  if (!out.some((e) => e.type === entity.type && e.value === entity.value)) out.push(entity);
}

function findService(text: string, options: ExtractOptions): Entity | undefined {
  const house = HOUSE_SERVICE.exec(text);
  if (house) return { type: 'service', value: house[1]!.toLowerCase(), text: house[1]! };
  const known = new Set([...(options.knownServices ?? []), ...COMMON_SERVICES].map((s) => s.toLowerCase()));
  // A known name anywhere wins over a slot guess ("errors in the auth logs").
  const words = text.toLowerCase().match(/[a-z][a-z0-9-]*/g) ?? [];
  for (const word of words) if (known.has(word) && !NOT_SERVICES.has(word)) return { type: 'service', value: word, text: word };
  for (const re of SLOT_SERVICE) {
    const m = re.exec(text);
    const candidate = m?.[1]?.toLowerCase();
    if (candidate && !NOT_SERVICES.has(candidate) && !/^\d/.test(candidate) && !/^v\d/.test(candidate) && !candidate.startsWith('run-') && !candidate.startsWith('inc-')) {
      return { type: 'service', value: candidate, text: m![1]! };
    }
  }
  return undefined;
}

export function extractEntities(text: string, options: ExtractOptions): Entity[] {
  const out: Entity[] = [];
  const runId = RUN_ID.exec(text);
  if (runId) push(out, { type: 'run_id', value: runId[0].toLowerCase(), text: runId[0] });
  const incident = INCIDENT_ID.exec(text);
  if (incident) push(out, { type: 'incident_id', value: incident[1]!.startsWith('INC') || incident[1]!.startsWith('inc-') ? incident[1]! : incident[1]!, text: incident[1]! });
  // Versions only outside ids (a run id's hex could look like one).
  const scrubbed = text.replace(RUN_ID, ' ').replace(INCIDENT_ID, ' ');
  const version = VERSION.exec(scrubbed);
  if (version) push(out, { type: 'version', value: version[1]!, text: version[1]! });

  const service = findService(scrubbed.replace(VERSION, ' '), options);
  if (service) push(out, service);

  for (const [word, env] of Object.entries(ENVIRONMENTS)) {
    const m = new RegExp(`\\b${word}\\b`, 'i').exec(scrubbed);
    if (m) {
      push(out, { type: 'environment', value: env, text: m[0] });
      break;
    }
  }

  for (const [re, metric] of METRIC_WORDS) {
    const m = re.exec(scrubbed);
    if (m) {
      push(out, { type: 'metric', value: metric, text: m[0] });
      break;
    }
  }
  const pct = /\bp(50|75|90|95|99|999)\b|\b(50|75|90|95|99)(?:th)?\s*percentile\b|\bmedian\b/i.exec(scrubbed);
  if (pct) {
    const digits = pct[1] ?? pct[2] ?? '50';
    push(out, { type: 'percentile', value: digits === '999' ? '0.999' : `0.${digits}`, text: pct[0] });
  }

  const time = parseTimeRange(scrubbed, options.now);
  if (time) push(out, { type: 'time_range', value: encodeTimeRange(time.range), text: time.text });

  // Severity words; "p95" is a percentile, not a priority.
  for (const [re, severity] of SEVERITIES) {
    const m = re.exec(scrubbed);
    if (m && !/^p\d{2,}/i.test(m[0])) {
      push(out, { type: 'severity', value: severity, text: m[0] });
      break;
    }
  }

  const status =
    /\b([1-5])xx\b|\b([1-5]\d\d)s?\b(?=\s*(?:errors?|responses?|status|codes?|s\b))|\b(?:status|http|code)\s*(?:code\s*)?([1-5]\d\d)\b|\b(?:with|returning|returned|returns|throwing|giving|for)\s+([1-5]\d\d)s?\b(?!\s*(?:ms|s|m|h|%|replicas?|instances?|pods?)\b)/i.exec(
      scrubbed,
    );
  if (status) {
    const value = status[1] ? `${status[1]}xx` : (status[2] ?? status[3] ?? status[4])!;
    push(out, { type: 'status_code', value, text: status[0] });
  }

  // Log levels only where logs are the subject: "error" in "error rate" is a metric.
  if (/\blogs?\b|\blog lines?\b|\bexceptions?\b|\bstack ?traces?\b|\bany (errors|warnings)\b/i.test(scrubbed) && !/\berror[- ]rate\b/i.test(scrubbed)) {
    for (const [re, level] of LOG_LEVELS) {
      const m = re.exec(scrubbed);
      if (m) {
        push(out, { type: 'log_level', value: level, text: m[0] });
        break;
      }
    }
  }

  const replicas = /\b(?:to|with)\s+(\d{1,3})\s*(?:replicas?|instances?|pods?|copies)?\b/i.exec(scrubbed);
  if (replicas && /\b(scale|replicas?|instances?|pods?)\b/i.test(scrubbed)) push(out, { type: 'replicas', value: replicas[1]!, text: replicas[0] });

  const named = (options.runbooks ?? []).find((r) => new RegExp(`\\b${r.replace(/[-]/g, '\\-')}\\b`, 'i').test(scrubbed));
  if (named) push(out, { type: 'runbook', value: named, text: named });
  else {
    // A verb names a runbook only when it leads the request ("deploy auth …", "please restart …"):
    // "what is the deploy status" mentions a verb without asking for the action.
    const lead = LEADING_VERB.exec(scrubbed)?.[1] ?? '';
    const hit = VERB_RUNBOOKS.find(([re]) => re.test(lead));
    if (hit) push(out, { type: 'runbook', value: hit[1], text: lead.trim() });
  }

  const decision = /^\s*(?:i\s+)?(approve|approved|lgtm|ship it|reject|rejected|deny|denied|decline)\b/i.exec(scrubbed);
  if (decision) push(out, { type: 'decision', value: /^(reject|rejected|deny|denied|decline)$/i.test(decision[1]!) ? 'reject' : 'approve', text: decision[1]! });
  return out;
}
