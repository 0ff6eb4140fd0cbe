/**
 * Labelled retrieval set: SRE memories and questions, each question with the memories that should
 * come back in the top 5. Queries are phrased differently from the memories on purpose (other word
 * forms, partial names, paraphrase), as a user would ask "has this happened before?".
 */
export const MEMORIES: Record<string, string> = {
  pool: 'INC-101 checkout-svc returned 502s: the database connection pool was exhausted after the deploy; fixed by raising max_connections and pool size to 50',
  disk: 'INC-102 payments-api crashed because the log volume filled the disk; fixed by enabling logrotate and a 20 GB volume',
  oom: 'INC-103 search-worker pods were OOMKilled (out of memory) after the index grew; raised the memory limit to 4Gi',
  cert: 'INC-104 TLS certificate for api.example.com expired; renewed it and added cert-manager auto renewal',
  dns: 'INC-105 intermittent DNS resolution failures in the cluster; CoreDNS was CPU throttled, raised its CPU limit',
  kafka: 'INC-106 orders-consumer lag grew to 2 million messages in Kafka; scaled consumers from 3 to 12 partitions',
  redis: 'INC-107 session-svc latency spiked because Redis evicted keys at maxmemory; moved to a larger Redis instance',
  deadlock: 'INC-108 inventory-svc deadlocks in Postgres during nightly batch; split the batch into smaller transactions',
  rollback: 'runbook deploy-service for checkout-svc v2.4.0 failed the smoke check and rolled back automatically',
  restart: 'runbook restart-pods on auth-svc succeeded; pods came back healthy in 90 seconds',
  scale: 'runbook scale-deployment raised cart-svc replicas from 4 to 10 during the Black Friday peak',
  charts: 'the payments team prefers charts, not tables, for latency answers',
  alias: 'we call the checkout service checkout-svc',
  oncall: 'page the payments on-call through PagerDuty before touching production databases',
  slo: 'checkout-svc SLO is 99.9% availability and p99 latency under 300 ms',
  backup: 'Postgres backups run nightly at 02:00 UTC with pgBackRest and are kept for 14 days',
  ingress: 'doc: the ingress controller is nginx; rate limits are set per route in the ingress annotations',
  flags: 'doc: feature flags live in LaunchDarkly; kill switches for checkout are under checkout.*',
  gc: 'INC-109 billing-svc long GC pauses on the JVM caused timeouts; switched to G1 and tuned heap to 2 GB',
  cron: 'INC-110 a cron job flooded the queue every hour at minute 0; added jitter to the schedule',
};

export const QUERIES: { q: string; relevant: string[] }[] = [
  { q: 'has checkout-svc thrown 502 errors before? connection pool', relevant: ['pool'] },
  { q: 'disk full on payments-api', relevant: ['disk'] },
  { q: 'search worker out of memory killed', relevant: ['oom'] },
  { q: 'certificate expired for api.example.com', relevant: ['cert'] },
  { q: 'DNS lookups failing inside the cluster', relevant: ['dns'] },
  { q: 'kafka consumer lag on orders', relevant: ['kafka'] },
  { q: 'session-svc slow, redis evictions', relevant: ['redis'] },
  { q: 'postgres deadlock in inventory batch job', relevant: ['deadlock'] },
  { q: 'did the checkout-svc deploy roll back?', relevant: ['rollback'] },
  { q: 'how long does restarting auth-svc pods take', relevant: ['restart'] },
  { q: 'scaling cart-svc replicas for peak traffic', relevant: ['scale'] },
  { q: 'should latency answers be a table or a chart for payments', relevant: ['charts'] },
  { q: 'what is the SLO of checkout-svc', relevant: ['slo'] },
  { q: 'when do postgres backups run and how long are they retained', relevant: ['backup'] },
  { q: 'ingress rate limiting configuration', relevant: ['ingress'] },
  { q: 'JVM garbage collection pauses timeouts billing', relevant: ['gc'] },
  { q: 'queue flooded by a scheduled cron job', relevant: ['cron'] },
  { q: 'who to page before changing production databases', relevant: ['oncall'] },
  { q: 'checkout problems in the past', relevant: ['pool', 'rollback'] },
];
