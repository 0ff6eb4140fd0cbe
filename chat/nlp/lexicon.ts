/**
 * Word lists the rule-based understanding relies on. Kept apart from the matching code so a team
 * can extend them (their service names, their environments) without touching the logic.
 */
export const ENVIRONMENTS: Record<string, string> = {
  prod: 'production',
  production: 'production',
  prd: 'production',
  live: 'production',
  staging: 'staging',
  stage: 'staging',
  stg: 'staging',
  dev: 'development',
  development: 'development',
  qa: 'qa',
  sandbox: 'sandbox',
};

/** Common service names recognised without grounding; the live backends add the real ones. */
export const COMMON_SERVICES = [
  'auth', 'checkout', 'payments', 'payment', 'frontend', 'cart', 'inventory', 'orders', 'users', 'billing', 'search',
  'gateway', 'api', 'catalog', 'shipping', 'notifications', 'email', 'recommendations', 'ads', 'accounts', 'login',
  'web', 'backend', 'worker', 'scheduler', 'ledger', 'profile', 'identity', 'prometheus', 'loki', 'tempo', 'grafana',
];

/** Words that look like service names in "for X" / "X service" slots but never are. */
export const NOT_SERVICES = new Set([
  'me', 'the', 'a', 'an', 'it', 'that', 'this', 'all', 'any', 'each', 'every', 'my', 'our', 'us', 'you', 'them', 'same',
  'last', 'past', 'hour', 'hours', 'minute', 'minutes', 'day', 'days', 'week', 'now', 'today', 'yesterday', 'since',
  'latency', 'errors', 'error', 'logs', 'log', 'traces', 'trace', 'metrics', 'metric', 'cpu', 'memory', 'requests',
  'status', 'health', 'deploy', 'deployment', 'run', 'version', 'incident', 'alert', 'alerts', 'tests', 'test', 'coverage',
  'rate', 'throughput', 'service', 'services', 'what', 'which', 'how', 'why', 'is', 'are', 'was', 'in', 'on', 'of', 'to',
  'for', 'with', 'and', 'or', 'please', 'p95', 'p99', 'p50', 'slow', 'spans', 'span', 'up', 'down', 'there', 'here',
  'started', 'new', 'old', 'current', 'latest', 'previous', 'failing', 'broken', 'bug', 'outage', 'high', 'low', 'fix',
  'done', 'finished', 'finish', 'complete', 'yet', 'going', 'rollout', 'restart', 'news', 'progress', 'release', 'along',
  ...Object.keys(ENVIRONMENTS),
]);

/** Natural words for a metric → the normalised metric entity value. Longer phrases first. */
export const METRIC_WORDS: [RegExp, string][] = [
  [/\b(error[- ]rate|errors? per second|failure rate|5xx rate|error ratio)\b/i, 'error_rate'],
  [/\b(request rate|requests per second|rps|qps|throughput|traffic|request volume)\b/i, 'request_rate'],
  [/\b(latency|latencies|response time|response times|duration|slowness)\b/i, 'latency'],
  [/\bp(50|75|90|95|99|999)\b/i, 'latency'],
  [/\b(cpu|processor)\b/i, 'cpu'],
  [/\b(memory|ram|rss|heap)\b/i, 'memory'],
  [/\b(availability|uptime|up time)\b/i, 'availability'],
  [/\b(saturation|queue depth|backlog)\b/i, 'saturation'],
];

export const SEVERITIES: [RegExp, string][] = [
  [/\bsev(?:erity)?[ -]?1\b|\bp1\b|\bcritical\b/i, 'critical'],
  [/\bsev(?:erity)?[ -]?2\b|\bp2\b|\bhigh\b|\bmajor\b/i, 'high'],
  [/\bsev(?:erity)?[ -]?3\b|\bp3\b|\bmedium\b|\bmoderate\b/i, 'medium'],
  [/\bsev(?:erity)?[ -]?4\b|\bp4\b|\bminor\b|\blow\b/i, 'low'],
];

export const LOG_LEVELS: [RegExp, string][] = [
  [/\b(errors?|exceptions?|stack ?traces?|failures?)\b/i, 'error'],
  [/\b(warn|warnings?)\b/i, 'warn'],
  [/\bfatal|panics?\b/i, 'fatal'],
  [/\bdebug\b/i, 'debug'],
  [/\binfo\b/i, 'info'],
];

/** Verbs of mutating intents → catalogue runbooks. Test intents map to test runbooks so they act. */
export const VERB_RUNBOOKS: [RegExp, string][] = [
  [/\b(roll ?back|revert)\b/i, 'deploy-service'],
  [/\b(deploy|redeploy|release|roll ?out|ship|upgrade)\b/i, 'deploy-service'],
  [/\b(restart|bounce|reboot|recycle)\b/i, 'restart-service'],
  [/\b(scale|resize)\b/i, 'scale-service'],
];

export const INTENT_RUNBOOKS: Partial<Record<string, string>> = {
  TestExecute: 'run-tests',
  TestCoverage: 'test-coverage',
  TestGenerate: 'generate-tests',
};
