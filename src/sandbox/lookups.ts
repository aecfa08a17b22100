// 10nPay's lookup lists (GET /User/source-of-funds and friends). The codes that
// add-additional-data accepts are these `value`s, as strings.
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
    { label: 'Daily payments', value: '1' },
    { label: 'Savings', value: '2' },
    { label: 'Receiving salary', value: '3' },
    { label: 'Business payments', value: '4' },
    { label: 'Other', value: '5' },
  ],
  'main-activity': [
    { label: 'Employee', value: '1' },
    { label: 'Self-employed', value: '2' },
    { label: 'Business owner', value: '3' },
    { label: 'Student', value: '4' },
    { label: 'Retired', value: '5' },
    { label: 'Unemployed', value: '6' },
    { label: 'Other', value: '7' },
  ],
  'financing-method': [
    { label: 'Own funds', value: '1' },
    { label: 'Loan', value: '2' },
    { label: 'Other', value: '3' },
  ],
};

export const isLookupValue = (list: keyof typeof LOOKUPS, value: string): boolean =>
  LOOKUPS[list].some((i) => i.value === value);
