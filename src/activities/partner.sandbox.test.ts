// The P100 activities and client against the provider sandbox: account creation (and its repeat),
// KYC by method A and B, user verification, proof of address, and each error code's class.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../config';
import { FailureType } from '../domain/failures';
import { createActivities, createActivityDependencies } from './index';
import { PartnerClient } from './partner/client';
import type { AddUserVerificationRequest } from './partner/schemas';
import { kycRecord } from './test-support/records';
import { expectFailure, freshUser, startHarness, type Harness } from './test-support/sandbox';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.control.clearSwitches();
});

const record = kycRecord();
let docs = 0;
/** A record with its own document number (P100 refuses a number already verified for another user). */
const uniqueRecord = (documentNumber = `D${Date.now()}${++docs}`) =>
  kycRecord({ document: { type: 'ID_CARD', number: documentNumber, expiresOn: '2031-06-11', issuingCountry: 'BG' } });
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

async function account(overrides: Partial<ReturnType<typeof freshUser>> = {}) {
  const u = { ...freshUser(), ...overrides };
  const res = await h.activities.createPartnerAccount({ externalUserId: u.externalUserId, email: u.email, phoneNumber: u.phone, record });
  return { ...u, res };
}

/** A user with an approved method-B KYC, ready for Add User Verification. */
async function approvedKyc(documentNumber?: string) {
  const a = await account();
  await h.activities.createKycVerification({ externalUserId: a.externalUserId, record });
  await h.control.decidePartnerKyc(a.externalUserId, 'approve');
  return { ...a, record: uniqueRecord(documentNumber) };
}

describe('accounts', () => {
  it('creates the account once; a repeat with our own externalUserId (P410) is answered as existing', async () => {
    const a = await account();
    expect(a.res).toMatchObject({ alreadyExisted: false, poaRequiredForExtended: false });
    expect(a.res.partnerUserId).toBeTruthy();
    const again = await h.activities.createPartnerAccount({ externalUserId: a.externalUserId, email: a.email, phoneNumber: a.phone, record });
    expect(again).toEqual({ partnerUserId: null, poaRequiredForExtended: null, alreadyExisted: true });
    expect((await h.control.counters({ externalUserId: a.externalUserId })).partnerAccounts).toBe(1);
    const stored = await h.control.partnerUser(a.externalUserId);
    expect(stored).toMatchObject({ externalUserId: a.externalUserId });
  });

  it('a lost create answer: the retry sees P410 and goes on with exactly one account', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'responseLost', endpoint: 'p100.createUser', externalUserId: u.externalUserId, times: 1 });
    await expectFailure(
      h.activities.createPartnerAccount({ externalUserId: u.externalUserId, email: u.email, phoneNumber: u.phone, record }),
      FailureType.ProviderUnavailable,
      false,
    );
    const again = await h.activities.createPartnerAccount({ externalUserId: u.externalUserId, email: u.email, phoneNumber: u.phone, record });
    expect(again.alreadyExisted).toBe(true);
    expect((await h.control.counters({ externalUserId: u.externalUserId })).partnerAccounts).toBe(1);
  });

  it('passes poaRequiredForExtended on', async () => {
    const u = freshUser();
    await h.control.setSwitch({ name: 'poaRequired', externalUserId: u.externalUserId, times: 1 });
    const a = await account(u);
    expect(a.res.poaRequiredForExtended).toBe(true);
  });

  it('P403 validation → non-retryable PartnerValidation with a user-safe message', async () => {
    const u = freshUser();
    const f = await expectFailure(
      h.activities.createPartnerAccount({ externalUserId: u.externalUserId, email: u.email, phoneNumber: 'not a phone', record }),
      FailureType.PartnerValidation,
      true,
    );
    expect(f.providerDetails?.errorCode).toBe('P403');
    expect(f.providerDetails?.userMessage).toContain('phone');
    expect(f.message).not.toContain(u.email);
  });

  it('a wrong API key → retryable Unauthorized', async () => {
    const client = new PartnerClient({ baseUrl: h.sandbox.partnerBaseUrl, apiKey: 'wrong-key' });
    try {
      const f = await expectFailure(client.getKycStatus(randomUUID()), FailureType.Unauthorized, false);
      expect(f.message).not.toContain('wrong-key');
      expect(f.message).toContain('xo2');
    } finally {
      await client.close();
    }
  });
});

describe('KYC method B', () => {
  it('creates a verification, fetches its page server-side, reads the status and verifies the user', async () => {
    const a = await account();
    await expectFailure(h.activities.getKycStatus({ externalUserId: a.externalUserId }), FailureType.PartnerKycNotFound, true);
    const { verificationId } = await h.activities.createKycVerification({ externalUserId: a.externalUserId, record });
    expect(verificationId).toBeTruthy();

    const page = await h.deps.partner.fetchVerificationPage(a.externalUserId, verificationId);
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/text\/html/);
    const pressed = await h.control.pressPartnerKyc(page.body.toString('utf8'), 'approve');
    expect(pressed.status).toBe(200);

    expect(await h.activities.getKycStatus({ externalUserId: a.externalUserId })).toEqual({ status: 'APPROVED' });
    const mine = uniqueRecord();
    await expect(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: mine })).resolves.toBeUndefined();
    // P442 on the repeat: success.
    await expect(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: mine })).resolves.toBeUndefined();
    expect((await h.control.counters({ externalUserId: a.externalUserId })).userVerificationsAccepted).toBe(1);
  });

  it('the verification page for an unknown user is forwarded as P100 answered it', async () => {
    const page = await h.deps.partner.fetchVerificationPage(randomUUID(), randomUUID());
    expect(page.status).toBe(400);
    expect(page.body.toString('utf8')).toContain('P412');
  });

  it('a rejected KYC → P446 on Add User Verification (PartnerKycInvalid)', async () => {
    const a = await account();
    await h.activities.createKycVerification({ externalUserId: a.externalUserId, record });
    await h.control.decidePartnerKyc(a.externalUserId, 'reject');
    const status = await h.activities.getKycStatus({ externalUserId: a.externalUserId });
    expect(status.status).toBe('REJECTED');
    expect(status.reason).toBeTruthy();
    await expectFailure(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: uniqueRecord() }), FailureType.PartnerKycInvalid, true);
  });

  it('a document number used by another user → P466 PartnerDocumentUsed', async () => {
    const doc = `D${Date.now()}`;
    const first = await approvedKyc(doc);
    await h.activities.addUserVerification({ externalUserId: first.externalUserId, record: first.record });
    const second = await approvedKyc(doc);
    await expectFailure(h.activities.addUserVerification({ externalUserId: second.externalUserId, record: second.record }), FailureType.PartnerDocumentUsed, true);
  });

  it('a user P100 does not know → P412 PartnerUserMissing', async () => {
    await expectFailure(h.activities.createKycVerification({ externalUserId: randomUUID(), record }), FailureType.PartnerUserMissing, true);
  });
});

describe('KYC method A and proof of address', () => {
  it('uploads the stored files as multipart; without files Add User Verification is P427', async () => {
    const a = await account();
    const mine = uniqueRecord();
    await expectFailure(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: mine }), FailureType.PartnerKycFilesMissing, true);
    const stored = await h.deps.fileStore.save(randomUUID(), PNG, 'image/png');
    const stored2 = await h.deps.fileStore.save(randomUUID(), Buffer.from('%PDF-1.4\n%%EOF\n'), 'application/pdf');
    await h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [stored, stored2] });
    expect((await h.control.counters({ externalUserId: a.externalUserId })).kycFilesAdded).toBe(2);
    await expect(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: mine })).resolves.toBeUndefined();
  });

  it('files are deleted once P100 accepted them; a retry of that upload (its answer lost) is done without sending them again', async () => {
    const a = await account();
    const stored = await h.deps.fileStore.save(a.externalUserId, PNG, 'image/png');
    await h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [stored] });
    await expect(h.deps.fileStore.read(stored)).rejects.toThrow();
    await expect(h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [stored] })).resolves.toBeUndefined();
    expect((await h.control.counters({ externalUserId: a.externalUserId })).kycFilesAdded).toBe(1);
  });

  it('files P100 refused are deleted (the user replaces them); a transient failure keeps them for the retry', async () => {
    const a = await account();
    const refused = await h.deps.fileStore.save(a.externalUserId, PNG, 'image/png');
    await h.control.setSwitch({ name: 'partnerError', endpoint: 'p100.kycFiles', externalUserId: a.externalUserId, code: 'P426', times: 1 });
    await expectFailure(h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [refused] }), FailureType.PartnerFileRejected, true);
    await expect(h.deps.fileStore.read(refused)).rejects.toThrow();
    const kept = await h.deps.fileStore.save(a.externalUserId, PNG, 'image/png');
    await h.control.setSwitch({ name: 'partnerError', endpoint: 'p100.kycFiles', externalUserId: a.externalUserId, code: 'P501', times: 1 });
    await expectFailure(h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [kept] }), FailureType.ProviderUnavailable, false);
    expect((await h.deps.fileStore.read(kept)).equals(PNG)).toBe(true);
  });

  it('P440 on upload → PartnerFileRejected; a missing stored file → non-retryable', async () => {
    const a = await account();
    const stored = await h.deps.fileStore.save(randomUUID(), PNG, 'image/png');
    await h.control.setSwitch({ name: 'partnerError', endpoint: 'p100.kycFiles', externalUserId: a.externalUserId, code: 'P440', times: 1 });
    await expectFailure(h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [stored] }), FailureType.PartnerFileRejected, true);
    const ghost = { ...stored, fileId: `${randomUUID()}/${randomUUID()}` };
    await expectFailure(h.activities.uploadKycFiles({ externalUserId: a.externalUserId, files: [ghost] }), FailureType.StoredFileMissing, true);
    expect((await h.control.counters({ externalUserId: a.externalUserId })).kycFilesAdded).toBe(0);
  });

  it('proof of address: uploaded when required; P460 when not (PartnerPoaNotRequired)', async () => {
    const stored = await h.deps.fileStore.save(randomUUID(), PNG, 'image/png');
    const plain = await account();
    await expectFailure(h.activities.uploadPoaFiles({ externalUserId: plain.externalUserId, files: [stored] }), FailureType.PartnerPoaNotRequired, true);
    // Not wanted: deleted.
    await expect(h.deps.fileStore.read(stored)).rejects.toThrow();
    const u = freshUser();
    await h.control.setSwitch({ name: 'poaRequired', externalUserId: u.externalUserId, times: 1 });
    const a = await account(u);
    const poa = await h.deps.fileStore.save(randomUUID(), PNG, 'image/png');
    await expect(h.activities.uploadPoaFiles({ externalUserId: a.externalUserId, files: [poa] })).resolves.toBeUndefined();
    await expect(h.deps.fileStore.read(poa)).rejects.toThrow();
    expect((await h.control.counters({ externalUserId: a.externalUserId })).poaFilesAdded).toBe(1);
  });
});

describe('error codes forced on Add User Verification', () => {
  const cases: [string, FailureType, boolean][] = [
    ['P430', FailureType.PartnerTooManyVerifications, true],
    ['P446', FailureType.PartnerKycInvalid, true],
    ['P427', FailureType.PartnerKycFilesMissing, true],
    ['P466', FailureType.PartnerDocumentUsed, true],
    ['P473', FailureType.PartnerValidation, true],
    ['P403', FailureType.PartnerValidation, true],
    ['P412', FailureType.PartnerUserMissing, true],
    ['P500', FailureType.ProviderUnavailable, false],
    ['P501', FailureType.ProviderUnavailable, false],
  ];
  it.each(cases)('%s → %s', async (code, type, nonRetryable) => {
    const a = await approvedKyc();
    await h.control.setSwitch({ name: 'partnerError', endpoint: 'p100.userVerification', externalUserId: a.externalUserId, code, times: 1 });
    const f = await expectFailure(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: a.record }), type, nonRetryable);
    expect(f.providerDetails?.errorCode).toBe(code);
    // Nothing was applied: the next attempt goes through.
    await expect(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: a.record })).resolves.toBeUndefined();
  });

  it('P442 forced → answered as already verified', async () => {
    const a = await approvedKyc();
    await h.control.setSwitch({ name: 'partnerError', endpoint: 'p100.userVerification', externalUserId: a.externalUserId, code: 'P442', times: 1 });
    await expect(h.activities.addUserVerification({ externalUserId: a.externalUserId, record: a.record })).resolves.toBeUndefined();
  });

  it('5xx and 429 on P100 are retryable; 429 honours Retry-After', async () => {
    const a = await account();
    await h.control.setSwitch({ name: 'serverError', endpoint: 'p100.kycStatus', externalUserId: a.externalUserId, times: 1 });
    await expectFailure(h.activities.getKycStatus({ externalUserId: a.externalUserId }), FailureType.ProviderUnavailable, false);
    await h.control.setSwitch({ name: 'rateLimit', endpoint: 'p100.kycStatus', externalUserId: a.externalUserId, times: 1, retryAfterSec: 2 });
    const f = await expectFailure(h.activities.getKycStatus({ externalUserId: a.externalUserId }), FailureType.RateLimited, false);
    expect(f.nextRetryDelay).toBe(2000);
  });

  it('the configured risk level is sent (PARTNER_DEFAULT_RISK_LEVEL)', async () => {
    const a = await approvedKyc();
    const config = loadWorkerConfig({ ...h.env, PARTNER_DEFAULT_RISK_LEVEL: 'HIGH' });
    const deps = createActivityDependencies(config, config.fileStoreDir);
    // Records each Add User Verification request the activity hands the client, then sends it on.
    const sent: AddUserVerificationRequest[] = [];
    const send = deps.partner.addUserVerification.bind(deps.partner);
    deps.partner.addUserVerification = async (request) => {
      sent.push(request);
      return send(request);
    };
    try {
      await createActivities(deps).addUserVerification({ externalUserId: a.externalUserId, record: a.record });
    } finally {
      await deps.close();
    }
    expect(sent).toEqual([expect.objectContaining({ externalUserId: a.externalUserId, riskLvl: 'HIGH' })]);
    expect((await h.control.counters({ externalUserId: a.externalUserId })).userVerificationsAccepted).toBe(1);
  });
});
