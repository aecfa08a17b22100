// The ops console in a real browser (Debian's Chromium driven by playwright-core) against the whole
// stack: the API, a real Temporal dev server, the real worker, the provider sandbox and a real
// PostgreSQL record (the funnel, the search by person and the trail come from it). Ops sign in with
// a named key (OPS_API_KEYS), so the trail names them. Screenshots go under test-results/; with
// UPDATE_DOCS_SCREENSHOT=1 they replace docs/console-*.png, the README's pictures.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../src/local/chromium';
import { Journey, call, newPerson } from '../e2e/journey';
import { OPS_API_KEY, type Stack } from '../e2e/stack';
import { type OpsStack, onboardingWithFailingFinalize, startOpsStack } from '../support/ops-stack';

const ALICE_KEY = 'alice-console-key-0123456789';
/** The record and Temporal's visibility are written after the fact: polls on them get this long. */
const RECORD_WRITTEN = { timeout: 30_000, interval: 300 };
/** What the page shows after an API call: a bound for a busy machine, not a timing. */
const UI = { timeout: 15_000, interval: 100 };
const SCREENSHOTS = process.env.UPDATE_DOCS_SCREENSHOT ? path.resolve(__dirname, '..', '..', 'docs') : path.resolve(__dirname, '..', '..', 'test-results');

const TEMPORAL_UI_URL = 'http://localhost:8233';
let opsStack: OpsStack;
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // Flag a failing step after 2 s; the slow retries are an hour apart, so only a retry moves it on.
  opsStack = await startOpsStack({ stepAttentionAfter: '2s', env: { OPS_API_KEYS: `alice:${ALICE_KEY}`, TEMPORAL_UI_URL } });
  stack = opsStack.stack;
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await opsStack?.close();
});

const ops = (method: string, p: string, body?: unknown) => call(stack.apiUrl, method, p, { token: OPS_API_KEY, ...(body !== undefined ? { body } : {}) });
const stageOf = async (id: string) => ((await ops('GET', `/ops/onboardings/${id}`)).body as { stage: string }).stage;

/** A console page signed in as alice; page errors are collected to be asserted empty. */
async function signedIn(errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${stack.apiUrl}/ops/console`);
  await page.fill('#key', ALICE_KEY);
  await page.click('#save-key');
  await expect.poll(() => page.textContent('#whoami'), UI).toBe('Signed in as alice');
  return page;
}

function screenshot(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, `console-${name}.png`);
}

describe('the ops console', () => {
  it('asks GET /ops/whoami who is signed in: the key’s identity, and 401 without a key', async () => {
    expect(await call(stack.apiUrl, 'GET', '/ops/whoami', { token: ALICE_KEY })).toMatchObject({ status: 200, body: { actor: 'alice' } });
    expect(await ops('GET', '/ops/whoami')).toMatchObject({ status: 200, body: { actor: 'ops' } });
    const refused = await call(stack.apiUrl, 'GET', '/ops/whoami', { token: 'not-a-key-0123456789abcdef' });
    expect(refused.status).toBe(401);
    expect(refused.contentType).toContain('application/problem+json');
  });

  it('finds a failing finalize from the funnel, retries it once healed, and the trail names the actor', async () => {
    const { journey: j, switchId } = await onboardingWithFailingFinalize(stack);
    await j.waitFor('the failing finalize flagged', (v) => v.needsAttention);

    const errors: string[] = [];
    const anonymous = await browser.newPage();
    try {
      // Without the key the page shows nothing and asks for it.
      await anonymous.goto(`${stack.apiUrl}/ops/console`);
      await expect.poll(() => anonymous.textContent('#message'), UI).toContain('Enter the ops API key');
      expect(await anonymous.textContent('#whoami')).toBe('Not signed in');
      expect(await anonymous.locator('#list tbody tr').count()).toBe(0);
      expect(await anonymous.locator('#funnel svg').count()).toBe(0);
    } finally {
      await anonymous.close();
    }

    const page = await signedIn(errors);
    try {
      // The funnel counts it in FINALIZING; its bar, chosen from the keyboard, lists that stage.
      const bar = page.locator('#funnel [data-stage="FINALIZING"]');
      await expect
        .poll(async () => {
          await page.click('#refresh-stats');
          return bar.getAttribute('aria-label');
        }, RECORD_WRITTEN)
        .toBe('FINALIZING: 1 running; list them');
      expect(await page.locator('#funnel [data-stage]:not([data-reason])').count()).toBe(19);
      expect(await page.locator('#durations [data-stage="AWAITING_EMAIL_CODE"]').count()).toBe(1);
      await bar.focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.inputValue('#stage'), UI).toBe('FINALIZING');
      const row = page.locator(`#list tbody tr[data-id="${j.onboardingId}"]`);
      // The list comes from Temporal's visibility, a second or so behind: choose the bar again until it shows.
      await expect
        .poll(async () => {
          await page.locator('#list[aria-busy="false"]').waitFor();
          if ((await row.count()) === 0) await bar.press('Enter');
          await page.locator('#list[aria-busy="false"]').waitFor();
          return row.count();
        }, RECORD_WRITTEN)
        .toBe(1);
      expect(await row.textContent()).toContain('needs attention');
      // The list's last error as the view's: the step, the provider's status, the attempts, since when.
      expect(await row.textContent()).toMatch(/ProviderUnavailable at finalizeIdentification, provider answered 503, \d+ attempts, since /);
      await page.screenshot({ path: screenshot('funnel'), fullPage: true });

      // The detail: the pending step with its last failure, the ids; retry offered, restart not.
      await row.locator('button').click();
      await expect.poll(() => page.textContent('#detail-id'), UI).toBe(j.onboardingId);
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('detail-title');
      const failure = await page.textContent('#detail-error');
      expect(failure).toContain('ProviderUnavailable at finalizeIdentification');
      expect(failure).toContain('provider answered 503');
      expect(await page.textContent('#detail-ids')).toContain(`workflowId onboarding-${j.onboardingId}`);
      // The workflow in the Temporal UI (TEMPORAL_UI_URL), opened in a new tab.
      const { runId } = (await ops('GET', `/ops/onboardings/${j.onboardingId}`)).body as { runId: string };
      expect(await page.getAttribute('#detail-temporal', 'href')).toBe(`${TEMPORAL_UI_URL}/namespaces/${stack.namespace}/workflows/onboarding-${j.onboardingId}/${runId}/history`);
      expect(await page.getAttribute('#detail-temporal', 'target')).toBe('_blank');
      expect(await page.isVisible('#detail-temporal')).toBe(true);
      expect(await page.isVisible('#btn-retry')).toBe(true);
      expect(await page.isVisible('#btn-restart')).toBe(false);
      await expect.poll(() => page.textContent('#trail'), RECORD_WRITTEN).toContain('provider failure at finalizeIdentification: ProviderUnavailable');

      // The provider heals; alice presses Retry and the onboarding moves on at once.
      await stack.control.removeSwitch(switchId);
      await page.click('#btn-retry');
      await expect.poll(() => page.textContent('#detail-message'), UI).toContain(`retry accepted for ${j.onboardingId}`);
      await expect.poll(() => page.textContent('#detail-stage'), { timeout: 30_000 }).toBe('AWAITING_PARTNER_KYC');
      await expect.poll(() => page.textContent('#detail-attention'), UI).toBe('ok');
      await expect.poll(() => page.isVisible('#btn-retry'), UI).toBe(false);
      await expect.poll(() => page.textContent('#trail'), RECORD_WRITTEN).toContain('ops action retry by alice');
      // The stage after the retry reaches the record with the next write (AWAITING_PARTNER_KYC), on its own time.
      await expect.poll(() => page.textContent('#trail'), RECORD_WRITTEN).toContain('stage FINALIZING → CREATING_PARTNER_ACCOUNT');
      await page.screenshot({ path: screenshot('detail'), fullPage: true });
      expect(errors).toEqual([]);

      // Forgetting the key clears everything the page showed.
      await page.click('#forget-key');
      expect(await page.locator('#list tbody tr').count()).toBe(0);
      expect(await page.isVisible('#detail')).toBe(false);
      expect(await page.textContent('#whoami')).toBe('Not signed in');
      expect(await page.evaluate('window.sessionStorage.length')).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('finds an onboarding by the person’s e-mail, and refuses a search without one', async () => {
    const wanted = new Journey(stack.apiUrl, stack.control, newPerson());
    const other = new Journey(stack.apiUrl, stack.control, newPerson());
    await wanted.start();
    await other.start();
    const errors: string[] = [];
    const page = await signedIn(errors);
    try {
      await page.click('#find');
      await expect.poll(() => page.textContent('#message'), UI).toContain('Give an e-mail or a phone number');

      await page.fill('#search-email', wanted.person.email);
      const row = page.locator(`#list tbody tr[data-id="${wanted.onboardingId}"]`);
      // The record is written by the worker: search until it has the onboarding.
      await expect
        .poll(
          async () => {
            await page.click('#find');
            await page.locator('#list[aria-busy="false"]').waitFor();
            return row.count();
          },
          RECORD_WRITTEN,
        )
        .toBe(1);
      expect(await page.locator('#list tbody tr').count()).toBe(1);
      expect(await page.locator(`#list tbody tr[data-id="${other.onboardingId}"]`).count()).toBe(0);
      await row.locator('button').click();
      await expect.poll(() => page.textContent('#detail-id'), UI).toBe(wanted.onboardingId);
      // Nothing is failing and identification has not failed: only cancel is offered.
      expect(await page.isVisible('#btn-retry')).toBe(false);
      expect(await page.isVisible('#btn-restart')).toBe(false);
      expect(await page.isVisible('#btn-cancel')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('previews a batch cancel as a dry run, changing nothing, then runs it', async () => {
    const waiting = [new Journey(stack.apiUrl, stack.control, newPerson()), new Journey(stack.apiUrl, stack.control, newPerson())];
    for (const j of waiting) await j.start();
    for (const j of waiting) await j.waitForStage('AWAITING_EMAIL_CODE');
    const errors: string[] = [];
    const page = await signedIn(errors);
    try {
      await page.selectOption('#stage', 'AWAITING_EMAIL_CODE');
      await page.click('#search');
      await page.selectOption('#batch-action', 'cancel');
      expect(await page.isDisabled('#batch-run')).toBe(true);

      // A cancel needs a reason: the preview says so and sends nothing.
      await page.click('#batch-preview');
      await expect.poll(() => page.textContent('#batch-message'), UI).toContain('Give a reason to cancel');
      await page.fill('#batch-reason', 'duplicate sign-ups');

      // The dry run lists both and does nothing to them.
      await expect
        .poll(async () => {
          await page.click('#batch-preview');
          await expect.poll(() => page.textContent('#batch-message'), UI).toContain('Dry run');
          return page.locator('#batch-results tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
        }, RECORD_WRITTEN)
        .toEqual(expect.arrayContaining(waiting.map((j) => j.onboardingId)));
      expect(await page.textContent('#batch-message')).toContain('Nothing was done');
      for (const j of waiting) expect(await stageOf(j.onboardingId)).toBe('AWAITING_EMAIL_CODE');
      await page.screenshot({ path: screenshot('batch'), fullPage: true });

      // Then the run, from the preview's button.
      expect(await page.isDisabled('#batch-run')).toBe(false);
      await page.click('#batch-run');
      await expect.poll(() => page.textContent('#batch-message'), { timeout: 60_000 }).toMatch(/cancel: \d+ done/);
      for (const j of waiting) await expect.poll(() => stageOf(j.onboardingId), { timeout: 30_000 }).toBe('CANCELLED');
      expect(await page.isDisabled('#batch-run')).toBe(true);

      // The funnel counts them under their end and its reason (alice's), a bar that lists CANCELLED.
      const reasonBar = page.locator('#funnel [data-stage="CANCELLED"][data-reason="duplicate sign-ups"]');
      await expect
        .poll(async () => {
          await page.click('#refresh-stats');
          return reasonBar.getAttribute('aria-label');
        }, RECORD_WRITTEN)
        .toMatch(/^CANCELLED \(duplicate sign-ups\): \d+ ended; list CANCELLED$/);
      const cancelledByReason = ((await ops('GET', '/ops/stats')).body as { endedByReason: Record<string, Record<string, number>> }).endedByReason.CANCELLED;
      expect(cancelledByReason?.['duplicate sign-ups']).toBeGreaterThanOrEqual(waiting.length);
      await reasonBar.click();
      await expect.poll(() => page.inputValue('#stage'), UI).toBe('CANCELLED');
      await page.locator('#list[aria-busy="false"]').waitFor();
      await page.screenshot({ path: screenshot('ended'), fullPage: true });

      // The trail of each names alice and her reason.
      await page.fill('#search-email', waiting[0]!.person.email);
      await page.click('#find');
      await page.locator('#list[aria-busy="false"]').waitFor();
      const row = page.locator(`#list tbody tr[data-id="${waiting[0]!.onboardingId}"]`);
      expect(await row.count()).toBe(1);
      await row.locator('button').click();
      await expect.poll(() => page.textContent('#trail'), RECORD_WRITTEN).toContain('ops action cancel by alice (duplicate sign-ups)');
      expect(await page.isVisible('#cancel-group')).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
