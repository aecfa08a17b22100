// A TLS-terminating front for a test Temporal server that, like a production cluster or Temporal
// Cloud, requires a client certificate: a real TLS handshake (ALPN h2, the CA's server certificate
// for 127.0.0.1/localhost, client certificates checked against the same CA), then the plaintext
// gRPC bytes piped to the dev server. The certificates are the sandbox's (src/sandbox/certificates.ts).
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { ensureCertificates, type CertificatePaths } from '../../src/sandbox/certificates';

export interface MtlsProxy {
  /** host:port to give as TEMPORAL_ADDRESS. */
  address: string;
  certs: CertificatePaths;
  /** Handshakes refused so far (no client certificate, or one the CA did not issue). */
  refusedHandshakes(): number;
  close(): Promise<void>;
}

export async function startMtlsProxy(target: string, certDir: string): Promise<MtlsProxy> {
  const certs = await ensureCertificates(certDir);
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let refused = 0;
  const server = tls.createServer(
    {
      key: readFileSync(certs.serverKeyPath),
      cert: readFileSync(certs.serverCertPath),
      ca: readFileSync(certs.caCertPath),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
    },
    (front) => {
      const back = net.connect(targetPort, targetHost);
      sockets.add(front).add(back);
      const end = () => {
        front.destroy();
        back.destroy();
        sockets.delete(front);
        sockets.delete(back);
      };
      front.on('error', end).on('close', end);
      back.on('error', end).on('close', end);
      front.pipe(back).pipe(front);
    },
  );
  server.on('tlsClientError', () => {
    refused += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    certs,
    refusedHandshakes: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
