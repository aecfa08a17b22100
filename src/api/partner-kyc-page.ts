// Fetches P100's "Redirect to Verification" page server-side: the call needs the x-api-key, which a
// browser cannot send, so the service fetches it and forwards the browser (CONTRACT part 2). It goes
// through the one P100 client, like every other call to P100.
import { PartnerClient } from '../activities/partner/client';
import type { PartnerConfig } from '../config';

export interface PartnerKycPage {
  status: number;
  contentType: string | undefined;
  location: string | undefined;
  body: string;
}

export type PartnerKycPageFetcher = (externalUserId: string, verificationId: string, signal: AbortSignal) => Promise<PartnerKycPage>;

export function createPartnerKycPageFetcher(config: PartnerConfig): PartnerKycPageFetcher {
  const client = PartnerClient.fromConfig(config);
  return async (externalUserId, verificationId, signal) => {
    const page = await client.fetchVerificationPage(externalUserId, verificationId, signal);
    return { status: page.status, contentType: page.contentType, location: page.location, body: page.body.toString('utf8') };
  };
}
