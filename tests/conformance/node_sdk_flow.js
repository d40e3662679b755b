// The official Node SDK (authing-node-sdk 4.0.1 from npm, unmodified) against the genauth sandbox.
//
// Flow: password sign-in, send-sms (and a throttled second send), bind-phone, get-profile, the
// two steps of update-phone, unbind-phone, a refresh through /oidc/token, and the management
// client's signed link-identity / unlink-identity calls (the Node SDK never fetches a
// management token: it signs every request with the access key pair).
//
// Usage: node node_sdk_flow.js URL APP_ID APP_SECRET USERNAME PASSWORD PHONE NEW_PHONE
//                              ACCESS_KEY_ID ACCESS_KEY_SECRET USER_ID
// Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
//
// The SDK's own behaviour, worked around here rather than in the sandbox:
// - axios rejects every HTTP status >= 400, so the service's HTTP 429 (throttling) and the OAuth
//   4xx of /oidc/token arrive as exceptions carrying `response.status` and `response.data`.
"use strict";

const { AuthenticationClient, ManagementClient } = require("authing-node-sdk");

const [url, appId, appSecret, username, password, phone, newPhone, keyId, keySecret, userId] =
  process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(name, cond, detail) {
  if (cond) {
    passed += 1;
    console.log("ok   " + name);
  } else {
    failed += 1;
    console.log("FAIL " + name + ": " + JSON.stringify(detail));
  }
}

function ok(name, answer) {
  check(name + " -> statusCode 200", answer && answer.statusCode === 200, answer);
}

async function lastCode(number, channel) {
  const query = new URLSearchParams({ phone: number, channel });
  const r = await fetch(url + "/__sandbox/outbox?" + query);
  const messages = await r.json();
  return messages.length ? messages[messages.length - 1].code : null;
}

/// The answer of a call that axios rejected (HTTP >= 400), or the answer itself.
async function answerOf(call) {
  try {
    return { status: 200, data: await call(), headers: {} };
  } catch (e) {
    if (e && e.response) {
      return { status: e.response.status, data: e.response.data, headers: e.response.headers };
    }
    throw e;
  }
}

async function main() {
  const client = new AuthenticationClient({ appId, appSecret, appHost: url });

  const signin = await client.signInByUsernamePassword({
    username,
    password,
    options: { scope: "openid profile phone offline_access" },
  });
  ok("signInByUsernamePassword", signin);
  const tokens = signin.data || {};
  check("sign-in answers a Bearer token set", tokens.token_type === "Bearer" && !!tokens.access_token, tokens);
  check("sign-in answers expire_in (the SDK's model)", typeof tokens.expire_in === "number", tokens);
  check("sign-in answers a refresh token with offline_access", !!tokens.refresh_token, tokens);
  client.setAccessToken(tokens.access_token);

  let profile = await client.getProfile({});
  ok("getProfile before binding", profile);
  check("no phone yet", profile.data && profile.data.phone == null, profile);

  ok(
    "sendSms CHANNEL_BIND_PHONE",
    await client.sendSms({ channel: "CHANNEL_BIND_PHONE", phoneNumber: phone, phoneCountryCode: "+86" })
  );
  const again = await answerOf(() =>
    client.sendSms({ channel: "CHANNEL_BIND_PHONE", phoneNumber: phone, phoneCountryCode: "+86" })
  );
  check(
    "a second send within a minute is HTTP 429 with the envelope and Retry-After",
    again.status === 429 && again.data.statusCode === 429 && Number(again.headers["retry-after"]) > 0,
    again
  );

  const code = await lastCode(phone, "CHANNEL_BIND_PHONE");
  check("the code is in the outbox, 4 digits by default", !!code && code.length === 4, code);
  const wrong = code === "0000" ? "1111" : "0000";
  const bad = await client.bindPhone({ phoneNumber: phone, passCode: wrong, phoneCountryCode: "+86" });
  check("bindPhone with a wrong code -> 400 / apiCode 2001", bad.statusCode === 400 && bad.apiCode === 2001, bad);
  ok("bindPhone", await client.bindPhone({ phoneNumber: phone, passCode: code, phoneCountryCode: "+86" }));

  profile = await client.getProfile({ withIdentities: true });
  ok("getProfile after binding", profile);
  const user = profile.data || {};
  check("the profile has the phone, verified", user.phone === phone && user.phoneVerified === true, user);
  check(
    "the profile has the service's required fields",
    ["userId", "createdAt", "updatedAt", "status", "workStatus", "gender", "userSourceType"].every(
      (k) => user[k] != null
    ),
    user
  );

  // Update the phone in two steps: codes to the new number (bind) and the old one (unbind).
  ok(
    "sendSms CHANNEL_BIND_PHONE to the new number",
    await client.sendSms({ channel: "CHANNEL_BIND_PHONE", phoneNumber: newPhone, phoneCountryCode: "+86" })
  );
  ok(
    "sendSms CHANNEL_UNBIND_PHONE to the old number",
    await client.sendSms({ channel: "CHANNEL_UNBIND_PHONE", phoneNumber: phone, phoneCountryCode: "+86" })
  );
  const verified = await client.verifyUpdatePhoneRequest({
    verifyMethod: "PHONE_PASSCODE",
    phonePassCodePayload: {
      newPhoneNumber: newPhone,
      newPhonePassCode: await lastCode(newPhone, "CHANNEL_BIND_PHONE"),
      newPhoneCountryCode: "+86",
      oldPhoneNumber: phone,
      oldPhonePassCode: await lastCode(phone, "CHANNEL_UNBIND_PHONE"),
      oldPhoneCountryCode: "+86",
    },
  });
  ok("verifyUpdatePhoneRequest", verified);
  const updateToken = verified.data && verified.data.updatePhoneToken;
  check("verifyUpdatePhoneRequest answers an update token", !!updateToken, verified);
  const updated = await client.updatePhone({ updatePhoneToken: updateToken });
  ok("updatePhone", updated);
  check("updatePhone answers data.success (the SDK's IsSuccessRespDto)", updated.data && updated.data.success === true, updated);
  profile = await client.getProfile({});
  check("the profile has the new phone", profile.data && profile.data.phone === newPhone, profile);

  ok(
    "sendSms CHANNEL_UNBIND_PHONE",
    await client.sendSms({ channel: "CHANNEL_UNBIND_PHONE", phoneNumber: newPhone, phoneCountryCode: "+86" })
  );
  // The unbind code of the old number was spent by the update; this one is the new number's.
  ok("unbindPhone", await client.unbindPhone({ passCode: await lastCode(newPhone, "CHANNEL_UNBIND_PHONE") }));
  profile = await client.getProfile({});
  check("the phone is gone", profile.data && profile.data.phone == null, profile);

  // Refresh through /oidc/token (client_secret_post): OAuth spelling, rotation.
  const renewed = await client.getNewAccessTokenByRefreshToken(tokens.refresh_token);
  check(
    "getNewAccessTokenByRefreshToken answers expires_in and a new refresh token",
    renewed && typeof renewed.expires_in === "number" && renewed.refresh_token && renewed.refresh_token !== tokens.refresh_token,
    renewed
  );
  client.setAccessToken(renewed.access_token);
  ok("getProfile with the renewed token", await client.getProfile({}));
  const reused = await answerOf(() => client.getNewAccessTokenByRefreshToken(tokens.refresh_token));
  check("the rotated refresh token is refused (HTTP 400 invalid_grant)", reused.status === 400 && reused.data.error === "invalid_grant", reused);

  // Management: signed requests, no token.
  const management = new ManagementClient({ accessKeyId: keyId, accessKeySecret: keySecret, host: url });
  const linked = await management.linkIdentity({ userIdInIdp: "oj-node-1", userId, extIdpId: "wechat-idp" });
  ok("ManagementClient.linkIdentity (signed)", linked);
  check("linkIdentity answers data.success", linked.data && linked.data.success === true, linked);
  const unlinked = await management.unlinkIdentity({ userId, extIdpId: "wechat-idp" });
  ok("ManagementClient.unlinkIdentity (signed)", unlinked);
  const intruder = new ManagementClient({ accessKeyId: keyId, accessKeySecret: "not-the-secret", host: url });
  const refused = await intruder.linkIdentity({ userIdInIdp: "oj-node-2", userId, extIdpId: "wechat-idp" });
  check("a wrong access key secret is refused (401 / apiCode 1302)", refused.statusCode === 401 && refused.apiCode === 1302, refused);

  console.log(passed + " passed, " + failed + " failed");
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log("FAIL uncaught: " + (e && e.stack ? e.stack : e));
  console.log(passed + " passed, " + (failed + 1) + " failed");
  process.exit(1);
});
