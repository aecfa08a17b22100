// GET /reference/kyc-options (CONTRACT part 4, "What a frontend needs"): the values a KYC form may
// offer. 10nPay's four lookup lists, read through the service (a browser cannot hold the mTLS
// token) and cached; P100's enumerations from the domain. Also the check of a KYC record's lookup
// codes against those lists, which POST /onboardings and POST …/kyc-data run before the workflow
// sees the record.
import { DOCUMENT_TYPES, INCOME_SOURCES, OCCUPATIONS, OPEN_ACCOUNT_REASONS, type KycRecord } from '../../domain/kyc-record';
import type { ApiContext } from '../context';
import type { Handlers } from '../mount-routes';
import { LookupsUnavailableError, type LookupItem, type TennpayLookups } from '../kyc-options';
import { type Problem, ProblemError, type ValidationIssue, problems } from '../problem-details';

export const KYC_OPTIONS_PATH = '/reference/kyc-options';

/** Words a person reads for P100's codes where the code itself does not read well. */
const LABELS: Record<string, string> = {
  ID_CARD: 'Identity card',
  DRIVER_LICENSE: 'Driving licence',
  INVESTMENTS_OR_CRYPTOCURRENCIE: 'Investments or cryptocurrency',
  TRANSFER_OF_FUNDS_OUTSIDE_OF_EUROPE: 'Transfers outside Europe',
  IT: 'IT',
  MAINTAINED_BY_FAMILY: 'Supported by family',
};

const labelled = (values: readonly string[]): LookupItem[] =>
  values.map((value) => ({ value, label: LABELS[value] ?? value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ') }));

export const PARTNER_OPTIONS = {
  incomeSources: labelled(INCOME_SOURCES),
  openAccountReasons: labelled(OPEN_ACCOUNT_REASONS),
  documentTypes: labelled(DOCUMENT_TYPES),
  occupations: labelled(OCCUPATIONS),
};

export type KycOptions = TennpayLookups & typeof PARTNER_OPTIONS;

function unavailable(ctx: ApiContext): Problem {
  return problems.unavailable(
    '10nPay’s lookup lists have not been read yet and 10nPay cannot be reached; try again shortly',
    ctx.kycOptions?.retryAfterSeconds() ?? 30,
  );
}

/** The lists, or a 503 problem when none has ever been read. */
async function tennpayLookups(ctx: ApiContext): Promise<TennpayLookups> {
  if (!ctx.kycOptions) throw new ProblemError(unavailable(ctx));
  try {
    return await ctx.kycOptions.get();
  } catch (err) {
    if (err instanceof LookupsUnavailableError) throw new ProblemError(unavailable(ctx));
    throw err;
  }
}

export function referenceHandlers(ctx: ApiContext): Handlers {
  return {
    kycOptions: async (_req, res) => {
      const lists = await tennpayLookups(ctx);
      const options: KycOptions = { ...lists, ...PARTNER_OPTIONS };
      // Shared caches may keep it as long as the service does; never longer than five minutes.
      res.setHeader('Cache-Control', `public, max-age=${Math.min(300, ctx.kycOptions?.maxAgeSeconds() ?? 0)}`);
      res.status(200).json(options);
    },
  };
}

const CHECKED_CODES: Array<{ field: keyof KycRecord['finances']; list: keyof TennpayLookups }> = [
  { field: 'sourceOfFundId', list: 'sourceOfFunds' },
  { field: 'accountPurposeCode', list: 'accountPurposes' },
  { field: 'mainActivityCode', list: 'mainActivities' },
  { field: 'financingMethodCode', list: 'financingMethods' },
];

/**
 * The record's 10nPay codes, each against its list: a value not in it is a 400 naming the field and
 * the list of GET /reference/kyc-options it must come from. Without an app-wide lookup source (an
 * app built for tests of other features) nothing is checked here and 10nPay remains the judge.
 */
export async function checkKycCodes(ctx: ApiContext, record: KycRecord, prefix: string[] = []): Promise<void> {
  if (!ctx.kycOptions) return;
  const lists = await tennpayLookups(ctx);
  const errors: ValidationIssue[] = [];
  for (const { field, list } of CHECKED_CODES) {
    const value = record.finances[field];
    if (value === undefined) continue;
    if (!lists[list].some((item) => item.value === value)) {
      errors.push({
        path: [...prefix, 'finances', field].join('.'),
        message: `not a value of "${list}" in GET ${KYC_OPTIONS_PATH}`,
        code: 'invalid_value',
      });
    }
  }
  if (errors.length > 0) {
    const problem = problems.badRequest(`Codes must be values from GET ${KYC_OPTIONS_PATH}: ${errors.map((e) => e.path).join(', ')}`, errors);
    throw new ProblemError({ ...problem, extensions: { ...problem.extensions, options: KYC_OPTIONS_PATH } });
  }
}
