import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from './routeTemplate';

/**
 * OpenTelemetry tracing, configured only by the standard OTEL_* variables and off when no OTLP
 * endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT; the exporter
 * also reads OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT, the batch processor OTEL_BSP_*, resources
 * OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES). One trace runs from the HTTP request through the
 * Temporal client call into the workflow and each of its activities: the API's server span is the
 * active context when the client starts, signals or updates a workflow, and Temporal's interceptors
 * carry it in the workflow's headers (workflow spans leave the sandbox through a sink).
 * The SDK, exporter and Temporal interceptors (~600 modules) load only when tracing is on: the
 * no-op `@opentelemetry/api` is all a process without an endpoint carries (issue #16, idle RSS).
 */
export interface Tracing {
  enabled: boolean;
  /** For the worker's OpenTelemetryPlugin (workflow spans are exported through it). */
  spanProcessor?: SpanProcessor;
  resource?: Resource;
  /** Puts the active trace context into workflow headers. */
  clientInterceptor?: WorkflowClientInterceptor;
  shutdown(): Promise<void>;
}

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingEnabled(env)) return { enabled: false, shutdown: async () => undefined };
  const [
    { OTLPTraceExporter },
    { detectResourcesSync, envDetectorSync, processDetectorSync, Resource },
    { BatchSpanProcessor },
    { NodeTracerProvider },
    { OpenTelemetryWorkflowClientInterceptor },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-proto'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const detected = detectResourcesSync({ detectors: [envDetectorSync, processDetectorSync] });
  // OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over our default name.
  const resource = new Resource({ 'service.name': serviceName }).merge(detected);
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // AsyncLocalStorage context manager and W3C trace-context + baggage propagators.
  provider.register();
  return { enabled: true, spanProcessor, resource, clientInterceptor: new OpenTelemetryWorkflowClientInterceptor(), shutdown: () => provider.shutdown() };
}

/** Client interceptors that put the active trace context into workflow headers (empty when tracing is off). */
export function temporalClientInterceptors(tracing: Tracing) {
  return tracing.clientInterceptor ? { workflow: [tracing.clientInterceptor] } : {};
}

/**
 * A SERVER span per HTTP request, continuing a caller's `traceparent`; named by route template once
 * routing is done. Handlers run inside it, so their Temporal calls and log lines carry its ids.
 */
export function httpTracing() {
  const tracer = trace.getTracer('copilot-api');
  return (req: Request, res: Response, next: NextFunction): void => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(req.method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
    // The request log line is written on 'close', outside this context: it reads the ids from here.
    const ids = span.spanContext();
    if (trace.isSpanContextValid(ids)) res.locals.traceIds = { traceId: ids.traceId, spanId: ids.spanId };
    res.once('close', () => {
      const route = routeTemplate(req);
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/** Trace ids of the active span for log lines (pino mixin); nothing when there is none. */
export function activeTraceIds(): { traceId?: string; spanId?: string } {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
}
