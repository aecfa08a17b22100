// What the browser keeps: the onboarding's id and accessToken (localStorage, so that another tab,
// or Borica's redirect after the first tab was closed, finds the onboarding), never personal data.
import type { Session } from './api';

const KEY = 'onboarding.session';

export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.onboardingId === 'string' && typeof s.accessToken === 'string' ? { onboardingId: s.onboardingId, accessToken: s.accessToken } : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify({ onboardingId: s.onboardingId, accessToken: s.accessToken }));
}

export function forgetSession(): void {
  localStorage.removeItem(KEY);
}

/** A key per start attempt, kept across a retry of the same attempt (a lost answer starts nothing twice). */
export function startKey(fresh = false): string {
  const name = 'onboarding.startKey';
  let key = fresh ? null : sessionStorage.getItem(name);
  if (!key) {
    key = randomId();
    sessionStorage.setItem(name, key);
  }
  return key;
}

export function dropStartKey(): void {
  sessionStorage.removeItem('onboarding.startKey');
}

function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
