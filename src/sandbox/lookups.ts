// 10nPay's lookup lists (GET /User/source-of-funds and friends). The codes that
// add-additional-data accepts are these `value`s, as strings. The real lists' values are not
// documented: this stand-in uses numbers in two lists and words in the other two, so that a
// client which assumes either form (digits only, say) fails here as it would against 10nPay.
export interface LookupItem {
  label: string;
  value: string;
}

export const LOOKUPS: Record<'source-of-funds' | 'account-purpose' | 'main-activity' | 'financing-method', LookupItem[]> = {
  'source-of-funds': [
    { label: 'Salary', value: '1' },
    { label: 'Pension', value: '2' },
    { label: 'Business income', value: '3' },
    { label: 'Savings', value: '4' },
    { label: 'Inheritance', value: '5' },
    { label: 'Investments', value: '6' },
    { label: 'Sale of property', value: '7' },
    { label: 'Other', value: '8' },
  ],
  'account-purpose': [
    { label: 'Daily payments', value: 'DAILY_PAYMENTS' },
    { label: 'Savings', value: 'SAVINGS' },
    { label: 'Receiving salary', value: 'RECEIVING_SALARY' },
    { label: 'Business payments', value: 'BUSINESS_PAYMENTS' },
    { label: 'Other', value: 'OTHER' },
  ],
  'main-activity': [
    { label: 'Employed', value: 'EMPLOYED' },
    { label: 'Self-employed', value: 'SELF_EMPLOYED' },
    { label: 'Business owner', value: 'BUSINESS_OWNER' },
    { label: 'Student', value: 'STUDENT' },
    { label: 'Retired', value: 'RETIRED' },
    { label: 'Unemployed', value: 'UNEMPLOYED' },
    { label: 'Other', value: 'OTHER' },
  ],
  'financing-method': [
    { label: 'Own funds', value: '1' },
    { label: 'Loan', value: '2' },
    { label: 'Other', value: '3' },
  ],
};

export const isLookupValue = (list: keyof typeof LOOKUPS, value: string): boolean =>
  LOOKUPS[list].some((i) => i.value === value);
