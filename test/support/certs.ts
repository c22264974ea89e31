/**
 * Test certificates made with the openssl CLI (node:crypto cannot issue X.509): a CA, a
 * server certificate for 127.0.0.1/localhost, a client certificate signed by the CA, and a
 * self-signed client certificate no one trusts. PEM files, plus the server's key and chain as
 * a PKCS12 keystore.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  /** Server private key followed by its certificate: a PEM keystore file. */
  serverPem: string;
  serverP12: string;
  p12Password: string;
  clientKey: string;
  clientCert: string;
  rogueKey: string;
  rogueCert: string;
  /** The client certificate's subject as Kafka names it (RFC 2253). */
  clientDn: string;
  read(path: string): string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-certs-'));
  const days = '2';
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days, '-subj', '/CN=Skiff Test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', days, '-extfile', 'server.ext');
  writeFileSync(join(dir, 'server.pem'), readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.crt'), 'utf8'));
  openssl(dir, 'pkcs12', '-export', '-inkey', 'server.key', '-in', 'server.crt', '-certfile', 'ca.crt', '-out', 'server.p12', '-passout', 'pass:p12-secret');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/O=Skiff/OU=eng/CN=alice');
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', days);
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', days, '-subj', '/CN=mallory');
  const p = (f: string): string => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverPem: p('server.pem'),
    serverP12: p('server.p12'),
    p12Password: 'p12-secret',
    clientKey: p('client.key'),
    clientCert: p('client.crt'),
    rogueKey: p('rogue.key'),
    rogueCert: p('rogue.crt'),
    clientDn: 'CN=alice,OU=eng,O=Skiff',
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
