// Drives mqtt.js against a running broker and prints one JSON line with what it saw.
// Usage: node interop.mjs <url> <protocolVersion 4|5> <topicPrefix> [caFile for mqtts/wss]
// Exit 0 with {"ok":true,...}; on any error or after 10 s, exit 1 with {"ok":false,"error":...}.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

const [url, versionArg, prefix, caFile] = process.argv.slice(2);
if (!url || !versionArg || !prefix) {
  console.log(JSON.stringify({ ok: false, error: 'usage: node interop.mjs <url> <4|5> <topicPrefix>' }));
  process.exit(2);
}
const protocolVersion = Number(versionArg);
const v5 = protocolVersion === 5;
const opts = (id) => ({ clientId: `${prefix.replace(/\W/g, '_')}-${id}`, protocolVersion,
  reconnectPeriod: 0, connectTimeout: 5000,
  // TLS: trust exactly the test CA, and verify the broker's certificate against it
  ...(caFile ? { ca: readFileSync(caFile), rejectUnauthorized: true } : {}) });

const clients = [];
const fail = (error) => {
  console.log(JSON.stringify({ ok: false, error: String(error && error.message || error) }));
  clients.forEach((c) => c.end(true));
  process.exit(1);
};
setTimeout(() => fail('timed out after 10 s'), 10000).unref();

const connect = (id) => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, opts(id));
  clients.push(c);
  c.once('connect', (connack) => resolve({ client: c, connack }));
  c.once('error', reject);
  c.once('close', () => reject(new Error(`${id}: connection closed before CONNACK`)));
});
const nextMessage = (c) => new Promise((resolve) => {
  c.once('message', (topic, payload, packet) => resolve({
    topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain,
    userProperties: packet.properties && packet.properties.userProperties || null }));
});

try {
  const live = `${prefix}/live`;
  const kept = `${prefix}/kept`;
  const { client: sub } = await connect('sub');
  const { client: pub } = await connect('pub');
  await sub.subscribeAsync(live, { qos: 1 });
  const gotLive = nextMessage(sub);
  await pub.publishAsync(live, 'hello from mqtt.js', {
    qos: 1, properties: v5 ? { userProperties: { origin: 'mqtt.js' } } : undefined });
  const message = await gotLive;

  await pub.publishAsync(kept, 'retained from mqtt.js', { qos: 1, retain: true });
  const { client: late } = await connect('late');
  const gotRetained = nextMessage(late);
  await late.subscribeAsync(kept, { qos: 1 });
  const retained = await gotRetained;
  await pub.publishAsync(kept, '', { qos: 1, retain: true }); // clean up the retained message

  await Promise.all(clients.map((c) => c.endAsync()));
  console.log(JSON.stringify({ ok: true, message, retained }));
  process.exit(0);
} catch (e) {
  fail(e);
}
