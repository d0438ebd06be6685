'use strict';
// Command-line driver of Confluent's Node.js Schema Registry client and Avro serdes, for ConfluentClientsIT.
//
//   node clients.js produce  --brokers H:P --registry URL [--user-info U:P] --topic T [--schema FILE]
//       reads one JSON point per line on stdin, sends them with MetricPointProducer, prints "schema-id N"
//   node clients.js read     --brokers H:P --registry URL --topic T --count N [--timeout-ms MS]
//       reads N records from the start of T with AvroDeserializer, prints one JSON object per record:
//       {"partition", "offset", "key", "value"}; Avro bytes are printed as lowercase hex
//   node clients.js register --registry URL [--user-info U:P] --subject S --schema FILE
//       registers a schema with SchemaRegistryClient, prints {"id"} or {"status", "errorCode", "message"}
const fs = require('fs');
const readline = require('readline');
const { CompressionCodecs, CompressionTypes, Kafka, logLevel } = require('kafkajs');
const lz4js = require('lz4js');
const {
  AvroDeserializer, SchemaRegistryClient, SerdeType,
} = require('@confluentinc/schemaregistry');
const { METRIC_POINT, MetricPointProducer } = require('./metric-point-producer');

// The services compress their batches with LZ4, which KafkaJS reads only through a codec.
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder) => Buffer.from(lz4js.compress(encoder.buffer)),
  decompress: async (buffer) => Buffer.from(lz4js.decompress(buffer)),
});

function options(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    out[argv[i].substring(2)] = argv[i + 1];
  }
  return out;
}

function registry(opts) {
  return new SchemaRegistryClient({
    baseURLs: [opts.registry],
    basicAuthCredentials: opts['user-info']
      ? { credentialsSource: 'USER_INFO', userInfo: opts['user-info'] } : undefined,
    maxRetries: 0,
  });
}

async function produce(opts) {
  const schema = opts.schema ? JSON.parse(fs.readFileSync(opts.schema, 'utf8')) : METRIC_POINT;
  const producer = new MetricPointProducer({
    brokers: opts.brokers.split(','), registryUrl: opts.registry, registryUserInfo: opts['user-info'],
    topic: opts.topic, schema,
  });
  const id = await producer.connect();
  const points = [];
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line.trim() !== '') {
      points.push(JSON.parse(line));
    }
  }
  try {
    await producer.send(points);
  } finally {
    await producer.close();
  }
  process.stdout.write(`schema-id ${id}\n`);
}

function plain(value) {
  if (Buffer.isBuffer(value)) {
    return value.toString('hex');
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  if (value !== null && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = plain(v);
    }
    return out;
  }
  return value;
}

async function read(opts) {
  const count = Number(opts.count);
  const deserializer = new AvroDeserializer(registry(opts), SerdeType.VALUE, {});
  const kafka = new Kafka({
    clientId: 'confluent-clients-it', brokers: opts.brokers.split(','), logLevel: logLevel.WARN,
  });
  const consumer = kafka.consumer({ groupId: `confluent-clients-it-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  const records = [];
  let failure = null;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, Number(opts['timeout-ms'] || 60000));
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (records.length >= count || failure) {
          return;
        }
        try {
          const value = await deserializer.deserialize(opts.topic, message.value);
          records.push({
            partition, offset: Number(message.offset),
            key: message.key === null ? null : message.key.toString('utf8'), value: plain(value),
          });
        } catch (e) {
          failure = e;
        }
        if (records.length >= count || failure) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  for (const r of records) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  if (failure) {
    throw failure;
  }
  if (records.length < count) {
    throw new Error(`read ${records.length} of ${count} records from ${opts.topic}`);
  }
}

async function register(opts) {
  const schema = fs.readFileSync(opts.schema, 'utf8');
  try {
    const id = await registry(opts).register(opts.subject, { schemaType: 'AVRO', schema });
    process.stdout.write(`${JSON.stringify({ id })}\n`);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ status: e.status, errorCode: e.errorCode, message: e.message })}\n`);
  }
}

const commands = { produce, read, register };
const [command, ...rest] = process.argv.slice(2);
if (!commands[command]) {
  process.stderr.write(`usage: node clients.js produce|read|register --option value ...\n`);
  process.exit(2);
}
commands[command](options(rest)).catch((e) => {
  process.stderr.write(`${command} failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
