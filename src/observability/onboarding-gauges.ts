// Onboarding-level gauges the API can see without the worker: how many running onboardings sit in
// each stage, and how many need attention, counted through Temporal visibility when /metrics is
// scraped. The counts are cached for a short while, so frequent scrapes (or several Prometheus
// replicas) cost at most one round of count queries per cache period; when Temporal cannot answer,
// the last counts stay and onboarding_visibility_errors_total goes up.
import type { Client } from '@temporalio/client';
import { Counter, Gauge, type Registry } from 'prom-client';
import { STAGES, isEndStage } from '../domain/onboarding';
import { countByStage } from '../ops/onboardings';
import type { Logger } from './logger';

export const GAUGE_CACHE_MS = 15_000;

export function registerOnboardingGauges(registry: Registry, client: Client, { cacheMs = GAUGE_CACHE_MS, logger }: { cacheMs?: number; logger?: Logger } = {}): void {
  if (registry.getSingleMetric('onboardings_in_stage')) return;
  let cached: { at: number; counts: Awaited<ReturnType<typeof countByStage>> } | undefined;
  let inflight: Promise<void> | undefined;

  const errors = new Counter({
    name: 'onboarding_visibility_errors_total',
    help: 'Visibility count queries for the onboarding gauges that failed (the gauges keep their last values)',
    registers: [registry],
  });

  const refresh = async (): Promise<void> => {
    if (cached && Date.now() - cached.at < cacheMs) return;
    inflight ??= (async () => {
      try {
        const counts = await client.withDeadline(Date.now() + 3_000, () => countByStage(client));
        cached = { at: Date.now(), counts };
      } catch (err) {
        errors.inc();
        logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'onboarding gauges: visibility count failed');
      } finally {
        inflight = undefined;
      }
    })();
    await inflight;
  };

  new Gauge({
    name: 'onboardings_in_stage',
    help: 'Running onboardings by current stage (Temporal visibility, cached up to 15 s)',
    labelNames: ['stage'] as const,
    registers: [registry],
    async collect() {
      await refresh();
      if (!cached) return;
      for (const stage of STAGES) {
        if (!isEndStage(stage)) this.set({ stage }, cached.counts.byStage[stage] ?? 0);
      }
    },
  });

  new Gauge({
    name: 'onboardings_needing_attention',
    help: 'Running onboardings whose current step keeps failing (flagged for ops; Temporal visibility, cached up to 15 s)',
    registers: [registry],
    async collect() {
      await refresh();
      if (cached) this.set(cached.counts.needsAttention);
    },
  });
}
