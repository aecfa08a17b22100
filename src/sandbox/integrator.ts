// The integrator's back office, as the sandbox stands in for it: a receiver of the service's
// outbound events (POST /integrator/events) that checks each Standard Webhooks signature with
// the `standardwebhooks` library and the shared INTEGRATOR_WEBHOOK_SECRET, answers 204 when it
// verifies (401 when not), and keeps what arrived in memory. GET /integrator/ shows it as a page,
// GET /integrator/events.json as JSON; newest first, at most the last 1,000.
import express, { type Router } from 'express';
import { Webhook } from 'standardwebhooks';
import { escapeHtml } from './html';

export interface IntegratorArrival {
  receivedAt: string;
  webhookId: string;
  webhookTimestamp: string;
  verified: boolean;
  /** Why the signature did not verify. */
  verifyError?: string;
  /** This webhook-id arrived before (a retry or a redelivery). */
  repeat: boolean;
  status: number;
  type?: string;
  onboardingId?: string;
  seq?: number;
  stage?: string;
  previousStage?: string | null;
  body: unknown;
}

const KEEP = 1_000;

export function integratorRouter(secret: string): { router: Router; arrivals: () => IntegratorArrival[] } {
  const verifier = new Webhook(secret);
  const arrivals: IntegratorArrival[] = [];
  const seen = new Set<string>();
  const router = express.Router();

  // The raw body: the signature covers the exact bytes sent.
  router.post('/events', express.text({ type: '*/*', limit: '256kb' }), (req, res) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const headers = {
      'webhook-id': req.get('webhook-id') ?? '',
      'webhook-timestamp': req.get('webhook-timestamp') ?? '',
      'webhook-signature': req.get('webhook-signature') ?? '',
    };
    let verified = true;
    let verifyError: string | undefined;
    try {
      verifier.verify(raw, headers);
    } catch (err) {
      verified = false;
      verifyError = err instanceof Error ? err.message : String(err);
    }
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      /* shown as received */
    }
    const data = (body as { data?: Record<string, unknown> } | undefined)?.data ?? {};
    const status = verified ? 204 : 401;
    arrivals.unshift({
      receivedAt: new Date().toISOString(),
      webhookId: headers['webhook-id'],
      webhookTimestamp: headers['webhook-timestamp'],
      verified,
      ...(verifyError ? { verifyError } : {}),
      repeat: seen.has(headers['webhook-id']),
      status,
      ...(typeof (body as { type?: unknown })?.type === 'string' ? { type: (body as { type: string }).type } : {}),
      ...(typeof data.onboardingId === 'string' ? { onboardingId: data.onboardingId } : {}),
      ...(typeof data.seq === 'number' ? { seq: data.seq } : {}),
      ...(typeof data.stage === 'string' ? { stage: data.stage } : {}),
      ...(data.previousStage === null || typeof data.previousStage === 'string' ? { previousStage: data.previousStage } : {}),
      body,
    });
    if (verified) seen.add(headers['webhook-id']);
    arrivals.length = Math.min(arrivals.length, KEEP);
    res.status(status).end();
  });

  router.get('/events.json', (_req, res) => {
    res.status(200).json({ items: arrivals });
  });

  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).type('text/html; charset=utf-8').send(receiverPage(arrivals));
  });

  return { router, arrivals: () => [...arrivals] };
}

function receiverPage(arrivals: IntegratorArrival[]): string {
  const rows = arrivals
    .map(
      (a) =>
        `<tr class="${a.verified ? 'ok' : 'bad'}"><td>${escapeHtml(a.receivedAt)}</td>` +
        `<td>${a.verified ? '✔ verified' : `✘ not verified: ${escapeHtml(a.verifyError ?? '')}`}</td>` +
        `<td>${escapeHtml(a.onboardingId ?? '')}</td><td>${a.seq ?? ''}</td>` +
        `<td>${escapeHtml(a.previousStage ?? '—')} → ${escapeHtml(a.stage ?? '')}</td>` +
        `<td><code>${escapeHtml(a.webhookId)}</code>${a.repeat ? ' (repeat)' : ''}</td>` +
        `<td><details><summary>body</summary><pre>${escapeHtml(JSON.stringify(a.body, null, 2))}</pre></details></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>Integrator back office: events received</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#1a1a1a}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
tr.bad td{background:#fdecea}pre{white-space:pre-wrap;margin:0}</style></head>
<body><h1>Integrator back office: events received</h1>
<p>${arrivals.length} event(s) arrived (newest first; refreshes every 5 s). Each is checked with the Standard Webhooks signature and INTEGRATOR_WEBHOOK_SECRET.</p>
<table><thead><tr><th>Received</th><th>Signature</th><th>Onboarding</th><th>Seq</th><th>Stage</th><th>webhook-id</th><th></th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">Nothing yet.</td></tr>'}
</tbody></table>
<p>A stand-in of the integrator's back office in the provider sandbox.</p></body></html>`;
}
