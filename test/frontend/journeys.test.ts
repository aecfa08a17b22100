// The reference frontend (/app/) in Debian's Chromium, driven by playwright-core, against the whole
// service: a Temporal dev server, the provider sandbox, the real worker and the API (test/e2e/stack).
// A person's journeys using only the screen: method B from start to COMPLETED (with a wrong SMS code
// first and a field error from the server), method A on a phone-sized screen, a failed
// identification and its restart, and the tab closed at Borica with the journey continued from the
// landing page. The sandbox is used only where a person would look: the inbox for the codes.
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../src/local/chromium';
import { newPerson, type Person, TINY_PDF, TINY_PNG } from '../e2e/journey';
import { startStack, type Stack } from '../e2e/stack';
import { enterCode, fillKycForm, fitsWidth, heading, shot } from './support';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const DESKTOP = { width: 1024, height: 800 };
const PHONE = { width: 390, height: 844 };

/** A fresh browser profile (its own localStorage) whose pages fail the test on a script error or an outside request. */
async function newProfile(viewport = DESKTOP, isMobile = false): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, isMobile, hasTouch: isMobile });
  const errors: string[] = [];
  const allowed = [new URL(stack.apiUrl).host, new URL(stack.sandbox.tennpayBaseUrl).host, new URL(stack.sandbox.partnerBaseUrl).host];
  context.on('page', (p) => p.on('pageerror', (e) => errors.push(e.message)));
  context.on('request', (r) => {
    const host = new URL(r.url()).host;
    if (!allowed.includes(host)) errors.push(`request outside the service and the sandbox: ${r.url()}`);
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** Start, e-mail code, SMS code (optionally a wrong one first): up to the KYC form. */
async function upToKycForm(page: Page, person: Person, opts: { wrongSmsFirst?: boolean; shots?: string } = {}): Promise<void> {
  await page.goto(`${stack.apiUrl}/app/`);
  await heading(page, 'Open your account');
  if (opts.shots !== undefined) await shot(page, `${opts.shots}01-start`);
  await page.fill('input[name="email"]', person.email);
  await page.fill('input[name="phoneNumber"]', person.phoneNumber);
  await page.click('form button[type="submit"]');

  await heading(page, 'Confirm your e-mail address');
  expect(await page.getAttribute('input[name="code"]', 'autocomplete')).toBe('one-time-code');
  expect(await page.textContent('#attempts')).toContain('5 tries left');
  expect(await page.isDisabled('text=Send me a new code')).toBe(true);
  // The countdown, in seconds or (from a minute up) minutes.
  expect(await page.textContent('main')).toMatch(/ask for a new code in \d+ (seconds?|minutes?)\./);
  if (opts.shots !== undefined) await shot(page, `${opts.shots}02-email-code`);
  await enterCode(page, await stack.control.latestEmailCode(person.email, { waitMs: 60_000 }));

  await heading(page, 'Confirm your phone number');
  const sms = await stack.control.latestSmsCode(person.phoneNumber, { waitMs: 60_000 });
  if (opts.wrongSmsFirst) {
    const wrong = sms === '000000' ? '111111' : '000000';
    await enterCode(page, wrong);
    await expect.poll(() => page.textContent('#f-code-error')).toContain('That code is not right');
    expect(await page.textContent('#attempts')).toContain('4 tries left');
    expect(await page.getAttribute('input[name="code"]', 'aria-invalid')).toBe('true');
    expect(await page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("name")')).toBe('code');
    if (opts.shots !== undefined) await shot(page, `${opts.shots}03-sms-code-wrong`);
  }
  await enterCode(page, sms);
  await heading(page, 'Tell us about yourself');
  await page.locator('select[name="finances.accountPurposeCode"]').waitFor();
}

/** B-Trust: the identification or signing page, its success button, back through /app/borica/success. */
async function atBorica(page: Page, button: string, shotName?: string): Promise<void> {
  await page.click(`button:has-text("${button}")`);
  await page.waitForURL((u) => u.pathname.startsWith('/borica/'), { timeout: 30_000 });
  if (shotName) await shot(page, shotName);
  await page.click('form[data-outcome="success"] button');
  await page.waitForURL((u) => u.pathname === '/app/' , { timeout: 30_000 });
}

describe('the reference frontend in a browser', () => {
  it('method B: a whole journey on the screen alone, with a wrong SMS code, a field error from the server, and the lists’ word and number codes', async () => {
    stack.setSettingsOverrides({ partnerKycMethod: 'B' });
    const person = newPerson();
    const { context, page, errors } = await newProfile();
    try {
      await upToKycForm(page, person, { wrongSmsFirst: true, shots: '' });
      // The lists come from /reference/kyc-options: words (account purpose) and numbers (source of funds).
      expect(await page.locator('select[name="finances.accountPurposeCode"] option[value="DAILY_PAYMENTS"]').count()).toBe(1);
      expect(await page.locator('select[name="finances.sourceOfFundId"] option[value="8"]').count()).toBe(1);
      await shot(page, '04-kyc-form');
      await fillKycForm(page, person.record, { sourceOfFundId: '8', accountPurposeCode: 'DAILY_PAYMENTS', mainActivityCode: 'EMPLOYED' });
      // A value only the server refuses: its error shows beside its field, which gets the focus.
      await page.fill('[name="taxResidences"]', 'BG;DE');
      await page.click('form button[type="submit"]');
      await expect.poll(() => page.textContent('#f-taxResidences-error'), { timeout: 20_000 }).not.toBe('');
      expect(await page.getAttribute('[name="taxResidences"]', 'aria-invalid')).toBe('true');
      expect(await page.evaluate<string | null>('document.activeElement && document.activeElement.getAttribute("name")')).toBe('taxResidences');
      await shot(page, '05-kyc-field-error');
      await page.fill('[name="taxResidences"]', 'BG');
      await page.click('form button[type="submit"]');

      await heading(page, 'Confirm your identity with B-Trust');
      await shot(page, '06-identification');
      await atBorica(page, 'Go to B-Trust identification', '07-borica-identification');
      await heading(page, 'Sign your account documents');
      await shot(page, '08-signing');
      await atBorica(page, 'Go to B-Trust to sign', '09-borica-signing');

      await heading(page, 'Verify your identity with P100');
      await shot(page, '10-partner-kyc');
      const [p100] = await Promise.all([context.waitForEvent('page'), page.click('a:has-text("Open P100 verification")')]);
      await p100.locator('form[data-outcome="approve"] button').waitFor();
      expect(await p100.textContent('body')).toContain(person.record.person.firstName);
      await shot(p100, '11-p100-page');
      await p100.click('form[data-outcome="approve"] button');
      await p100.locator('h1', { hasText: 'Thank you' }).waitFor();
      await p100.close();

      await heading(page, 'Your account is open');
      await shot(page, '12-completed');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('method A on a phone-sized screen: the ID photos and a proof of address uploaded, nothing wider than the screen, to COMPLETED', async () => {
    stack.setSettingsOverrides({ partnerKycMethod: 'A' });
    const person = newPerson();
    // P100 asks this person for a proof of address (Create User Account: poaRequiredForExtended).
    await stack.control.setSwitch({ name: 'poaRequired', email: person.email, times: 1 });
    const { context, page, errors } = await newProfile(PHONE, true);
    try {
      await upToKycForm(page, person);
      expect(await fitsWidth(page)).toBe(true);
      await shot(page, 'phone-01-kyc-form');
      await fillKycForm(page, person.record, { sourceOfFundId: '1', accountPurposeCode: 'SAVINGS', mainActivityCode: 'SELF_EMPLOYED' });
      await page.click('form button[type="submit"]');
      await heading(page, 'Confirm your identity with B-Trust');
      await atBorica(page, 'Go to B-Trust identification');
      await heading(page, 'Sign your account documents');
      await atBorica(page, 'Go to B-Trust to sign');

      await heading(page, 'Upload your identity document');
      expect(await fitsWidth(page)).toBe(true);
      await shot(page, 'phone-02-upload');
      await page.setInputFiles('input[type="file"]', [
        { name: 'id-front.png', mimeType: 'image/png', buffer: TINY_PNG },
        { name: 'id-back.pdf', mimeType: 'application/pdf', buffer: TINY_PDF },
      ]);
      await page.click('form button[type="submit"]');

      await heading(page, 'Upload a proof of address');
      expect(await fitsWidth(page)).toBe(true);
      await shot(page, 'phone-03-proof-of-address');
      await page.setInputFiles('input[type="file"]', [{ name: 'utility-bill.pdf', mimeType: 'application/pdf', buffer: TINY_PDF }]);
      await page.click('form button[type="submit"]');
      // The sandbox's P100 reviews the proof of address by itself and tells the service.
      await heading(page, 'Your account is open');
      expect(await fitsWidth(page)).toBe(true);
      await shot(page, 'phone-04-completed');
      expect(errors).toEqual([]);
    } finally {
      stack.setSettingsOverrides({});
      await context.close();
    }
  });

  it('a failed identification: Borica’s Fail comes back through /app/borica/fail, the restart screen, and the identification again', async () => {
    const person = newPerson();
    const { context, page, errors } = await newProfile();
    try {
      await upToKycForm(page, person);
      await fillKycForm(page, person.record, { sourceOfFundId: '4', accountPurposeCode: 'OTHER', mainActivityCode: 'STUDENT' });
      await page.click('form button[type="submit"]');
      await heading(page, 'Confirm your identity with B-Trust');
      await page.click('button:has-text("Go to B-Trust identification")');
      await page.waitForURL((u) => u.pathname.startsWith('/borica/'));
      await page.click('form[data-outcome="fail"] button');
      await page.waitForURL((u) => u.pathname === '/app/');

      await heading(page, 'Your identification did not go through');
      await shot(page, '13-identification-failed');
      // Keyboard only: the restart button is reached with Tab and pressed with Enter.
      const focused = () => page.evaluate<string | null>('document.activeElement && document.activeElement.textContent');
      for (let i = 0; i < 10 && (await focused()) !== 'Try the identification again'; i++) await page.keyboard.press('Tab');
      expect(await focused()).toBe('Try the identification again');
      await page.keyboard.press('Enter');
      await heading(page, 'Confirm your identity with B-Trust');
      await atBorica(page, 'Go to B-Trust identification');
      await heading(page, 'Sign your account documents');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the tab closed at Borica: the redirect lands in a new tab, which finds the onboarding in the browser’s storage and goes on; reopening /app/ resumes', async () => {
    const person = newPerson();
    const { context, page, errors } = await newProfile();
    try {
      await upToKycForm(page, person);
      await fillKycForm(page, person.record, { sourceOfFundId: '8', accountPurposeCode: 'BUSINESS_PAYMENTS', mainActivityCode: 'RETIRED' });
      await page.click('form button[type="submit"]');
      await heading(page, 'Confirm your identity with B-Trust');
      await page.click('button:has-text("Go to B-Trust identification")');
      await page.waitForURL((u) => u.pathname.startsWith('/borica/'));
      const boricaUrl = page.url();
      await page.close(); // the tab that started the onboarding is gone

      // The person finishes at Borica in another tab (reopened from history); Borica's redirect lands there.
      const again = await context.newPage();
      await again.goto(boricaUrl);
      await again.click('form[data-outcome="success"] button');
      await again.waitForURL((u) => u.pathname === '/app/');
      await heading(again, 'Sign your account documents');
      await again.close();

      // Closed and opened again: the same step, read from the service.
      const reopened = await context.newPage();
      await reopened.goto(`${stack.apiUrl}/app/`);
      await heading(reopened, 'Sign your account documents');

      // A Borica landing page in a browser that holds no onboarding says so in words.
      const stranger = await newProfile();
      await stranger.page.goto(`${stack.apiUrl}/app/borica/success?bTrustAppCallBackId=x`);
      await heading(stranger.page, 'We could not find your application');
      await shot(stranger.page, '14-landing-without-onboarding');
      await stranger.context.close();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
