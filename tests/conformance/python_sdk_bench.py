"""The official Python SDK (genauth 5.1.0) doing the bind-phone flow for N users, sequentially:
password sign-in, send_sms CHANNEL_BIND_PHONE, read the code from the sandbox outbox, bind_phone.

Usage: python python_sdk_bench.py URL APP_ID APP_SECRET FIRST COUNT
Users are bench{FIRST}..bench{FIRST+COUNT-1} (password bench-password-{i}), phones 171{i:08}.
Prints one JSON line per user, {"signin": us, "send": us, "bind": us} (microseconds in each of
the SDK's three calls), then "sdk_seconds=<float> python_seconds=<float> users=<n>": the time in
the SDK's three calls, and the time in all (with the outbox reads, which stand for the user
typing the code).
"""
import json
import sys
import time
import urllib.parse
import urllib.request

from genauth import AuthenticationClient

url, app_id, app_secret, first, count = sys.argv[1:6]
first, count = int(first), int(count)


def last_code(phone):
    q = urllib.parse.urlencode({"phone": phone, "channel": "CHANNEL_BIND_PHONE"})
    with urllib.request.urlopen(url + "/__sandbox/outbox?" + q) as r:
        return json.load(r)[-1]["code"]


# The SDK's calls are timed one by one (as on the Rust side); the client's construction, the
# test's assertions and the outbox read (the user typing the code) are not in sdk_seconds.
sdk_seconds = 0.0
started = time.perf_counter()
for i in range(first, first + count):
    client = AuthenticationClient(app_id=app_id, app_secret=app_secret, app_host=url)
    phone = "171%08d" % i
    t = time.perf_counter()
    signin = client.sign_in_by_username_password("bench%d" % i, "bench-password-%d" % i)
    client.set_access_token(signin["data"]["access_token"])
    t_signin = time.perf_counter() - t
    assert signin["statusCode"] == 200, signin
    t = time.perf_counter()
    sent = client.send_sms("CHANNEL_BIND_PHONE", phone, "+86")
    t_send = time.perf_counter() - t
    assert sent["statusCode"] == 200, sent
    code = last_code(phone)
    t = time.perf_counter()
    bound = client.bind_phone(code, phone, "+86")
    t_bind = time.perf_counter() - t
    assert bound["statusCode"] == 200, bound
    sdk_seconds += t_signin + t_send + t_bind
    print(json.dumps({"signin": t_signin * 1e6, "send": t_send * 1e6, "bind": t_bind * 1e6}))
elapsed = time.perf_counter() - started
print("sdk_seconds=%f python_seconds=%f users=%d" % (sdk_seconds, elapsed, count))
