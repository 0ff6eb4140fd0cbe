import type { IntentType } from '../../../chat/model/types';

/**
 * Hand-labelled utterances for the understanding engine: the intent a person means and the
 * entities a person would mark (type=value; time ranges as their duration, or "anchored" for
 * clock/day ranges). Written from how SREs phrase things in chat, not from the rules.
 */
export interface Labelled {
  text: string;
  intent: IntentType;
  entities: string[];
}

export const LABELLED: Labelled[] = [
  // MetricQuery
  {
    text: 'show me p95 latency for checkout in prod over the last hour',
    intent: 'MetricQuery',
    entities: ['metric=latency', 'percentile=0.95', 'service=checkout', 'environment=production', 'time_range=1h'],
  },
  { text: "what's the error rate of payments in staging?", intent: 'MetricQuery', entities: ['metric=error_rate', 'service=payments', 'environment=staging'] },
  { text: 'p99 latency for auth last 15 minutes', intent: 'MetricQuery', entities: ['metric=latency', 'percentile=0.99', 'service=auth', 'time_range=15m'] },
  { text: 'graph the request rate for frontend over the past 6 hours', intent: 'MetricQuery', entities: ['metric=request_rate', 'service=frontend', 'time_range=6h'] },
  { text: 'how much memory is cart using', intent: 'MetricQuery', entities: ['metric=memory', 'service=cart'] },
  { text: 'cpu usage of inventory in production', intent: 'MetricQuery', entities: ['metric=cpu', 'service=inventory', 'environment=production'] },
  { text: 'throughput of the orders service today', intent: 'MetricQuery', entities: ['metric=request_rate', 'service=orders', 'time_range=anchored'] },
  {
    text: 'show 5xx error rate for search over the last 30 minutes',
    intent: 'MetricQuery',
    entities: ['metric=error_rate', 'status_code=5xx', 'service=search', 'time_range=30m'],
  },
  { text: 'median response time for billing-api', intent: 'MetricQuery', entities: ['metric=latency', 'percentile=0.50', 'service=billing-api'] },
  { text: 'rps on gateway in prod', intent: 'MetricQuery', entities: ['metric=request_rate', 'service=gateway', 'environment=production'] },
  { text: 'what is the availability of checkout this past week', intent: 'MetricQuery', entities: ['metric=availability', 'service=checkout', 'time_range=1w'] },
  { text: 'latency of payments since 09:30', intent: 'MetricQuery', entities: ['metric=latency', 'service=payments', 'time_range=anchored'] },
  { text: 'p90 for the ledger service over the past 2 hours', intent: 'MetricQuery', entities: ['percentile=0.90', 'metric=latency', 'service=ledger', 'time_range=2h'] },
  { text: 'show me metrics for users in staging', intent: 'MetricQuery', entities: ['service=users', 'environment=staging'] },
  // LogQuery
  { text: 'any errors in the auth logs since 10:00?', intent: 'LogQuery', entities: ['log_level=error', 'service=auth', 'time_range=anchored'] },
  { text: 'show me warning logs for checkout in the last hour', intent: 'LogQuery', entities: ['log_level=warn', 'service=checkout', 'time_range=1h'] },
  { text: 'grep the payments logs for 503', intent: 'LogQuery', entities: ['service=payments', 'status_code=503'] },
  { text: 'find exceptions in cart logs yesterday', intent: 'LogQuery', entities: ['log_level=error', 'service=cart', 'time_range=anchored'] },
  { text: 'logs of the frontend service in prod', intent: 'LogQuery', entities: ['service=frontend', 'environment=production'] },
  { text: 'show stack traces from inventory over the past 20 minutes', intent: 'LogQuery', entities: ['log_level=error', 'service=inventory', 'time_range=20m'] },
  { text: 'fatal log lines for orders-worker', intent: 'LogQuery', entities: ['log_level=fatal', 'service=orders-worker'] },
  { text: 'debug logs for search in staging', intent: 'LogQuery', entities: ['log_level=debug', 'service=search', 'environment=staging'] },
  { text: 'any errors in the billing logs', intent: 'LogQuery', entities: ['log_level=error', 'service=billing'] },
  { text: 'show 500 responses in the gateway logs over the last hour', intent: 'LogQuery', entities: ['status_code=500', 'service=gateway', 'time_range=1h'] },
  // TraceQuery
  { text: 'show slow traces for checkout', intent: 'TraceQuery', entities: ['service=checkout'] },
  { text: 'find failing traces in payments over the last hour', intent: 'TraceQuery', entities: ['service=payments', 'time_range=1h'] },
  { text: 'traces with status 500 for auth', intent: 'TraceQuery', entities: ['status_code=500', 'service=auth'] },
  { text: 'which spans of cart take longer than 800ms', intent: 'TraceQuery', entities: ['service=cart'] },
  { text: 'error traces from the frontend in prod', intent: 'TraceQuery', entities: ['service=frontend', 'environment=production'] },
  // ServiceHealth
  { text: 'is checkout healthy?', intent: 'ServiceHealth', entities: ['service=checkout'] },
  { text: 'how is the payments service doing', intent: 'ServiceHealth', entities: ['service=payments'] },
  { text: 'health of auth in production', intent: 'ServiceHealth', entities: ['service=auth', 'environment=production'] },
  { text: 'is inventory up', intent: 'ServiceHealth', entities: ['service=inventory'] },
  { text: 'is search down right now?', intent: 'ServiceHealth', entities: ['service=search', 'time_range=5m'] },
  // AlertInvestigation
  { text: 'why is checkout alerting?', intent: 'AlertInvestigation', entities: ['service=checkout'] },
  { text: 'investigate the high latency alert on payments', intent: 'AlertInvestigation', entities: ['metric=latency', 'severity=high', 'service=payments'] },
  { text: 'what caused the auth outage', intent: 'AlertInvestigation', entities: ['service=auth'] },
  { text: 'which alerts are firing for cart', intent: 'AlertInvestigation', entities: ['service=cart'] },
  { text: 'dig into the frontend errors from the last hour', intent: 'AlertInvestigation', entities: ['service=frontend', 'time_range=1h'] },
  // IncidentCreate
  { text: 'open an incident for checkout, sev1', intent: 'IncidentCreate', entities: ['service=checkout', 'severity=critical'] },
  { text: 'declare a major incident on payments', intent: 'IncidentCreate', entities: ['severity=high', 'service=payments'] },
  { text: 'create an incident: auth logins failing', intent: 'IncidentCreate', entities: ['service=auth'] },
  { text: 'page the on-call for inventory', intent: 'IncidentCreate', entities: ['service=inventory'] },
  // IncidentUpdate
  { text: 'add a note to INC-1234: rollback started', intent: 'IncidentUpdate', entities: ['incident_id=INC-1234'] },
  { text: 'escalate incident INC-88 to critical', intent: 'IncidentUpdate', entities: ['incident_id=INC-88', 'severity=critical'] },
  { text: 'update the incident with the new error rate', intent: 'IncidentUpdate', entities: ['metric=error_rate'] },
  // IncidentResolve
  { text: 'resolve incident INC-1234', intent: 'IncidentResolve', entities: ['incident_id=INC-1234'] },
  { text: 'close the incident, the fix worked', intent: 'IncidentResolve', entities: [] },
  { text: 'mark INC-77 as resolved', intent: 'IncidentResolve', entities: ['incident_id=INC-77'] },
  // WorkflowTrigger
  { text: 'deploy auth v2.3.1 to production', intent: 'WorkflowTrigger', entities: ['runbook=deploy-service', 'service=auth', 'version=v2.3.1', 'environment=production'] },
  { text: 'please restart checkout in staging', intent: 'WorkflowTrigger', entities: ['runbook=restart-service', 'service=checkout', 'environment=staging'] },
  { text: 'scale payments to 6 replicas in prod', intent: 'WorkflowTrigger', entities: ['runbook=scale-service', 'service=payments', 'replicas=6', 'environment=production'] },
  { text: 'roll out frontend 1.4.0 to staging', intent: 'WorkflowTrigger', entities: ['runbook=deploy-service', 'service=frontend', 'version=1.4.0', 'environment=staging'] },
  { text: 'can you bounce the cart service', intent: 'WorkflowTrigger', entities: ['runbook=restart-service', 'service=cart'] },
  { text: 'run the restart-fleet runbook', intent: 'WorkflowTrigger', entities: ['runbook=restart-fleet'] },
  {
    text: 'rollback search to v1.9.2 in production',
    intent: 'WorkflowTrigger',
    entities: ['runbook=deploy-service', 'service=search', 'version=v1.9.2', 'environment=production'],
  },
  { text: 'restart it', intent: 'WorkflowTrigger', entities: ['runbook=restart-service'] },
  {
    text: 'deploy billing v3.0.0-rc.1 to staging',
    intent: 'WorkflowTrigger',
    entities: ['runbook=deploy-service', 'service=billing', 'version=v3.0.0-rc.1', 'environment=staging'],
  },
  // WorkflowStatus
  { text: "what's the status of that deploy?", intent: 'WorkflowStatus', entities: [] },
  { text: 'status?', intent: 'WorkflowStatus', entities: [] },
  { text: 'is it done yet', intent: 'WorkflowStatus', entities: [] },
  { text: 'how is the rollout going', intent: 'WorkflowStatus', entities: [] },
  { text: 'progress of run-3f2a9c1d7e', intent: 'WorkflowStatus', entities: ['run_id=run-3f2a9c1d7e'] },
  // WorkflowCancel
  { text: 'cancel it', intent: 'WorkflowCancel', entities: [] },
  { text: 'abort the deploy', intent: 'WorkflowCancel', entities: [] },
  { text: 'cancel run-8a7b6c5d4e', intent: 'WorkflowCancel', entities: ['run_id=run-8a7b6c5d4e'] },
  { text: 'stop the rollout please', intent: 'WorkflowCancel', entities: [] },
  // ApprovalDecision
  { text: 'approve', intent: 'ApprovalDecision', entities: ['decision=approve'] },
  { text: 'approve it', intent: 'ApprovalDecision', entities: ['decision=approve'] },
  { text: 'reject run-1a2b3c4d5e, wrong version', intent: 'ApprovalDecision', entities: ['decision=reject', 'run_id=run-1a2b3c4d5e'] },
  { text: 'lgtm', intent: 'ApprovalDecision', entities: ['decision=approve'] },
  { text: 'approve run-9f8e7d6c5b', intent: 'ApprovalDecision', entities: ['decision=approve', 'run_id=run-9f8e7d6c5b'] },
  // Tests
  { text: 'run the integration tests for checkout', intent: 'TestExecute', entities: ['service=checkout'] },
  { text: 'kick off the e2e suite for payments in staging', intent: 'TestExecute', entities: ['service=payments', 'environment=staging'] },
  { text: 'execute smoke tests on auth', intent: 'TestExecute', entities: ['service=auth'] },
  { text: 'generate unit tests for the cart service', intent: 'TestGenerate', entities: ['service=cart'] },
  { text: 'write regression tests for the login bug in auth', intent: 'TestGenerate', entities: ['service=auth'] },
  { text: "what's the test coverage of payments", intent: 'TestCoverage', entities: ['service=payments'] },
  { text: 'coverage report for inventory', intent: 'TestCoverage', entities: ['service=inventory'] },
  // GeneralQuery
  { text: 'what is a runbook?', intent: 'GeneralQuery', entities: [] },
  { text: 'how do approval gates work', intent: 'GeneralQuery', entities: [] },
  { text: 'explain four-eyes approvals', intent: 'GeneralQuery', entities: [] },
  { text: 'can you help me', intent: 'GeneralQuery', entities: [] },
  { text: 'which runbooks do we have?', intent: 'GeneralQuery', entities: [] },
  // Unknown
  { text: 'banana', intent: 'Unknown', entities: [] },
  { text: 'lorem ipsum dolor', intent: 'Unknown', entities: [] },
  { text: 'asdf qwer', intent: 'Unknown', entities: [] },
];

/**
 * Written after the rules were tuned on LABELLED and never used to tune them: its figures are
 * the honest estimate of the rules path on new phrasings.
 */
export const HELD_OUT: Labelled[] = [
  { text: 'give me the p95 for cart over the last 3 hours', intent: 'MetricQuery', entities: ['percentile=0.95', 'metric=latency', 'service=cart', 'time_range=3h'] },
  { text: 'error ratio for checkout in production', intent: 'MetricQuery', entities: ['metric=error_rate', 'service=checkout', 'environment=production'] },
  { text: 'how many requests per second is the gateway serving', intent: 'MetricQuery', entities: ['metric=request_rate', 'service=gateway'] },
  { text: 'memory usage of search over the past day', intent: 'MetricQuery', entities: ['metric=memory', 'service=search', 'time_range=1d'] },
  { text: 'chart cpu for payments-worker', intent: 'MetricQuery', entities: ['metric=cpu', 'service=payments-worker'] },
  { text: 'errors in the checkout logs over the last 10 minutes', intent: 'LogQuery', entities: ['log_level=error', 'service=checkout', 'time_range=10m'] },
  { text: 'pull the auth logs from staging', intent: 'LogQuery', entities: ['service=auth', 'environment=staging'] },
  { text: 'show me warnings from inventory logs today', intent: 'LogQuery', entities: ['log_level=warn', 'service=inventory', 'time_range=anchored'] },
  { text: 'any exceptions for orders since 8:15?', intent: 'LogQuery', entities: ['log_level=error', 'service=orders', 'time_range=anchored'] },
  { text: 'trace the slow requests on checkout', intent: 'TraceQuery', entities: ['service=checkout'] },
  { text: 'show me traces where payments returned 502', intent: 'TraceQuery', entities: ['service=payments', 'status_code=502'] },
  { text: 'is the auth service healthy in prod', intent: 'ServiceHealth', entities: ['service=auth', 'environment=production'] },
  { text: 'is frontend ok?', intent: 'ServiceHealth', entities: ['service=frontend'] },
  { text: 'why are we getting paged for inventory', intent: 'AlertInvestigation', entities: ['service=inventory'] },
  { text: 'triage the payments alert', intent: 'AlertInvestigation', entities: ['service=payments'] },
  { text: 'raise a sev2 incident for search', intent: 'IncidentCreate', entities: ['severity=high', 'service=search'] },
  { text: 'note on INC-4321: customers see timeouts', intent: 'IncidentUpdate', entities: ['incident_id=INC-4321'] },
  { text: 'INC-4321 is resolved', intent: 'IncidentResolve', entities: ['incident_id=INC-4321'] },
  { text: 'ship checkout v5.2.0 to prod', intent: 'WorkflowTrigger', entities: ['runbook=deploy-service', 'service=checkout', 'version=v5.2.0', 'environment=production'] },
  { text: "let's restart the payments service in production", intent: 'WorkflowTrigger', entities: ['runbook=restart-service', 'service=payments', 'environment=production'] },
  { text: 'scale search to 3 in staging', intent: 'WorkflowTrigger', entities: ['runbook=scale-service', 'service=search', 'replicas=3', 'environment=staging'] },
  { text: 'did it succeed?', intent: 'WorkflowStatus', entities: [] },
  { text: "what's the status of run-abcdef1234", intent: 'WorkflowStatus', entities: ['run_id=run-abcdef1234'] },
  { text: 'abort it', intent: 'WorkflowCancel', entities: [] },
  { text: 'approved', intent: 'ApprovalDecision', entities: ['decision=approve'] },
  { text: 'reject it, not during the freeze', intent: 'ApprovalDecision', entities: ['decision=reject'] },
  { text: 'run the tests for inventory', intent: 'TestExecute', entities: ['service=inventory'] },
  { text: 'add tests for the checkout refund path', intent: 'TestGenerate', entities: ['service=checkout'] },
  { text: 'how good is the coverage on auth', intent: 'TestCoverage', entities: ['service=auth'] },
  { text: 'what does the deploy-service runbook do?', intent: 'GeneralQuery', entities: ['runbook=deploy-service'] },
  { text: 'tell me about continue-as-new', intent: 'GeneralQuery', entities: [] },
  { text: 'purple monkey dishwasher', intent: 'Unknown', entities: [] },
];
