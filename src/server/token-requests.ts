/**
 * What the four delegation token APIs share: Kafka's allowTokenRequests (no token management
 * over PLAINTEXT, over SSL without a client certificate, or by a client that authenticated
 * with a token itself) and principals split into Kafka's type and name.
 */
import { ANONYMOUS } from './connection.js';
import type { RequestContext } from './handler.js';

export function tokenRequestsAllowed(ctx: RequestContext): boolean {
  const { securityProtocol, principal, tokenAuthenticated } = ctx.connection;
  if (tokenAuthenticated === true || securityProtocol === 'PLAINTEXT') return false;
  return !(securityProtocol === 'SSL' && principal === ANONYMOUS);
}

/** "User:alice" as Kafka's KafkaPrincipal type and name. */
export function principalParts(principal: string): { principalType: string; principalName: string } {
  const colon = principal.indexOf(':');
  return { principalType: principal.slice(0, colon), principalName: principal.slice(colon + 1) };
}
