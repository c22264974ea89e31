// The image's health check. With the HTTP server on (the image's default command opens it on
// 8080; SKIFF_HEALTH_HTTP_PORT names another), healthy when /ready answers 200. A command
// without --http-port leaves nothing on that port: then healthy when the broker answers an
// ApiVersions request on its Kafka port (argv[2], default 9092) with no error.
// Exits 0 when healthy, 1 otherwise.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

const kafkaPort = Number(process.argv[2] ?? 9092);
const httpPort = Number(process.env.SKIFF_HEALTH_HTTP_PORT ?? 8080);
const fail = () => process.exit(1);

const ready = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/ready', timeout: 2000 }, (res) => {
  process.exit(res.statusCode === 200 ? 0 : 1);
});
ready.on('timeout', fail);
ready.on('error', (err) => (err.code === 'ECONNREFUSED' ? apiVersions() : fail()));
ready.end();

function apiVersions() {
  const CORRELATION_ID = 0x5a1ff;
  const clientId = Buffer.from('skiff-healthcheck');
  // ApiVersions v0: size, api key 18, version 0, correlation id, client id (int16 length + bytes).
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  request.writeInt32BE(request.length - 4, 0);
  request.writeInt16BE(18, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(CORRELATION_ID, 8);
  request.writeInt16BE(clientId.length, 12);
  clientId.copy(request, 14);

  const socket = connect(kafkaPort, '127.0.0.1');
  socket.setTimeout(2000, fail);
  socket.on('error', fail);
  socket.on('connect', () => socket.write(request));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
    // Size, correlation id, error code: the first 10 bytes say all the check needs.
    if (received.length < 10) return;
    const healthy = received.readInt32BE(4) === CORRELATION_ID && received.readInt16BE(8) === 0;
    process.exit(healthy ? 0 : 1);
  });
}
