// One screen per step of the onboarding (its nextAction), built from the view and the calls the
// step needs. The controller (main.ts) decides which screen shows; a screen only asks it to look
// again (`refresh`) once the person has acted.
import type { OnboardingView } from '../../src/domain/onboarding';
import { api, ApiError, NetworkError, type Session } from './api';
import { clearFieldErrors, field, focusFirstInvalid, h, notice, setFieldError, showScreen } from './dom';
import { kycForm } from './kyc-form';
import { endWords, secondsText, WAITING_WORDS } from './words';

export interface ScreenContext {
  root: HTMLElement;
  session: Session;
  view: OnboardingView;
  /** Reads the onboarding again now (after the person acted). */
  refresh(): void;
  /** Forgets this onboarding in this browser and shows the start screen. */
  startOver(): void;
}

/** Where the resend countdown starts when the service has not said (CODE_RESEND_COOLDOWN's default). */
const DEFAULT_RESEND_WAIT_SECONDS = 60;
const MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_FILES = 3;

const progressSteps = ['AWAITING_EMAIL_CODE', 'AWAITING_SMS_CODE', 'AWAITING_KYC_DATA', 'AWAITING_IDENTIFICATION', 'AWAITING_SIGNATURE', 'AWAITING_PARTNER_KYC', 'COMPLETED'];
const ORDER = [
  'CREATING_USER', 'AWAITING_EMAIL_CODE', 'AWAITING_SMS_CODE', 'AWAITING_KYC_DATA', 'STARTING_IDENTIFICATION', 'AWAITING_IDENTIFICATION',
  'VERIFYING_IDENTIFICATION', 'IDENTIFICATION_FAILED', 'AWAITING_SIGNATURE', 'VERIFYING_SIGNATURE', 'FINALIZING', 'CREATING_PARTNER_ACCOUNT',
  'AWAITING_PARTNER_KYC', 'AWAITING_FILES', 'VERIFYING_PARTNER_ACCOUNT', 'COMPLETED',
];

/** A quiet progress bar: how far along the journey the onboarding is (decorative; the heading says the step). */
function progress(stage: string): HTMLElement {
  const at = ORDER.indexOf(stage);
  return h('ol', { class: 'steps', 'aria-hidden': 'true' }, ...progressSteps.map((s) => h('li', { class: at >= ORDER.indexOf(s) ? 'done' : '' })));
}

function problemText(err: unknown, fallback: string): string {
  if (err instanceof NetworkError) return 'The service cannot be reached. Check your connection and try again.';
  if (err instanceof ApiError) return err.problem.detail ?? fallback;
  return fallback;
}

// ------------------------------------------------------------------ start

export function startScreen(root: HTMLElement, message: string | undefined, onStarted: (s: Session) => void, key: (fresh?: boolean) => string): void {
  const general = h('div');
  const email = h('input', { type: 'email', required: true, autocomplete: 'email', maxlength: 254, spellcheck: 'false' });
  const phone = h('input', { type: 'tel', required: true, autocomplete: 'tel', maxlength: 20, placeholder: '+359 88 123 4567' });
  const submit = h('button', { type: 'submit' }, 'Continue');
  const form = h(
    'form',
    { novalidate: true },
    general,
    field({ name: 'email', label: 'E-mail address', hint: 'We send a code to confirm it.', control: email }),
    field({ name: 'phoneNumber', label: 'Mobile phone number', hint: 'With the country code, e.g. +359 88 123 4567. We send a code by SMS.', control: phone }),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    general.replaceChildren();
    if (!email.checkValidity()) setFieldError(form, 'email', 'Enter an e-mail address like name@example.com.');
    const phoneNumber = phone.value.replace(/[\s().-]/g, '');
    if (!/^\+[1-9]\d{6,14}$/.test(phoneNumber)) setFieldError(form, 'phoneNumber', 'Enter the number with its country code, starting with +.');
    if (form.querySelector('[aria-invalid=true]')) return focusFirstInvalid(form);
    submit.disabled = true;
    api
      .start({ email: email.value.trim(), phoneNumber, userType: 'INDIVIDUAL' }, key())
      .then((started) => onStarted({ onboardingId: started.onboardingId, accessToken: started.accessToken }))
      .catch((err: unknown) => {
        if (!(err instanceof NetworkError)) key(true); // the key was used or refused: the next try is a new start
        if (err instanceof ApiError && err.problem.errors?.length) {
          for (const e of err.problem.errors) setFieldError(form, e.path, e.path === 'email' ? 'Enter a valid e-mail address.' : e.path === 'phoneNumber' ? 'Enter the number with its country code, starting with +.' : e.message);
          return focusFirstInvalid(form);
        }
        const text =
          err instanceof ApiError && err.status === 409 && (err.problem.type ?? '').endsWith('/onboarding-running')
            ? 'An application with this e-mail address is already in progress. Continue it where you started it, or try again once it has ended.'
            : err instanceof ApiError && err.status === 409
            ? 'An account was already opened with this e-mail address.'
            : err instanceof ApiError && err.status === 429
              ? `Too many applications were started from here. Try again in ${secondsText(err.problem.retryAfterSeconds ?? 60)}.`
              : problemText(err, 'Your application could not be started. Try again in a moment.');
        general.replaceChildren(notice('bad', h('p', {}, text)));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  showScreen(
    root,
    h('h1', {}, 'Open your account'),
    h('p', { class: 'lead' }, 'It takes about ten minutes. Have your identity card or passport and your phone ready.'),
    message ? notice('info', h('p', {}, message)) : null,
    form,
  );
}

// ------------------------------------------------------------------ codes

export function codeScreen(ctx: ScreenContext, channel: 'email' | 'sms'): { update(view: OnboardingView): void } {
  const { session } = ctx;
  const isEmail = channel === 'email';
  const attempts = () => (isEmail ? ctx.view.attemptsLeft.emailCode : ctx.view.attemptsLeft.smsCode);
  const input = h('input', { class: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{4,8}', maxlength: 8, required: true });
  const attemptsText = h('p', { class: 'muted', id: 'attempts', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, 'Confirm');
  const resend = h('button', { type: 'button', class: 'secondary' }, 'Send me a new code');
  const resendStatus = h('p', { class: 'muted', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true },
    field({ name: 'code', label: isEmail ? 'Code from the e-mail' : 'Code from the SMS', hint: 'The 6 digits we sent you.', control: input }),
    attemptsText,
    submit,
  );

  const showAttempts = (n: number) => {
    attemptsText.textContent = n === 1 ? 'You have 1 try left.' : `You have ${n} tries left.`;
  };
  showAttempts(attempts());

  // The resend countdown: from the stage's start until the service says otherwise (Retry-After).
  let timer: number | undefined;
  const countdown = (seconds: number, capped = false) => {
    window.clearInterval(timer);
    let left = Math.max(0, Math.ceil(seconds));
    const tick = () => {
      if (left <= 0) {
        window.clearInterval(timer);
        resend.disabled = false;
        resendStatus.textContent = capped ? '' : 'Did not get it? You can ask for a new code.';
        return;
      }
      resend.disabled = true;
      resendStatus.textContent = `You can ask for a new code in ${secondsText(left)}.`;
      left--;
    };
    tick();
    timer = window.setInterval(tick, 1000);
  };
  const since = Math.floor((Date.now() - Date.parse(ctx.view.stageEnteredAt)) / 1000);
  countdown(Number.isFinite(since) ? DEFAULT_RESEND_WAIT_SECONDS - since : DEFAULT_RESEND_WAIT_SECONDS);

  resend.addEventListener('click', () => {
    resend.disabled = true;
    (isEmail ? api.resendEmailCode(session) : api.resendSmsCode(session)).then(
      () => {
        resendStatus.textContent = isEmail ? 'A new code is on its way to your inbox.' : 'A new code is on its way to your phone.';
        window.setTimeout(() => countdown(DEFAULT_RESEND_WAIT_SECONDS), 1500);
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 429 && err.problem.retryAfterSeconds !== undefined && err.problem.retryAfterSeconds <= 3600) {
          countdown(err.problem.retryAfterSeconds);
        } else if (err instanceof ApiError && (err.status === 429 || err.status === 409)) {
          window.clearInterval(timer);
          resend.disabled = true;
          resendStatus.textContent = 'No more new codes can be sent. Use the last code you received.';
        } else {
          resend.disabled = false;
          resendStatus.textContent = problemText(err, 'A new code could not be sent. Try again.');
        }
      },
    );
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const code = input.value.replace(/\s/g, '');
    if (!/^\d{4,8}$/.test(code)) {
      setFieldError(form, 'code', 'Enter the digits of the code.');
      input.focus();
      return;
    }
    submit.disabled = true;
    (isEmail ? api.emailCode(session, code) : api.smsCode(session, code))
      .then(() => {
        window.clearInterval(timer);
        attemptsText.textContent = 'Code accepted.';
        ctx.refresh();
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 422) {
          const left = err.problem.attemptsLeft ?? 0;
          showAttempts(left);
          setFieldError(form, 'code', left > 0 ? 'That code is not right. Check it and try again.' : 'That code is not right, and there are no tries left.');
          input.select();
          input.focus();
          if (left <= 0) ctx.refresh();
          return;
        }
        if (err instanceof ApiError && err.status === 409) return ctx.refresh();
        setFieldError(form, 'code', problemText(err, 'The code could not be checked. Try again.'));
        input.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  showScreen(
    ctx.root,
    progress(ctx.view.stage),
    h('h1', {}, isEmail ? 'Confirm your e-mail address' : 'Confirm your phone number'),
    h('p', {}, isEmail ? 'We sent a 6-digit code to your e-mail address. It can take a minute to arrive; check your spam folder too.' : 'We sent a 6-digit code by SMS to your phone.'),
    form,
    resend,
    resendStatus,
  );
  return {
    update(view) {
      ctx.view = view;
      showAttempts(attempts());
    },
  };
}

// ------------------------------------------------------------------ KYC data

export function kycScreen(ctx: ScreenContext): void {
  const message = ctx.view.nextAction.type === 'SUBMIT_KYC_DATA' ? ctx.view.nextAction.message : undefined;
  const body = h('div', {}, h('div', { class: 'working', role: 'status' }, h('span', { class: 'spinner' }), h('span', {}, 'Loading the form…')));
  showScreen(
    ctx.root,
    progress(ctx.view.stage),
    h('h1', {}, message ? 'Please correct your details' : 'Tell us about yourself'),
    h('p', { id: 'kyc-intro' }, 'The law asks us to know who our customers are. Fill in the details as they appear on your identity document.'),
    body,
  );
  const load = () => {
    api.kycOptions().then(
      (options) => {
        body.replaceChildren(
          kycForm(options, message, {
            submit: async (record) => {
              await api.kycData(ctx.session, record);
              body.replaceChildren(notice('good', h('p', {}, 'Thank you. Your details were saved.')));
              ctx.refresh();
            },
          }),
        );
      },
      (err: unknown) => {
        const wait = err instanceof ApiError && err.problem.retryAfterSeconds ? err.problem.retryAfterSeconds : 10;
        body.replaceChildren(notice('bad', h('p', {}, `The form cannot be loaded right now. We try again in ${secondsText(wait)}.`)));
        window.setTimeout(load, wait * 1000);
      },
    );
  };
  load();
}

// ------------------------------------------------------------------ pages elsewhere (Borica, P100)

const safeUrl = (url: string): string | undefined => {
  try {
    const u = new URL(url, window.location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
};

export function openUrlScreen(ctx: ScreenContext, url: string, purpose: 'IDENTIFICATION' | 'DOCUMENT_SIGNING' | 'PARTNER_KYC'): { update(view: OnboardingView): void } {
  const target = safeUrl(url);
  const words = {
    IDENTIFICATION: {
      title: 'Confirm your identity with B-Trust',
      text: 'You will go to B-Trust, Borica’s identification service, and show your identity document to the camera. When you have finished, you come back here by yourself.',
      button: 'Go to B-Trust identification',
    },
    DOCUMENT_SIGNING: {
      title: 'Sign your account documents',
      text: 'Your identity is confirmed. Now sign the 10nPay account documents with your electronic signature on B-Trust. When you have signed, you come back here.',
      button: 'Go to B-Trust to sign',
    },
    PARTNER_KYC: {
      title: 'Verify your identity with P100',
      text: 'P100 needs to check your identity too. Their page opens in a new tab; follow its steps, then come back to this tab: it moves on by itself once P100 has finished.',
      button: 'Open P100 verification (new tab)',
    },
  }[purpose];
  const action = !target
    ? notice('bad', h('p', {}, 'The link for this step is not valid. Please contact support.'))
    : purpose === 'PARTNER_KYC'
      ? h('a', { class: 'button', href: target, target: '_blank', rel: 'noopener noreferrer' }, words.button)
      : h('button', { type: 'button', onclick: () => window.location.assign(target) }, words.button);
  showScreen(ctx.root, progress(ctx.view.stage), h('h1', {}, words.title), h('p', {}, words.text), action,
    purpose === 'PARTNER_KYC' ? h('p', { class: 'muted', role: 'status' }, 'Waiting for P100…') : null);
  return {
    // P100's link is signed for a short time: each view carries a fresh one, so the link on screen stays valid.
    update(view) {
      const fresh = view.nextAction.type === 'OPEN_URL' ? safeUrl(view.nextAction.url) : undefined;
      if (fresh && action instanceof HTMLAnchorElement) action.href = fresh;
    },
  };
}

// ------------------------------------------------------------------ files

export function uploadScreen(ctx: ScreenContext, purpose: 'KYC' | 'PROOF_OF_ADDRESS'): void {
  const isKyc = purpose === 'KYC';
  const input = h('input', { type: 'file', multiple: true, accept: 'image/jpeg,image/png,application/pdf', required: true });
  const submit = h('button', { type: 'submit' }, 'Upload');
  const general = h('div');
  const form = h('form', { novalidate: true },
    general,
    field({
      name: 'files',
      label: isKyc ? 'Photos of your identity document' : 'Your proof of address',
      hint: `${isKyc ? 'The front and the back of the document, and a photo of your face (a selfie).' : 'A utility bill or bank statement from the last three months, with your name and address.'} JPEG, PNG or PDF; up to ${MAX_FILES} files of 5 MB each.`,
      control: input,
    }),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    general.replaceChildren();
    const files = Array.from(input.files ?? []);
    const problem =
      files.length === 0 ? 'Choose at least one file.'
        : files.length > MAX_FILES ? `Choose at most ${MAX_FILES} files.`
          : files.some((f) => f.size > MAX_FILE_BYTES) ? 'Each file must be 5 MB or smaller.'
            : files.some((f) => f.type && !['image/jpeg', 'image/png', 'application/pdf'].includes(f.type)) ? 'Files must be JPEG, PNG or PDF.'
              : undefined;
    if (problem) {
      setFieldError(form, 'files', problem);
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Uploading…';
    api
      .files(ctx.session, purpose, files)
      .then(() => {
        general.replaceChildren(notice('good', h('p', {}, 'Thank you. Your files were received.')));
        ctx.refresh();
      })
      .catch((err: unknown) => {
        setFieldError(form, 'files', problemText(err, 'The files could not be uploaded. Try again.'));
        input.focus();
      })
      .finally(() => {
        submit.disabled = false;
        submit.textContent = 'Upload';
      });
  });
  showScreen(ctx.root, progress(ctx.view.stage), h('h1', {}, isKyc ? 'Upload your identity document' : 'Upload a proof of address'),
    h('p', {}, isKyc ? 'P100 checks your identity from photos of your document.' : 'P100 needs to confirm where you live.'), form);
}

// ------------------------------------------------------------------ restart, waiting, the end

export function restartScreen(ctx: ScreenContext): void {
  const button = h('button', { type: 'button' }, 'Try the identification again');
  const status = h('div');
  button.addEventListener('click', () => {
    button.disabled = true;
    api.restartIdentification(ctx.session).then(
      () => ctx.refresh(),
      (err: unknown) => {
        button.disabled = false;
        if (err instanceof ApiError && err.status === 409) return ctx.refresh();
        status.replaceChildren(notice('bad', h('p', {}, problemText(err, 'The identification could not be started again. Try again in a moment.'))));
      },
    );
  });
  showScreen(ctx.root, progress(ctx.view.stage), h('h1', {}, 'Your identification did not go through'),
    h('p', {}, 'This happens, for example, when the camera could not read the document or the session was closed before the end. You can try again.'),
    status, button);
}

export function waitScreen(ctx: ScreenContext): void {
  const words = WAITING_WORDS[ctx.view.stage] ?? { title: 'One moment, please', text: 'We are working on your application.' };
  showScreen(ctx.root, progress(ctx.view.stage), h('h1', {}, words.title),
    h('div', { class: 'working', role: 'status' }, h('span', { class: 'spinner' }), h('span', {}, words.text)));
}

export function endScreen(ctx: ScreenContext): void {
  const words = endWords(ctx.view.stage, ctx.view.reason);
  const done = ctx.view.stage === 'COMPLETED';
  showScreen(ctx.root, done ? progress('COMPLETED') : null, h('h1', {}, words.title),
    notice(done ? 'good' : 'bad', h('p', {}, words.text)),
    h('button', { type: 'button', class: done ? 'secondary' : '', onclick: () => ctx.startOver() }, done ? 'Close this application' : 'Start a new application'));
}

export function messageScreen(root: HTMLElement, title: string, text: string, action?: { label: string; run: () => void }): void {
  showScreen(root, h('h1', {}, title), h('p', {}, text), action ? h('button', { type: 'button', onclick: action.run }, action.label) : null);
}
