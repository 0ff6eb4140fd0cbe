/**
 * What to ask Prometheus, per exporter family and naming convention — as DATA, not code. An entry
 * runs only when every metric it `requires` exists in the target's vocabulary (discovery), so a
 * cluster with node_exporter and Micrometer gets those queries and nobody's `http_requests_total`.
 *
 * Query templates: `$sel` inside a selector's braces becomes the scope matchers (cluster,
 * namespace, …; the comma is handled), `$w` the rate window. Each query groups by `by`: the
 * labels that identify a component for that family; the first identity label present on a result
 * series names the component (see discovery/identity.ts). `change` says which way is bad.
 */
import type { EvidenceKind } from '../types';

export interface FamilyQuery {
  /** `<family>.<signal>`, stable: evaluations and tests refer to it. */
  id: string;
  family: string;
  kind: Extract<EvidenceKind, 'error_rate' | 'latency' | 'saturation' | 'availability'>;
  requires: string[];
  query: string;
  change: 'rise' | 'drop';
  /** What it means when it moves the bad way (the cause in the hypothesis statement). */
  cause: string;
  /** Signal weight: `base` at a 1.5× change, growing with log10 of the ratio up to `max`. */
  base: number;
  max: number;
  /** Name the component this, whatever the series' labels (e.g. `redis` for redis_exporter). */
  component?: string;
  /**
   * Name the component by this label's value, whatever else the series carries: `instance` for
   * node_exporter, whose component is the host — the same host whether a catalogue query
   * (`by (instance)`) or the alert's own expression (which keeps `job="node"`) saw it.
   */
  componentLabel?: string;
  /** A level worth blaming: the mean after the start must reach it (CPU jitter from 1 % to 2 % is no cause). */
  minAfter?: number;
  /**
   * The query is a share of a capacity (0..1: CPU busy, disk used, connections of max). A host
   * already 70 % busy can only rise 1.4× however hard it is hogged, so the fall of the headroom
   * (idle 0.3 → 0.01 is 30× less) counts as the change when it is the larger of the two.
   */
  share?: boolean;
}

const SVC = 'service, service_name, app_kubernetes_io_name, app, job';

export const FAMILY_QUERIES: readonly FamilyQuery[] = [
  // The project's own convention (the templates investigations always ran).
  {
    id: 'convention.errors',
    family: 'convention',
    kind: 'error_rate',
    requires: ['http_requests_total'],
    query: `sum by (service) (rate(http_requests_total{status=~"5..",$sel}[$w]))`,
    change: 'rise',
    cause: 'error rate',
    base: 0.35,
    max: 0.6,
  },
  {
    id: 'convention.latency',
    family: 'convention',
    kind: 'latency',
    requires: ['http_request_duration_seconds_bucket'],
    query: `histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{$sel}[$w])))`,
    change: 'rise',
    cause: 'p95 latency',
    base: 0.25,
    max: 0.45,
  },
  {
    id: 'convention.cpu',
    family: 'convention',
    kind: 'saturation',
    requires: ['process_cpu_seconds_total'],
    query: `max by (service) (rate(process_cpu_seconds_total{$sel}[$w]))`,
    change: 'rise',
    cause: 'CPU',
    base: 0.1,
    max: 0.2,
  },
  // OpenTelemetry semantic conventions (HTTP server metrics, Prometheus exporter naming).
  {
    id: 'otel.errors',
    family: 'otel',
    kind: 'error_rate',
    requires: ['http_server_request_duration_seconds_count'],
    query: `sum by (${SVC}) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5..",$sel}[$w]))`,
    change: 'rise',
    cause: 'HTTP 5xx rate',
    base: 0.35,
    max: 0.6,
  },
  {
    id: 'otel.latency',
    family: 'otel',
    kind: 'latency',
    requires: ['http_server_request_duration_seconds_bucket'],
    query: `histogram_quantile(0.95, sum by (${SVC}, le) (rate(http_server_request_duration_seconds_bucket{$sel}[$w])))`,
    change: 'rise',
    cause: 'p95 latency',
    base: 0.25,
    max: 0.45,
  },
  {
    id: 'otel.client.latency',
    family: 'otel',
    kind: 'latency',
    requires: ['http_client_request_duration_seconds_bucket'],
    query: `histogram_quantile(0.95, sum by (server_address, le) (rate(http_client_request_duration_seconds_bucket{$sel}[$w])))`,
    change: 'rise',
    cause: 'p95 latency seen by its callers',
    base: 0.3,
    max: 0.5,
  },
  // Micrometer (Spring Boot actuator).
  {
    id: 'micrometer.errors',
    family: 'micrometer',
    kind: 'error_rate',
    requires: ['http_server_requests_seconds_count'],
    query: `sum by (${SVC}) (rate(http_server_requests_seconds_count{status=~"5..",$sel}[$w]))`,
    change: 'rise',
    cause: 'HTTP 5xx rate',
    base: 0.35,
    max: 0.6,
  },
  {
    id: 'micrometer.latency',
    family: 'micrometer',
    kind: 'latency',
    requires: ['http_server_requests_seconds_bucket'],
    query: `histogram_quantile(0.95, sum by (${SVC}, le) (rate(http_server_requests_seconds_bucket{$sel}[$w])))`,
    change: 'rise',
    cause: 'p95 latency',
    base: 0.25,
    max: 0.45,
  },
  // ingress-nginx and Envoy: the edge sees every service behind it.
  {
    id: 'ingress-nginx.errors',
    family: 'ingress-nginx',
    kind: 'error_rate',
    requires: ['nginx_ingress_controller_requests'],
    query: `sum by (service, ingress) (rate(nginx_ingress_controller_requests{status=~"5..",$sel}[$w]))`,
    change: 'rise',
    cause: 'ingress 5xx rate',
    base: 0.3,
    max: 0.55,
  },
  {
    id: 'ingress-nginx.latency',
    family: 'ingress-nginx',
    kind: 'latency',
    requires: ['nginx_ingress_controller_request_duration_seconds_bucket'],
    query: `histogram_quantile(0.95, sum by (service, ingress, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{$sel}[$w])))`,
    change: 'rise',
    cause: 'ingress p95 latency',
    base: 0.2,
    max: 0.4,
  },
  {
    id: 'envoy.errors',
    family: 'envoy',
    kind: 'error_rate',
    requires: ['envoy_cluster_upstream_rq_xx'],
    query: `sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5",$sel}[$w]))`,
    change: 'rise',
    cause: 'upstream 5xx rate (Envoy)',
    base: 0.3,
    max: 0.55,
  },
  // Exporters of dependencies.
  {
    id: 'redis.up',
    family: 'redis_exporter',
    kind: 'availability',
    requires: ['redis_up'],
    query: `min by (job, instance) (redis_up{$sel})`,
    change: 'drop',
    cause: 'Redis is down (redis_up = 0)',
    base: 0.55,
    max: 0.7,
    component: 'redis',
  },
  {
    id: 'redis.clients',
    family: 'redis_exporter',
    kind: 'saturation',
    requires: ['redis_connected_clients'],
    query: `max by (job, instance) (redis_connected_clients{$sel})`,
    change: 'rise',
    cause: 'Redis connected clients',
    base: 0.1,
    max: 0.25,
    component: 'redis',
  },
  {
    id: 'postgres.up',
    family: 'postgres_exporter',
    kind: 'availability',
    requires: ['pg_up'],
    query: `min by (job, instance) (pg_up{$sel})`,
    change: 'drop',
    cause: 'PostgreSQL is down (pg_up = 0)',
    base: 0.55,
    max: 0.7,
    component: 'postgres',
  },
  {
    id: 'postgres.connections',
    family: 'postgres_exporter',
    kind: 'saturation',
    requires: ['pg_stat_activity_count', 'pg_settings_max_connections'],
    query: `sum by (job, instance) (pg_stat_activity_count{$sel}) / on (job, instance) max by (job, instance) (pg_settings_max_connections{$sel})`,
    change: 'rise',
    cause: 'PostgreSQL connections used (share of max_connections)',
    base: 0.35,
    max: 0.6,
    component: 'postgres',
    minAfter: 0.7,
    share: true,
  },
  {
    id: 'postgres.locks',
    family: 'postgres_exporter',
    kind: 'saturation',
    requires: ['pg_locks_count'],
    query: `sum by (job, instance) (pg_locks_count{mode=~"exclusivelock|accessexclusivelock|rowexclusivelock",$sel})`,
    change: 'rise',
    cause: 'PostgreSQL exclusive locks held',
    base: 0.3,
    max: 0.5,
    component: 'postgres',
  },
  {
    id: 'mysql.up',
    family: 'mysqld_exporter',
    kind: 'availability',
    requires: ['mysql_up'],
    query: `min by (job, instance) (mysql_up{$sel})`,
    change: 'drop',
    cause: 'MySQL is down (mysql_up = 0)',
    base: 0.55,
    max: 0.7,
    component: 'mysql',
  },
  {
    id: 'mysql.connections',
    family: 'mysqld_exporter',
    kind: 'saturation',
    requires: ['mysql_global_status_threads_connected', 'mysql_global_variables_max_connections'],
    query: `max by (job, instance) (mysql_global_status_threads_connected{$sel}) / on (job, instance) max by (job, instance) (mysql_global_variables_max_connections{$sel})`,
    change: 'rise',
    cause: 'MySQL connections used (share of max_connections)',
    base: 0.35,
    max: 0.6,
    component: 'mysql',
    minAfter: 0.7,
    share: true,
  },
  // Hosts (node_exporter): USE.
  {
    id: 'node.cpu',
    family: 'node_exporter',
    kind: 'saturation',
    requires: ['node_cpu_seconds_total'],
    query: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",$sel}[$w]))`,
    change: 'rise',
    cause: 'host CPU busy',
    base: 0.3,
    max: 0.5,
    minAfter: 0.5,
    share: true,
    componentLabel: 'instance',
  },
  {
    id: 'node.filesystem',
    family: 'node_exporter',
    kind: 'saturation',
    requires: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'],
    query: `max by (instance, mountpoint) (1 - node_filesystem_avail_bytes{fstype!~"rootfs|overlay|squashfs",$sel} / node_filesystem_size_bytes{fstype!~"rootfs|overlay|squashfs",$sel})`,
    change: 'rise',
    cause: 'filesystem filling up',
    base: 0.35,
    max: 0.6,
    minAfter: 0.8,
    share: true,
    componentLabel: 'instance',
  },
  {
    id: 'node.memory',
    family: 'node_exporter',
    kind: 'saturation',
    requires: ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'],
    query: `1 - max by (instance) (node_memory_MemAvailable_bytes{$sel}) / max by (instance) (node_memory_MemTotal_bytes{$sel})`,
    change: 'rise',
    cause: 'host memory used',
    base: 0.2,
    max: 0.4,
    minAfter: 0.85,
    share: true,
    componentLabel: 'instance',
  },
  // Kubernetes: kube-state-metrics and cAdvisor.
  {
    id: 'kube.restarts',
    family: 'kube-state-metrics',
    kind: 'availability',
    requires: ['kube_pod_container_status_restarts_total'],
    query: `sum by (namespace, container) (increase(kube_pod_container_status_restarts_total{$sel}[$w]))`,
    change: 'rise',
    cause: 'container restarts',
    base: 0.35,
    max: 0.55,
  },
  {
    id: 'kube.unavailable',
    family: 'kube-state-metrics',
    kind: 'availability',
    requires: ['kube_deployment_status_replicas_unavailable'],
    query: `max by (namespace, deployment) (kube_deployment_status_replicas_unavailable{$sel})`,
    change: 'rise',
    cause: 'deployment replicas unavailable',
    base: 0.35,
    max: 0.55,
  },
  {
    id: 'cadvisor.cpu',
    family: 'cadvisor',
    kind: 'saturation',
    requires: ['container_cpu_usage_seconds_total'],
    query: `sum by (namespace, container) (rate(container_cpu_usage_seconds_total{container!="",$sel}[$w]))`,
    change: 'rise',
    cause: 'container CPU',
    base: 0.15,
    max: 0.3,
  },
  {
    id: 'cadvisor.memory',
    family: 'cadvisor',
    kind: 'saturation',
    requires: ['container_memory_working_set_bytes'],
    query: `max by (namespace, container) (container_memory_working_set_bytes{container!="",$sel})`,
    change: 'rise',
    cause: 'container memory',
    base: 0.15,
    max: 0.3,
  },
  // Any scrape target: a target that stopped answering.
  {
    id: 'scrape.up',
    family: 'prometheus',
    kind: 'availability',
    requires: ['up'],
    query: `min by (job, instance) (up{$sel})`,
    change: 'drop',
    cause: 'scrape target down (up = 0)',
    base: 0.4,
    max: 0.6,
  },
];

/** Labels that identify a service or component, most specific naming first. */
export const IDENTITY_LABELS: readonly string[] = [
  'service',
  'service_name',
  'app_kubernetes_io_name',
  'app',
  'envoy_cluster_name',
  'ingress',
  'deployment',
  'container',
  'job',
  'pod',
  'server_address',
  'instance',
];
