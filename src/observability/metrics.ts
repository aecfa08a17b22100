// Prometheus metrics (prom-client). One registry per process, shared by the API and the worker,
// served by the API at GET /metrics. Labels carry route templates and statuses, never ids.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  onboardingsStarted: Counter<'outcome'>;
  webhooksReceived: Counter<'type' | 'outcome'>;
  opsAuthFailures: Counter<'outcome'>;
  messagesRefused: Counter<'message'>;
}

export function createMetrics({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency, by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers: [registry],
    }),
    onboardingsStarted: new Counter({
      name: 'onboardings_started_total',
      help: 'POST /onboardings outcomes: started, replayed (same Idempotency-Key), conflict',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    messagesRefused: new Counter({
      name: 'onboarding_messages_refused_total',
      help: 'Messages from outside refused past their per-onboarding bound (abuse limits), by message',
      labelNames: ['message'] as const,
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: 'partner_webhooks_total',
      help: 'Partner webhook deliveries, by event type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    opsAuthFailures: new Counter({
      name: 'ops_auth_failures_total',
      help: 'Calls with a wrong ops key: rejected (401), or throttled (429) once an address failed too often',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}
