/** A local HTTPS service that demands a client certificate: for the provider clients' mutual TLS tests. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

import { issue, toPem } from '../mobileid/helpers.js';

export interface MutualTlsService {
  /** Not listening yet. */
  server: Server;
  /** The test CA that issued the server's and the client's certificates (PEM). */
  caPem: string;
  /** The client's certificate and key (PEM). */
  certPem: string;
  keyPem: string;
  /** The common names of the client certificates that reached `handle`. */
  peers: string[];
}

/** A server certificate for 127.0.0.1 and a client certificate named `clientName`, both from one test CA. */
export async function mutualTlsService(clientName: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<MutualTlsService> {
  const ca = await issue({ commonName: 'Test TLS CA', keyKind: 'ec', ca: true });
  const serverId = await issue({ commonName: '127.0.0.1', keyKind: 'ec', ca: false, issuer: ca, ipAddress: '127.0.0.1', keyUsage: 0x88 });
  const clientId = await issue({ commonName: clientName, keyKind: 'ec', ca: false, issuer: ca });
  const caPem = await toPem(ca.cert);
  const peers: string[] = [];
  const server = createServer({ key: await toPem(serverId.keys.privateKey), cert: await toPem(serverId.cert), ca: caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
    handle(req, res);
  });
  return { server, caPem, certPem: await toPem(clientId.cert), keyPem: await toPem(clientId.keys.privateKey), peers };
}
