// Every URL handed to the user is checked against TRUSTED_URL_HOSTS: an exact host match (the
// entry is either a host name or host:port), https only, except plain http on the loopback
// interface (the local sandbox).
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isTrustedUrl(url: string, trustedHosts: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  const hostname = u.hostname.toLowerCase();
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(hostname))) return false;
  const host = u.host.toLowerCase();
  return trustedHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e !== '' && (e === host || e === hostname);
  });
}
