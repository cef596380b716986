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
// connect options set reconnectPeriod. Also "packet" for every CONNACK,
// DISCONNECT and AUTH received (cmd, reasonCode, properties), so a test sees
// the properties of a refusal too. Binary property values of those packets
// (authentication data) are given as UTF-8 text; a message's properties come
// as MQTT.js gives them (binary ones as {"type": "Buffer", "data": [...]}).
// Enhanced authentication: the connect options may carry "authReplies", a map
// from the broker's Authentication Data to the data of the AUTH 0x18 answer.
'use strict';

const crypto = require('crypto');
const mqtt = require('mqtt');
const readline = require('readline');

let client = null;

// Properties as JSON can carry them: Buffers become UTF-8 text.
function plain(props) {
    const out = {};
    for (const [k, v] of Object.entries(props || {})) {
        out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
    }
    return out;
}

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
        properties: plain(ack.properties),
    }));
    c.on('packetreceive', (packet) => {
        if (['connack', 'disconnect', 'auth'].includes(packet.cmd)) {
            emit({ ev: 'packet', cmd: packet.cmd, reasonCode: packet.reasonCode,
                sessionPresent: packet.sessionPresent, properties: plain(packet.properties) });
        }
    });
    c.on('message', (topic, payload, packet) => emit({
        ev: 'message', topic, payload: payload.toString('utf8'),
        payload_hex: payload.toString('hex'), qos: packet.qos, retain: !!packet.retain,
        dup: !!packet.dup, properties: packet.properties || {},
    }));
    c.on('disconnect', (packet) => emit({ ev: 'disconnect', reasonCode: packet.reasonCode }));
    c.on('close', () => emit({ ev: 'close' }));
    c.on('error', (err) => emit({ ev: 'error', message: errText(err), code: err.code }));
}

// SCRAM (RFC 5802) client side with node's crypto, for "scram": {method,
// user, password} in the connect options: the first message goes in
// CONNECT, the final one answers the broker's AUTH 0x18, and the broker's
// signature is checked when the CONNACK comes (event "scram").
function scramClient(o) {
    const alg = o.method === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
    const nonce = crypto.randomBytes(18).toString('base64');
    const bare = 'n=' + o.user + ',r=' + nonce;
    const s = { first: Buffer.from('n,,' + bare), expected: null };
    s.final = (serverFirst) => {
        const sf = serverFirst.toString('utf8');
        const a = Object.fromEntries(sf.split(',').map((kv) => [kv[0], kv.slice(2)]));
        const salted = crypto.pbkdf2Sync(o.password, Buffer.from(a.s, 'base64'),
                                         Number(a.i), alg === 'sha512' ? 64 : 32, alg);
        const hmac = (k, d) => crypto.createHmac(alg, k).update(d).digest();
        const clientKey = hmac(salted, 'Client Key');
        const stored = crypto.createHash(alg).update(clientKey).digest();
        const noProof = 'c=biws,r=' + a.r;
        const msg = [bare, sf, noProof].join(',');
        const sig = hmac(stored, msg);
        const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]));
        s.expected = 'v=' + hmac(hmac(salted, 'Server Key'), msg).toString('base64');
        return Buffer.from(noProof + ',p=' + proof.toString('base64'));
    };
    return s;
}

function connect(cmd) {
    const options = Object.assign({ reconnectPeriod: 0, connectTimeout: 10000 }, cmd.options);
    let replies = options.authReplies;
    delete options.authReplies;
    const scram = options.scram ? scramClient(options.scram) : null;
    if (scram) {
        options.properties = Object.assign({}, options.properties, {
            authenticationMethod: options.scram.method, authenticationData: scram.first });
        delete options.scram;
    }
    // JSON has no bytes: binary properties arrive as text.
    const p = options.properties;
    if (p && typeof p.authenticationData === 'string') {
        p.authenticationData = Buffer.from(p.authenticationData);
    }
    const wp = options.will && options.will.properties;
    if (wp && typeof wp.correlationData === 'string') {
        wp.correlationData = Buffer.from(wp.correlationData);
    }
    client = mqtt.connect(cmd.url, options);
    if (scram) {
        client.handleAuth = (packet, callback) => {
            callback(null, { cmd: 'auth', reasonCode: 0x18, properties: {
                authenticationMethod: packet.properties.authenticationMethod,
                authenticationData: scram.final(packet.properties.authenticationData) } });
        };
        client.on('packetreceive', (packet) => {
            if (packet.cmd !== 'connack' || !packet.properties) return;
            const got = (packet.properties.authenticationData || '').toString('utf8');
            emit({ ev: 'scram', verified: got === scram.expected });
        });
    }
    if (replies) {
        client.handleAuth = (packet, callback) => {
            const got = (packet.properties.authenticationData || Buffer.alloc(0)).toString('utf8');
            if (!(got in replies)) {
                callback(new Error('no reply for ' + got));
                return;
            }
            callback(null, { cmd: 'auth', reasonCode: 0x18, properties: {
                authenticationMethod: packet.properties.authenticationMethod,
                authenticationData: Buffer.from(replies[got]) } });
        };
    }
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
