// The KYC form, built from GET /reference/kyc-options: 10nPay's lists and P100's enumerations are
// the select boxes' options, so the form offers only values the service accepts. The server's
// field errors (problem details `errors[].path`) are shown beside the fields of the same name.
import { ApiError, type KycOptions, type LookupItem } from './api';
import { clearFieldErrors, field, focusFirstInvalid, h, notice, setFieldError } from './dom';

/** The partner terms' version the person accepts on this form. */
export const PARTNER_TERMS_VERSION = '2026-01';

const text = (opts: { required?: boolean; autocomplete?: string; maxlength?: number; value?: string; inputmode?: string } = {}) =>
  h('input', {
    type: 'text',
    required: opts.required ?? true,
    autocomplete: opts.autocomplete ?? 'off',
    maxlength: opts.maxlength ?? 100,
    value: opts.value,
    inputmode: opts.inputmode,
  });

const date = (autocomplete?: string) => h('input', { type: 'date', required: true, autocomplete: autocomplete ?? 'off' });

const country = (value = 'BG', autocomplete = 'off') =>
  h('input', { type: 'text', required: true, maxlength: 2, minlength: 2, pattern: '[A-Za-z]{2}', autocapitalize: 'characters', autocomplete, value });

function select(items: LookupItem[], { required = true, placeholder = 'Choose…' } = {}): HTMLSelectElement {
  const el = h('select', { required });
  el.append(h('option', { value: '' }, required ? placeholder : 'None'));
  for (const item of items) el.append(h('option', { value: item.value }, item.label));
  return el;
}

export interface KycFormHandlers {
  submit(record: unknown): Promise<void>;
}

export function kycForm(options: KycOptions, serverMessage: string | undefined, handlers: KycFormHandlers): HTMLFormElement {
  const general = h('div');
  const incomeSource = select(options.incomeSources);
  const occupation = field({ name: 'finances.occupation', label: 'Occupation', control: select(options.occupations, { required: false }) });
  const taxId = field({ name: 'finances.taxId', label: 'Tax number of your business', control: text({ required: false, maxlength: 40 }) });
  const submit = h('button', { type: 'submit' }, 'Send my details');

  const form = h(
    'form',
    { novalidate: true, 'aria-describedby': 'kyc-intro' },
    serverMessage ? notice('bad', h('p', {}, 'Please check your details: ', serverMessage)) : null,
    general,
    h(
      'fieldset',
      {},
      h('legend', {}, 'About you'),
      h('div', { class: 'row' },
        field({ name: 'person.firstName', label: 'First name', control: text({ autocomplete: 'given-name' }) }),
        field({ name: 'person.lastName', label: 'Last name', control: text({ autocomplete: 'family-name' }) }),
      ),
      field({ name: 'person.gender', label: 'Gender (optional)', control: select([{ value: 'F', label: 'Female' }, { value: 'M', label: 'Male' }], { required: false }) }),
      field({ name: 'person.birthDate', label: 'Date of birth', control: date('bday') }),
      field({ name: 'person.personalNumber', label: 'Personal number (EGN)', hint: 'As on your identity document', control: text({ maxlength: 40, inputmode: 'numeric' }) }),
      h('div', { class: 'row' },
        field({ name: 'person.birthCountry', label: 'Country of birth', hint: 'Two letters, e.g. BG', control: country() }),
        field({ name: 'person.citizenship', label: 'Citizenship', hint: 'Two letters, e.g. BG', control: country() }),
        field({ name: 'person.nationality', label: 'Nationality', hint: 'Two letters, e.g. BG', control: country() }),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Your address'),
      h('div', { class: 'row' },
        field({ name: 'address.street', label: 'Street', control: text({ autocomplete: 'address-line1', maxlength: 200 }) }),
        field({ name: 'address.number', label: 'Number', control: text({ maxlength: 20 }) }),
      ),
      h('div', { class: 'row' },
        field({ name: 'address.city', label: 'City', control: text({ autocomplete: 'address-level2' }) }),
        field({ name: 'address.postCode', label: 'Post code', control: text({ autocomplete: 'postal-code', maxlength: 20 }) }),
      ),
      field({ name: 'address.country', label: 'Country', hint: 'Two letters, e.g. BG', control: country('BG', 'country') }),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Your identity document'),
      field({ name: 'document.type', label: 'Document type', control: select(options.documentTypes) }),
      field({ name: 'document.number', label: 'Document number', control: text({ maxlength: 40 }) }),
      h('div', { class: 'row' },
        field({ name: 'document.expiresOn', label: 'Valid until', control: date() }),
        field({ name: 'document.issuingCountry', label: 'Issued by', hint: 'Two letters, e.g. BG', control: country() }),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Your money'),
      field({ name: 'finances.sourceOfFundId', label: 'Where does your money come from?', control: select(options.sourceOfFunds) }),
      field({ name: 'finances.accountPurposeCode', label: 'What will you use the account for?', control: select(options.accountPurposes) }),
      field({ name: 'finances.mainActivityCode', label: 'What is your main activity?', control: select(options.mainActivities) }),
      field({ name: 'finances.financingMethodCode', label: 'How do you finance yourself? (optional)', control: select(options.financingMethods, { required: false }) }),
      field({ name: 'finances.incomeSource', label: 'Main source of income', control: incomeSource }),
      occupation,
      taxId,
      field({ name: 'finances.openAccountReason', label: 'Why are you opening a P100 account?', control: select(options.openAccountReasons) }),
      field({ name: 'taxResidences', label: 'Countries where you pay tax', hint: 'Two-letter codes separated by commas, e.g. BG or BG,DE', control: text({ value: 'BG', maxlength: 60 }) }),
    ),
    h(
      'div',
      { class: 'field', 'data-field': 'consents.partnerTerms.accepted' },
      h('div', { class: 'check' },
        h('input', { type: 'checkbox', id: 'f-terms', name: 'consents.partnerTerms.accepted', required: true, 'aria-describedby': 'f-terms-error' }),
        h('label', { for: 'f-terms' }, `I accept P100's terms and conditions (version ${PARTNER_TERMS_VERSION}).`),
      ),
      h('p', { class: 'error', id: 'f-terms-error' }),
    ),
    submit,
  );

  const syncConditional = () => {
    occupation.hidden = incomeSource.value !== 'SALARY';
    taxId.hidden = incomeSource.value !== 'BUSINESS_ACTIVITY';
    occupation.querySelector('select')!.required = !occupation.hidden;
    taxId.querySelector('input')!.required = !taxId.hidden;
  };
  incomeSource.addEventListener('change', syncConditional);
  syncConditional();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    general.replaceChildren();
    // The browser's own checks first, shown the same way as the server's.
    let valid = true;
    for (const el of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
      if (el.closest('[hidden]')) continue;
      if (!el.checkValidity()) {
        valid = false;
        setFieldError(form, el.name, el.type === 'checkbox' ? 'Accept the terms to continue.' : el.validity.valueMissing ? 'Fill this in.' : 'Check this value.');
      }
    }
    if (!valid) {
      focusFirstInvalid(form);
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Sending…';
    handlers
      .submit(recordOf(form))
      .catch((err: unknown) => {
        showServerErrors(form, general, err);
      })
      .finally(() => {
        submit.disabled = false;
        submit.textContent = 'Send my details';
      });
  });
  return form;
}

function recordOf(form: HTMLFormElement): unknown {
  const v = (name: string): string | undefined => {
    const el = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
    if (!el || el.closest('[hidden]')) return undefined;
    const value = el.value.trim();
    return value === '' ? undefined : value;
  };
  const upper = (name: string) => v(name)?.toUpperCase();
  return {
    person: {
      firstName: v('person.firstName'),
      lastName: v('person.lastName'),
      gender: v('person.gender'),
      birthDate: v('person.birthDate'),
      birthCountry: upper('person.birthCountry'),
      citizenship: upper('person.citizenship'),
      nationality: upper('person.nationality'),
      personalNumber: v('person.personalNumber'),
    },
    address: {
      street: v('address.street'),
      number: v('address.number'),
      city: v('address.city'),
      postCode: v('address.postCode'),
      country: upper('address.country'),
    },
    document: {
      type: v('document.type'),
      number: v('document.number'),
      expiresOn: v('document.expiresOn'),
      issuingCountry: upper('document.issuingCountry'),
    },
    finances: {
      sourceOfFundId: v('finances.sourceOfFundId'),
      accountPurposeCode: v('finances.accountPurposeCode'),
      mainActivityCode: v('finances.mainActivityCode'),
      financingMethodCode: v('finances.financingMethodCode'),
      incomeSource: v('finances.incomeSource'),
      openAccountReason: v('finances.openAccountReason'),
      occupation: v('finances.occupation'),
      taxId: v('finances.taxId'),
    },
    taxResidences: upper('taxResidences')?.replace(/\s+/g, ''),
    device: undefined,
    consents: {
      partnerTerms: {
        accepted: (form.elements.namedItem('consents.partnerTerms.accepted') as HTMLInputElement).checked,
        version: PARTNER_TERMS_VERSION,
        acceptedAt: new Date().toISOString(),
      },
    },
  };
}

/** The server's answer: field errors beside their fields, the rest above the form. */
function showServerErrors(form: HTMLFormElement, general: HTMLElement, err: unknown): void {
  if (err instanceof ApiError && err.problem.errors?.length) {
    const elsewhere: string[] = [];
    for (const e of err.problem.errors) {
      if (!setFieldError(form, e.path, sentence(e.message))) elsewhere.push(`${e.path}: ${e.message}`);
    }
    if (elsewhere.length) general.append(notice('bad', h('p', {}, 'Please check:'), h('ul', {}, ...elsewhere.map((m) => h('li', {}, m)))));
    focusFirstInvalid(form, general);
    return;
  }
  const message =
    err instanceof ApiError
      ? err.problem.failureType === 'IdentityLocked'
        ? 'Your identity is already confirmed, so your name, personal number and document can no longer change.'
        : (err.problem.detail ?? 'Your details could not be sent.')
      : 'Your details could not be sent: the service cannot be reached. Try again in a moment.';
  general.replaceChildren(notice('bad', h('p', {}, message)));
  general.setAttribute('tabindex', '-1');
  general.focus();
}

const sentence = (m: string) => (m ? m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.') : 'Check this value.');
