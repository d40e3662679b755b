"""The official Python SDK's ManagementClient (genauth 5.1.0 from PyPI) against the genauth sandbox.

It authenticates with a management token and sends only GenAuth headers (x-genauth-userpool-id,
x-genauth-sdk-version, x-genauth-lang), never an x-authing- one.

The SDK's own bug, worked around here (the SDK on disk is not changed): its token provider
decodes the JWT payload with standard base64, while JWTs use the URL-safe alphabet, so any
token whose payload encodes to '-' or '_' fails to decode (the real service's tokens too). The
script swaps in a URL-safe decode_jwt before the first call.

Usage: python python_sdk_management.py URL ACCESS_KEY_ID ACCESS_KEY_SECRET USER_ID
Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
"""
import base64
import json
import sys

from genauth import ManagementClient
from genauth.ManagementTokenProvider import ManagementTokenProvider

from checks import check, finish

url, key_id, key_secret, user_id = sys.argv[1:5]


def urlsafe_decode_jwt(self, access_token):
    payload = access_token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload).decode("utf-8"))


ManagementTokenProvider.decode_jwt = urlsafe_decode_jwt

management = ManagementClient(access_key_id=key_id, access_key_secret=key_secret, host=url, lang="en-US")
linked = management.link_identity("oj-python-1", user_id, "wechat-idp")
check("link_identity -> statusCode 200", linked.get("statusCode") == 200, linked)
check("link_identity answers data.success", (linked.get("data") or {}).get("success") is True, linked)
unlinked = management.unlink_identity(user_id, "wechat-idp")
check("unlink_identity -> statusCode 200", unlinked.get("statusCode") == 200, unlinked)
missing = management.unlink_identity(user_id, "wechat-idp")
check("unlink_identity of nothing -> 404", missing.get("statusCode") == 404, missing)

finish()
