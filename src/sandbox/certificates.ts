// Development certificates for the mTLS token endpoint: a CA, a server certificate for the
// loopback names and a client certificate, all generated locally on first use and reused after.
// Nothing here is ever committed (the folder lives under .data/, which git ignores).
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export interface CertificatePaths {
  caCertPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  clientCertPath: string;
  clientKeyPath: string;
}

const FILES = {
  caCertPath: 'ca.crt',
  serverCertPath: 'server.crt',
  serverKeyPath: 'server.key',
  clientCertPath: 'client.crt',
  clientKeyPath: 'client.key',
} as const;

// ECDSA P-256 keeps generation fast (RSA would cost seconds on a small CI machine).
const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;

function pathsIn(dir: string): CertificatePaths {
  const entries = Object.entries(FILES).map(([k, f]) => [k, path.join(dir, f)]);
  return Object.fromEntries(entries) as CertificatePaths;
}

async function exportKeyPem(key: KeyPair['privateKey']): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

const newKeys = async (): Promise<KeyPair> =>
  (await webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as unknown as KeyPair;

const serial = (): string => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');

async function generateInto(dir: string): Promise<void> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600_000);

  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=Onboarding Sandbox Development CA',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: SIGN_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });

  const issue = async (cn: string, extensions: x509.Extension[]) => {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGN_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        ...extensions,
      ],
    });
    return { cert: cert.toString('pem'), key: await exportKeyPem(keys.privateKey) };
  };

  const server = await issue('localhost', [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]),
  ]);
  const client = await issue('onboarding-sandbox-client', [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);

  const p = pathsIn(dir);
  writeFileSync(p.caCertPath, ca.toString('pem'));
  writeFileSync(p.serverCertPath, server.cert);
  writeFileSync(p.serverKeyPath, server.key, { mode: 0o600 });
  writeFileSync(p.clientCertPath, client.cert);
  writeFileSync(p.clientKeyPath, client.key, { mode: 0o600 });
}

const complete = (dir: string): boolean => Object.values(pathsIn(dir)).every((f) => existsSync(f));

/**
 * Returns the certificate set in `certDir`, generating it when missing. Several sandboxes may
 * start at once on the same folder (parallel tests): each generates into a private folder and
 * renames it into place, so a reader never sees a half-written or mixed set.
 */
export async function ensureCertificates(certDir: string): Promise<CertificatePaths> {
  const dir = path.resolve(certDir);
  if (complete(dir)) return pathsIn(dir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await generateInto(tmp);
    if (existsSync(dir) && !complete(dir)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process won the race; its set is as good as ours.
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!complete(dir)) throw new Error(`could not create the sandbox certificates in ${dir}`);
  return pathsIn(dir);
}

/** 10nPay's thumbprint form: SHA-1 of the DER certificate, 40 upper-case hex characters. */
export function thumbprintOfDer(der: Buffer | Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

/** Thumbprint of a PEM certificate (string or file contents). */
export function thumbprintOfPem(pem: string): string {
  return thumbprintOfDer(Buffer.from(x509.PemConverter.decodeFirst(pem)));
}

export const thumbprintOfFile = (certPath: string): string => thumbprintOfPem(readFileSync(certPath, 'utf8'));
