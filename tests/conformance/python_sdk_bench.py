"""The official Python SDK (genauth 5.1.0) doing the bind-phone flow for N users, sequentially:
password sign-in, send_sms CHANNEL_BIND_PHONE, read the code from the sandbox outbox, bind_phone.

Usage: python python_sdk_bench.py URL APP_ID APP_SECRET FIRST COUNT
Users are bench{FIRST}..bench{FIRST+COUNT-1} (password bench-password-{i}), phones 171{i:08}.
Prints "python_seconds=<float> users=<n>".
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


started = time.perf_counter()
for i in range(first, first + count):
    client = AuthenticationClient(app_id=app_id, app_secret=app_secret, app_host=url)
    signin = client.sign_in_by_username_password("bench%d" % i, "bench-password-%d" % i)
    assert signin["statusCode"] == 200, signin
    client.set_access_token(signin["data"]["access_token"])
    phone = "171%08d" % i
    sent = client.send_sms("CHANNEL_BIND_PHONE", phone, "+86")
    assert sent["statusCode"] == 200, sent
    bound = client.bind_phone(last_code(phone), phone, "+86")
    assert bound["statusCode"] == 200, bound
elapsed = time.perf_counter() - started
print("python_seconds=%f users=%d" % (elapsed, count))
