// The official Node SDK (authing-node-sdk 4.0.1) doing the bind-phone flow for N users,
// sequentially: password sign-in, sendSms CHANNEL_BIND_PHONE, read the code from the sandbox
// outbox, bindPhone. One client for the whole run, as an application keeps one (the SDK's axios
// keeps connections alive).
//
// Usage: node node_sdk_bench.js URL APP_ID APP_SECRET FIRST COUNT
// Users are bench{FIRST}..bench{FIRST+COUNT-1} (password bench-password-{i}), phones 171{i:08}.
// Prints one JSON line per user, {"signin": us, "send": us, "bind": us}: microseconds in each of
// the SDK's three calls (the outbox read, the user typing the code, is not timed).
"use strict";

const { AuthenticationClient } = require("authing-node-sdk");

const [url, appId, appSecret, first, count] = process.argv.slice(2);

function micros(since) {
  return Number(process.hrtime.bigint() - since) / 1000;
}

async function lastCode(phone) {
  const q = new URLSearchParams({ phone, channel: "CHANNEL_BIND_PHONE" });
  const messages = await (await fetch(url + "/__sandbox/outbox?" + q)).json();
  return messages[messages.length - 1].code;
}

async function main() {
  const client = new AuthenticationClient({ appId, appSecret, appHost: url });
  for (let i = Number(first); i < Number(first) + Number(count); i++) {
    const phone = "171" + String(i).padStart(8, "0");
    let t = process.hrtime.bigint();
    const signin = await client.signInByUsernamePassword({
      username: "bench" + i,
      password: "bench-password-" + i,
    });
    client.setAccessToken(signin.data.access_token);
    const signinUs = micros(t);
    if (signin.statusCode !== 200) throw new Error(JSON.stringify(signin));
    t = process.hrtime.bigint();
    const sent = await client.sendSms({ channel: "CHANNEL_BIND_PHONE", phoneNumber: phone, phoneCountryCode: "+86" });
    const sendUs = micros(t);
    if (sent.statusCode !== 200) throw new Error(JSON.stringify(sent));
    const code = await lastCode(phone);
    t = process.hrtime.bigint();
    const bound = await client.bindPhone({ phoneNumber: phone, passCode: code, phoneCountryCode: "+86" });
    const bindUs = micros(t);
    if (bound.statusCode !== 200) throw new Error(JSON.stringify(bound));
    console.log(JSON.stringify({ signin: signinUs, send: sendUs, bind: bindUs }));
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
