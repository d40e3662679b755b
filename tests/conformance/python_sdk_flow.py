"""The official Python SDK (genauth 5.1.0 from PyPI, unmodified) against the genauth sandbox.

Flow (the seeds' scenario): a user who signed up with a user name and password binds a phone,
reads the profile, then unbinds it. SMS codes are read from the sandbox outbox over HTTP.

Usage: python python_sdk_flow.py URL APP_ID APP_SECRET USERNAME PASSWORD PHONE
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
"""
import json
import sys
import urllib.parse
import urllib.request

from genauth import AuthenticationClient

from checks import check, finish

url, app_id, app_secret, username, password, phone = sys.argv[1:7]


def last_code(channel, number=None):
    query = urllib.parse.urlencode({"phone": number or phone, "channel": channel})
    with urllib.request.urlopen(url + "/__sandbox/outbox?" + query) as r:
        messages = json.load(r)
    return messages[-1]["code"] if messages else None


def ok(name, answer):
    check(name + " -> statusCode 200", isinstance(answer, dict) and answer.get("statusCode") == 200, answer)


client = AuthenticationClient(app_id=app_id, app_secret=app_secret, app_host=url)

signin = client.sign_in_by_username_password(username, password)
ok("sign_in_by_username_password", signin)
data = signin.get("data") or {}
check("sign-in answers a Bearer token set", data.get("token_type") == "Bearer" and data.get("access_token"), data)
check("sign-in answers expire_in", isinstance(data.get("expire_in"), int), data)
client.set_access_token(data.get("access_token"))

profile = client.get_profile()
ok("get_profile before binding", profile)
check("no phone yet", (profile.get("data") or {}).get("phone") is None, profile)

ok("send_sms CHANNEL_BIND_PHONE", client.send_sms("CHANNEL_BIND_PHONE", phone, "+86"))
again = client.send_sms("CHANNEL_BIND_PHONE", phone, "+86")
check("a second send within a minute is throttled (HTTP 429 with the envelope)", again.get("statusCode") == 429, again)

code = last_code("CHANNEL_BIND_PHONE")
check("the code is in the outbox, 4 digits by default", code is not None and len(code) == 4, code)
wrong = "0000" if code != "0000" else "1111"
bad = client.bind_phone(wrong, phone, "+86")
check("bind_phone with a wrong code -> 400 / apiCode 2001", bad.get("statusCode") == 400 and bad.get("apiCode") == 2001, bad)
check("a failure carries a requestId", bool(bad.get("requestId")), bad)

ok("bind_phone", client.bind_phone(code, phone, "+86"))
reuse = client.bind_phone(code, phone, "+86")
check("bind_phone again is refused", reuse.get("statusCode") != 200, reuse)

profile = client.get_profile()
ok("get_profile after binding", profile)
user = profile.get("data") or {}
check("profile has the phone", user.get("phone") == phone and user.get("phoneCountryCode") == "+86", user)
check("profile phone is verified", user.get("phoneVerified") is True, user)

ok("send_sms CHANNEL_UNBIND_PHONE", client.send_sms("CHANNEL_UNBIND_PHONE", phone, "+86"))
ok("unbind_phone", client.unbind_phone(last_code("CHANNEL_UNBIND_PHONE")))

profile = client.get_profile()
ok("get_profile after unbinding", profile)
check("the phone is gone", (profile.get("data") or {}).get("phone") is None, profile)

# The calls around a phone's life.
info = client.get_security_level()
ok("get_security_level (get-security-info)", info)
check("security info: a password, no phone now", (info.get("data") or {}).get("passwordSet") is True
      and (info.get("data") or {}).get("phoneBinded") is False, info)
countries = client.get_country_list()
ok("get_country_list", countries)
check("the country list has +86", any(c.get("phoneCountryCode") == "+86" for c in countries.get("data") or []), countries)
ok("get_application_enabled_ext_idps", client.get_application_enabled_ext_idps())

new_phone = phone[:-4] + "4242"
ok("send_sms CHANNEL_REGISTER", client.send_sms("CHANNEL_REGISTER", new_phone, "+86"))
code = last_code("CHANNEL_REGISTER", new_phone)
pre = client.pre_check_code("SMS", sms_code_payload={"phone": new_phone, "phoneCountryCode": "+86", "passCode": code,
                                                     "channel": "CHANNEL_REGISTER"})
check("pre_check_code says valid", (pre.get("data") or {}).get("isValid") is True, pre)
signup = client.sign_up_by_phone_passcode(new_phone, code, "+86")
ok("sign_up_by_phone_passcode (the code still good after the pre-check)", signup)
check("the new user's phone is verified", (signup.get("data") or {}).get("phoneVerified") is True, signup)

ok("send_sms CHANNEL_RESET_PASSWORD", client.send_sms("CHANNEL_RESET_PASSWORD", new_phone, "+86"))
verified = client.verify_reset_password_request("PHONE_PASSCODE", phone_pass_code_payload={
    "phoneNumber": new_phone, "phoneCountryCode": "+86", "passCode": last_code("CHANNEL_RESET_PASSWORD", new_phone)})
ok("verify_reset_password_request", verified)
token = (verified.get("data") or {}).get("passwordResetToken")
ok("reset_password", client.reset_password("python-new-password-1", token))
reused = client.reset_password("python-new-password-2", token)
check("a reset token is good once", reused.get("statusCode") == 400, reused)

# The GenAuth-side WeChat mobile binding: a bind request (HTTP 301 with data.key), bound to the
# new phone's user by a login code, then a native sign-in of the now linked account.
def social_code(code, open_id):
    request = urllib.request.Request(url + "/__sandbox/social-codes", method="POST",
                                     data=json.dumps({"code": code, "userIdInIdp": open_id}).encode(),
                                     headers={"content-type": "application/json"})
    urllib.request.urlopen(request).read()


social_code("py-wx-1", "openid-python")
asked = client.auth_by_code_identity("py-wx-1", app_id=app_id)
key = (asked.get("data") or {}).get("key")
check("auth_by_code_identity of an unlinked account answers a bind key", bool(key), asked)
ok("send_sms CHANNEL_LOGIN", client.send_sms("CHANNEL_LOGIN", new_phone, "+86"))
bound = client.bind_by_phone_code(key, "bind-identity-by-phone-code", last_code("CHANNEL_LOGIN", new_phone),
                                  new_phone, "+86")
check("bind_by_phone_code answers the token set", bool(bound.get("access_token")), bound)
social_code("py-wx-2", "openid-python")
native = client.sign_in_by_mobile("wechat-mobile", "wechat", wechat_payload={"code": "py-wx-2"},
                                  client_id=app_id, client_secret=app_secret)
ok("sign_in_by_mobile of the linked account", native)

finish()
