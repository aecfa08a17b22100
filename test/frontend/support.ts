// Helpers for the reference frontend's browser tests: a person's data typed into the KYC form,
// the codes read from the sandbox's inbox, and screenshots of each screen (under test-results/, or
// docs/frontend/ — the README's pictures — with UPDATE_DOCS_SCREENSHOT=1, so a test run leaves the
// tracked files as they were).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { KycRecordInput } from '../../src/domain/kyc-record';

const SHOT_DIR = process.env.UPDATE_DOCS_SCREENSHOT
  ? path.resolve(__dirname, '..', '..', 'docs', 'frontend')
  : path.resolve(__dirname, '..', '..', 'test-results', 'frontend');

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`), fullPage: true });
}

/** Waits for the screen whose heading says `text` (the app moves focus to it). */
export async function heading(page: Page, text: string, timeout = 60_000): Promise<void> {
  try {
    await page.locator('h1', { hasText: text }).waitFor({ state: 'visible', timeout });
  } catch (err) {
    // Say what the person saw instead.
    const shown = await page.textContent('main', { timeout: 1_000 }).catch(() => null);
    throw new Error(`no screen "${text}" within ${timeout} ms; the page shows: ${(shown ?? '(nothing)').replace(/\s+/g, ' ').trim()}`, { cause: err });
  }
}

export async function enterCode(page: Page, code: string): Promise<void> {
  await page.fill('input[name="code"]', code);
  await page.click('form button[type="submit"]');
}

/** Types the record into the KYC form as a person would; the codes chosen from the offered lists. */
export async function fillKycForm(page: Page, record: KycRecordInput, codes: { sourceOfFundId: string; accountPurposeCode: string; mainActivityCode: string }): Promise<void> {
  const fill = (name: string, value: string) => page.fill(`[name="${name}"]`, value);
  const choose = (name: string, value: string) => page.selectOption(`[name="${name}"]`, value);
  await fill('person.firstName', record.person.firstName);
  await fill('person.lastName', record.person.lastName);
  if (record.person.gender) await choose('person.gender', record.person.gender);
  await fill('person.birthDate', record.person.birthDate);
  await fill('person.personalNumber', record.person.personalNumber);
  await fill('address.street', record.address.street);
  await fill('address.number', record.address.number);
  await fill('address.city', record.address.city);
  await fill('address.postCode', record.address.postCode);
  await choose('document.type', record.document.type);
  await fill('document.number', record.document.number);
  await fill('document.expiresOn', record.document.expiresOn);
  await choose('finances.sourceOfFundId', codes.sourceOfFundId);
  await choose('finances.accountPurposeCode', codes.accountPurposeCode);
  await choose('finances.mainActivityCode', codes.mainActivityCode);
  await choose('finances.incomeSource', 'SALARY');
  await choose('finances.occupation', 'IT');
  await choose('finances.openAccountReason', 'DAILY_USE');
  await page.check('#f-terms');
}

/** The page never scrolls sideways: everything fits the viewport's width. */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}
