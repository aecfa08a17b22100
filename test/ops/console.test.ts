// The back-office console in a real browser (Debian's Chromium driven by playwright-core) against
// the API, a real Temporal dev server and the real workflow: an onboarding left stuck on purpose
// (its provider down) is found in the list as needing attention; once the provider is healed, the
// Retry button moves it on. Saves a screenshot under test-results/ (docs/console.png, the README's,
// only with UPDATE_DOCS_SCREENSHOT=1, so a test run leaves the tracked files as they were).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../src/local/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, OPS_API_KEY, type RunningApi, createHarness, listen } from '../api/harness';
import { FakeProviders } from '../support/fake-providers';
import { startOnboarding, startWorker, viewOf, waitForView } from './support';

const SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOT
  ? path.resolve(__dirname, '..', '..', 'docs', 'console.png')
  : path.resolve(__dirname, '..', '..', 'test-results', 'console.png');
let h: Harness;
let api: RunningApi;
let browser: Browser;
const providers = new FakeProviders();
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await createHarness();
  stops.push(await startWorker(h.env, 'console', providers));
  api = await listen(h.deps());
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  for (const stop of stops) await stop().catch(() => undefined);
  await h?.teardown();
});

describe('the back-office console', () => {
  it('shows nothing without the key, lists the stuck onboarding, and its Retry button moves it on once healed', async () => {
    providers.failures.createUser = Array<string>(100_000).fill('ProviderUnavailable');
    const stuck = await startOnboarding(h.client, 'console', { stepAttentionAfter: '2s', stepSlowRetryInterval: '1h' });
    const other = await startOnboarding(h.client, 'console', { stepAttentionAfter: '1h' });
    await waitForView(h.client, stuck.onboardingId, (v) => v.needsAttention, 'flagged');

    const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
    try {
      const consoleErrors: string[] = [];
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      await page.goto(`${api.url}/ops/console`);
      await expect.poll(() => page.textContent('#message')).toContain('Enter the ops API key');
      expect(await page.locator('#list tbody tr').count()).toBe(0);

      await page.fill('#key', OPS_API_KEY);
      await page.click('#save-key');
      await page.check('#needs-attention');
      // Visibility is eventually consistent: search until the stuck onboarding shows.
      const row = page.locator(`#list tbody tr[data-id="${stuck.onboardingId}"]`);
      await expect
        .poll(
          async () => {
            await page.click('#search');
            await page.waitForTimeout(300);
            return row.count();
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(1);
      expect(await row.textContent()).toContain('needs attention');
      expect(await row.textContent()).toContain('CREATING_USER');
      expect(await page.locator(`#list tbody tr[data-id="${other.onboardingId}"]`).count()).toBe(0);

      await row.click();
      await expect.poll(() => page.textContent('#detail-id')).toBe(stuck.onboardingId);
      expect(await page.textContent('#detail-attention')).toBe('needs attention');
      expect(await page.textContent('#detail-error')).toContain('createUser');
      expect(await page.isDisabled('#btn-restart')).toBe(true);
      await page.screenshot({ path: screenshotPath(), fullPage: true });

      // The provider is back; ops press Retry and watch the onboarding move on.
      providers.failures.createUser = [];
      await page.click('#btn-retry');
      await expect.poll(() => page.textContent('#message')).toContain(`retry accepted for ${stuck.onboardingId}`);
      await expect.poll(() => page.textContent('#detail-stage'), { timeout: 20_000 }).toBe('AWAITING_EMAIL_CODE');
      await expect.poll(() => page.textContent('#detail-attention')).toBe('ok');
      await expect.poll(() => page.textContent('#timeline')).toContain('userCreated');
      expect((await viewOf(h.client, stuck.onboardingId)).stage).toBe('AWAITING_EMAIL_CODE');

      // Cancel needs a reason, then ends the onboarding.
      await page.click('#btn-cancel');
      await expect.poll(() => page.textContent('#message')).toContain('Give a reason');
      await page.fill('#cancel-reason', 'applicant withdrew');
      page.once('dialog', (d) => void d.accept());
      await page.click('#btn-cancel');
      await expect.poll(() => page.textContent('#detail-stage'), { timeout: 20_000 }).toBe('CANCELLED');
      await expect.poll(() => page.isDisabled('#btn-retry')).toBe(true);
      expect(consoleErrors).toEqual([]);

      // Forgetting the key clears everything the page showed.
      await page.click('#forget-key');
      expect(await page.locator('#list tbody tr').count()).toBe(0);
      expect(await page.evaluate('window.sessionStorage.length')).toBe(0);
    } finally {
      await page.close();
    }
  });
});

function screenshotPath(): string {
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  return SCREENSHOT;
}
