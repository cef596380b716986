// A scriptable MQTT.js client for the integration tests (lib/mqttjs.py).
//
// Reads one JSON command per line on stdin and writes one JSON event per line
// on stdout. Commands:
//   {"op":"connect","url":"mqtt://127.0.0.1:PORT","options":{...MQTT.js options}}
//   {"op":"subscribe","topic":"t","qos":1,"options":{...},"tag":"x"}
//   {"op":"unsubscribe","topic":"t","tag":"x"}
//   {"op":"publish","topic":"t","payload":"p","qos":2,"retain":false,"properties":{},"tag":"x"}
//   {"op":"publish_many","topic":"t","prefix":"m","count":100,"qos":1,"tag":"x"}
//   {"op":"end","force":false}          DISCONNECT (force: just close)
//   {"op":"exit"}
// Events: connect, message, suback, unsuback, published, published_many,
// disconnect (a v5 DISCONNECT from the broker), close, error, ended; each has
// "ev" and the fields MQTT.js gives. Automatic reconnection is off unless the
// connect options set reconnectPeriod.
'use strict';

const mqtt = require('mqtt');
const readline = require('readline');

let client = null;

function emit(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

function errText(err) {
    return err ? String(err.message || err) : null;
}

function attach(c) {
    c.on('connect', (ack) => emit({
        ev: 'connect', sessionPresent: !!ack.sessionPresent,
        reasonCode: ack.reasonCode !== undefined ? ack.reasonCode : ack.returnCode,
        properties: ack.properties || {},
    }));
    c.on('message', (topic, payload, packet) => emit({
        ev: 'message', topic, payload: payload.toString('utf8'),
        payload_hex: payload.toString('hex'), qos: packet.qos, retain: !!packet.retain,
        dup: !!packet.dup, properties: packet.properties || {},
    }));
    c.on('disconnect', (packet) => emit({ ev: 'disconnect', reasonCode: packet.reasonCode }));
    c.on('close', () => emit({ ev: 'close' }));
    c.on('error', (err) => emit({ ev: 'error', message: errText(err), code: err.code }));
}

function connect(cmd) {
    const options = Object.assign({ reconnectPeriod: 0, connectTimeout: 10000 }, cmd.options);
    client = mqtt.connect(cmd.url, options);
    attach(client);
}

function publishMany(cmd) {
    let done = 0;
    let failed = null;
    for (let i = 0; i < cmd.count; i++) {
        client.publish(cmd.topic, cmd.prefix + i, { qos: cmd.qos }, (err) => {
            if (err && !failed) failed = errText(err);
            if (++done === cmd.count) {
                emit({ ev: 'published_many', tag: cmd.tag, count: done, error: failed });
            }
        });
    }
}

const handlers = {
    connect,
    subscribe: (cmd) => client.subscribe(cmd.topic, Object.assign({ qos: cmd.qos || 0 },
        cmd.options), (err, granted) => emit({ ev: 'suback', tag: cmd.tag, error: errText(err),
        granted })),
    unsubscribe: (cmd) => client.unsubscribe(cmd.topic, (err) => emit({
        ev: 'unsuback', tag: cmd.tag, error: errText(err) })),
    publish: (cmd) => client.publish(cmd.topic, cmd.payload, {
        qos: cmd.qos || 0, retain: !!cmd.retain, properties: cmd.properties,
    }, (err, packet) => emit({ ev: 'published', tag: cmd.tag, error: errText(err),
        reasonCode: err && err.code !== undefined ? err.code : packet && packet.reasonCode })),
    publish_many: publishMany,
    end: (cmd) => client.end(!!cmd.force, () => emit({ ev: 'ended' })),
    exit: () => process.exit(0),
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
    let cmd;
    try {
        cmd = JSON.parse(line);
    } catch (e) {
        emit({ ev: 'error', message: 'bad command: ' + line });
        return;
    }
    const h = handlers[cmd.op];
    if (!h) {
        emit({ ev: 'error', message: 'unknown op ' + cmd.op });
        return;
    }
    try {
        h(cmd);
    } catch (e) {
        emit({ ev: 'error', message: errText(e) });
    }
});
// The test ends us by closing stdin, by {"op":"exit"}, or by PID.
rl.on('close', () => process.exit(0));
