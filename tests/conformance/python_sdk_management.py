"""The official Python SDK's ManagementClient (genauth 5.1.0 from PyPI) against the genauth sandbox.

It authenticates with a management token and sends only GenAuth headers (x-genauth-userpool-id,
x-genauth-sdk-version, x-genauth-lang), never an x-authing- one.

The SDK's own bug, worked around here (the SDK on disk is not changed): its token provider
decodes the JWT payload with standard base64, while JWTs use the URL-safe alphabet, so any
token whose payload encodes to '-' or '_' fails to decode (the real service's tokens too). The
script swaps in a URL-safe decode_jwt before the first call.

It also drives the user family the sandbox keeps state for: get_user by id, phone, user name and
e-mail, list_users with a filter and keywords, get_user_batch, list_archived_users,
delete_users_batch; roles, groups, MFA information and real-name authentications.

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

# The administrator's phone binding: create a user with a verified phone, refuse it to another
# user while owned (bind-phone's apiCode), free it and move it.
got = management.get_user(user_id)
check("get_user -> statusCode 200", got.get("statusCode") == 200, got)
created = management.create_user(username="py-dana", email="dana@example.com", phone="18800006001",
                                  phone_country_code="+86", phone_verified=True)
check("create_user with a verified phone -> 200", created.get("statusCode") == 200, created)
dana = (created.get("data") or {})
check("create_user: the phone is verified", dana.get("phoneVerified") is True, created)
exists = management.is_user_exists(phone="18800006001")
check("is_user_exists(phone) -> data.exists", (exists.get("data") or {}).get("exists") is True, exists)
refused = management.update_user(user_id, phone="18800006001", phone_country_code="+86", phone_verified=True)
check("update_user with another user's phone -> 409 / 1320004",
      refused.get("statusCode") == 409 and refused.get("apiCode") == 1320004, refused)
freed = management.update_user(dana.get("userId", ""), phone="")
check("update_user phone '' frees it", freed.get("statusCode") == 200 and not (freed.get("data") or {}).get("phone"), freed)
moved = management.update_user(user_id, phone="18800006001", phone_country_code="+86", phone_verified=True)
check("update_user moves the phone", (moved.get("data") or {}).get("phone") == "18800006001", moved)
owner = management.get_user("18800006001", user_id_type="phone")
check("get_user by phone finds the new owner", (owner.get("data") or {}).get("userId") == user_id, owner)

by_name = management.get_user("py-dana", user_id_type="username")
check("get_user by username -> dana", (by_name.get("data") or {}).get("userId") == dana.get("userId"), by_name)
by_email = management.get_user("dana@example.com", user_id_type="email")
check("get_user by email -> dana", (by_email.get("data") or {}).get("userId") == dana.get("userId"), by_email)

# What the store keeps beside the profile: roles, groups, MFA factors, real-name authentications.
role = management.create_role("py-editor", name="Editor")
check("create_role -> 200", role.get("statusCode") == 200, role)
assigned = management.assign_role([{"targetType": "USER", "targetIdentifier": user_id}], "py-editor")
check("assign_role -> 200", assigned.get("statusCode") == 200, assigned)
roles = management.get_user_roles(user_id)
check("get_user_roles -> py-editor", [r.get("code") for r in ((roles.get("data") or {}).get("list") or [])] == ["py-editor"], roles)
group = management.create_group("STATIC", "the python group", "Python", "py-group")
check("create_group -> 200", group.get("statusCode") == 200, group)
joined = management.add_group_members([user_id], "py-group")
check("add_group_members -> 200", joined.get("statusCode") == 200, joined)
groups = management.get_user_groups(user_id)
check("get_user_groups -> py-group", [g.get("code") for g in ((groups.get("data") or {}).get("list") or [])] == ["py-group"], groups)
mfa = management.get_user_mfa_info(user_id)
check("get_user_mfa_info -> sms disabled", (mfa.get("data") or {}).get("smsMfaStatus") == "disabled", mfa)
principal = management.get_user_principal_authentication_info("py-dana", user_id_type="username")
check("get_user_principal_authentication_info -> none", (principal.get("data") or {}).get("totalCount") == 0, principal)
reset = management.reset_user_principal_authentication_info(user_id)
check("reset_user_principal_authentication_info -> 200", reset.get("statusCode") == 200, reset)
history = management.get_user_login_history(user_id)
check("get_user_login_history -> 200", history.get("statusCode") == 200, history)

# The user family: list with filters, batch get, delete (stateful, on the store the phone flows use).
listed = management.list_users(advanced_filter=[{"field": "phone", "operator": "EQUAL", "value": "18800006001"}])
check("list_users by phone -> the owner", [u.get("userId") for u in ((listed.get("data") or {}).get("list") or [])] == [user_id], listed)
found = management.list_users(keywords="py-dana", options={"pagination": {"page": 1, "limit": 10}})
check("list_users by keyword -> dana", (found.get("data") or {}).get("totalCount") == 1, found)
too_many = management.list_users(options={"pagination": {"page": 1, "limit": 51}})
check("list_users limit 51 -> 400", too_many.get("statusCode") == 400, too_many)
batch = management.get_user_batch(user_ids=user_id + "," + dana.get("userId", ""))
check("get_user_batch -> both", [u.get("userId") for u in (batch.get("data") or [])] == [user_id, dana.get("userId")], batch)
archived = management.list_archived_users()
check("list_archived_users -> none", (archived.get("data") or {}).get("totalCount") == 0, archived)
deleted = management.delete_users_batch(user_ids=[dana.get("userId", "")])
check("delete_users_batch -> 200", deleted.get("statusCode") == 200, deleted)
gone = management.get_user(dana.get("userId", ""))
check("get_user of a deleted user -> 404", gone.get("statusCode") == 404, gone)

finish()
