// Fetches P100's "Redirect to Verification" page server-side: the call needs the x-api-key, which a
// browser cannot send, so the service fetches it and forwards the browser (CONTRACT part 2).
import { request } from 'undici';
import type { PartnerConfig } from '../config';

export interface PartnerKycPage {
  status: number;
  contentType: string | undefined;
  location: string | undefined;
  body: string;
}

export type PartnerKycPageFetcher = (externalUserId: string, verificationId: string, signal: AbortSignal) => Promise<PartnerKycPage>;

const MAX_PAGE_BYTES = 1024 * 1024;

export function createPartnerKycPageFetcher(config: Pick<PartnerConfig, 'PARTNER_BASE_URL' | 'PARTNER_API_KEY'>): PartnerKycPageFetcher {
  return async (externalUserId, verificationId, signal) => {
    // PARTNER_BASE_URL may carry a path prefix (the sandbox's /p100): append, never resolve from the root.
    const url = `${config.PARTNER_BASE_URL.replace(/\/+$/, '')}/v1/kyc/verification/${encodeURIComponent(externalUserId)}/${encodeURIComponent(verificationId)}`;
    const res = await request(url, {
      method: 'GET',
      headers: { 'x-api-key': config.PARTNER_API_KEY, accept: 'text/html' },
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAGE_BYTES) {
        res.body.destroy();
        throw new Error('the partner KYC page is too large');
      }
      chunks.push(chunk as Buffer);
    }
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return {
      status: res.statusCode,
      contentType: header('content-type'),
      location: header('location'),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  };
}
