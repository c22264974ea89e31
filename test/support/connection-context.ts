import type { ConnectionContext } from '../../src/server/connection.js';

/** An open, authenticated PLAINTEXT connection from 127.0.0.1, for calling handlers without sockets. */
export function plaintextConnection(id: number, principal = 'User:ANONYMOUS'): ConnectionContext {
  return {
    id,
    remoteAddress: '127.0.0.1',
    remotePort: 1000 + id,
    closed: false,
    signal: new AbortController().signal,
    listenerName: 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    principal,
    authenticated: true,
  };
}
