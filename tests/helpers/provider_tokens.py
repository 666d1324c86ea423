#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tokens shaped exactly like real identity providers' own, signed with test
keys (tests/integration/providers.sh).

    provider_tokens.py KEYDIR OUTDIR

KEYDIR holds NAME.key (a PEM private key) for entra, google, okta, keycloak,
github and gitlab; this writes KEYDIR/NAME.jwks (the public key as its
provider publishes it: kid, use, alg, and x5t where the provider sends one)
and one file per token into OUTDIR, named TOKEN (see TOKENS below).  The
headers and claim sets follow each provider's documentation and sample tokens:
the same iss (tenant and client IDs are the documentation's examples), aud,
header members (typ present or absent, kid, x5t) and claims, with times from
now.  Only the values the rules look at differ between the variants.
"""
import base64
import hashlib
import json
import os
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization

KEYDIR, OUT = sys.argv[1], sys.argv[2]
NOW = int(time.time())
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
API_APP = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
CLIENT_APP = "b3b1f9a4-52d6-4b0e-9c1f-0a1d6e5c2f11"
GOOGLE_CLIENT = "1234987819200.apps.googleusercontent.com"
KIDS = {"entra": "nOo3ZDrODXEK1jKWhXslHR_KXEg", "google": "6f7254101f56e41cf35c9926de84a2d552b4c6f1",
        "okta": "lRM8NqxqIKWnS2rOeRFr0KfnKn4E9dQ6gaW1qTgqkP0", "keycloak": "K3mQk0yH7n5dJr8a1YwS6sZ2vX9cB4eF",
        "github": "cc413527-173f-5a05-976e-9c52b1d7b431", "gitlab": "kewiQq9jiC84CvSsJYOB-N6A8WFLSV20Mb-y7IlWDSQ"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load(name):
    with open(os.path.join(KEYDIR, name + ".key"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def publish(name, key):
    pub = key.public_key().public_numbers()
    n = pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")
    jwk = {"kty": "RSA", "use": "sig", "kid": KIDS[name], "n": b64(n), "e": "AQAB"}
    if name != "okta":  # Okta's JWKS has no x5t, the others' have or tolerate it
        der = key.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        jwk["x5t"] = b64(hashlib.sha1(der).digest())
    if name in ("okta", "keycloak", "github", "gitlab"):
        jwk["alg"] = "RS256"
    doc = {"keys": [jwk]}
    # Keycloak lists an RSA-OAEP encryption key beside its signing key; here
    # it comes first and shares the signing key's kid, the worst case: a
    # token naming that kid meets it before the signing key (passed over).
    if name == "keycloak":
        doc["keys"].insert(0, {"kty": "RSA", "use": "enc", "alg": "RSA-OAEP",
                               "kid": KIDS[name], "n": b64(n), "e": "AQAB"})
    path = os.path.join(KEYDIR, name + ".jwks")
    with open(path, "w") as f:
        json.dump(doc, f)
    os.chmod(path, 0o644)
    return jwk


def sign(name, claims, header, key_of=None):
    key = KEYS[key_of or name]
    hdr = dict(header)
    # PyJWT adds typ JWT unless told typ None (Okta sends no typ at all).
    return jwt.encode(claims, key, algorithm="RS256", headers=hdr)


KEYS = {n: load(n) for n in KIDS}
JWK = {n: publish(n, KEYS[n]) for n in KIDS}


def entra_access(upn, **over):
    c = {"aud": API_APP, "iss": "https://login.microsoftonline.com/%s/v2.0" % TENANT,
         "iat": NOW, "nbf": NOW, "exp": NOW + 3600,
         "aio": "AXQAi/8IAAAAtAaZLo3ChMif6KOnttRB7eBq4/DccQzjcJGxPYy/C3jDaNGxXd6wNIIVGRghNRnwJ1lOcAnNZcjvkoyrFxCttv33140RioOFJ4bCCGVuoCag1uOTT22222gHwLPYQ/uf79QX+0KIijdrmp69RctzmQ==",
         "azp": CLIENT_APP, "azpacr": "0", "name": "Alice Smith",
         "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474", "preferred_username": upn, "rh": "I",
         "scp": "ssh.login", "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
         "tid": TENANT, "uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "2.0"}
    c.update(over)
    return c


def entra_id(upn, aud):
    return {"ver": "2.0", "iss": "https://login.microsoftonline.com/%s/v2.0" % TENANT,
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "aud": aud,
            "exp": NOW + 3600, "iat": NOW, "nbf": NOW, "name": "Alice Smith",
            "preferred_username": upn, "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
            "tid": TENANT, "nonce": "123523",
            "aio": "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcdqHeYSnltepQmRp6AIZ8jY"}


def google_id(email, **over):
    c = {"iss": "https://accounts.google.com", "azp": GOOGLE_CLIENT, "aud": GOOGLE_CLIENT,
         "sub": "110169484474386276334", "hd": "corp.example", "email": email,
         "email_verified": True, "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "nonce": "0394852-3190485-2490358",
         "name": "Bob Jones", "picture": "https://lh3.googleusercontent.com/a/ACg8ocL-x=s96-c",
         "given_name": "Bob", "family_name": "Jones", "iat": NOW, "exp": NOW + 3600}
    c.update(over)
    return c


def okta_access(sub, **over):
    c = {"ver": 1, "jti": "AT.v3mVX9Y1Wkq6dRfYqFQ1m2yYFo0nZ2bX8n7L0c9qZk4",
         "iss": "https://corp.okta.com/oauth2/default", "aud": "api://ssh", "iat": NOW,
         "exp": NOW + 3600, "cid": "0oa1ab2cd3EfGhIjK4l5", "uid": "00u1ab2cd3EfGhIjK4l5",
         "scp": ["openid", "ssh"], "auth_time": NOW - 60, "sub": sub,
         "groups": ["Everyone", "ssh-users"]}
    c.update(over)
    return c


def keycloak(user, roles, typ="Bearer", **over):
    c = {"exp": NOW + 300, "iat": NOW, "auth_time": NOW - 30, "jti": str(uuid.uuid4()),
         "iss": "https://sso.corp.example/realms/ops", "aud": ["ssh", "account"],
         "sub": "f1b3c2d4-6a7e-4c5b-9d8e-0f1a2b3c4d5e", "typ": typ, "azp": "ssh-cli",
         "session_state": "5c1d0e7f-0a9b-4c2d-8e3f-1a2b3c4d5e6f", "acr": "1",
         "allowed-origins": ["https://ssh.corp.example"],
         "realm_access": {"roles": roles},
         "resource_access": {"account": {"roles": ["manage-account", "view-profile"]}},
         "scope": "openid email profile", "sid": "5c1d0e7f-0a9b-4c2d-8e3f-1a2b3c4d5e6f",
         "email_verified": True, "name": user.title(), "preferred_username": user,
         "given_name": user.title(), "family_name": "Ops", "email": user + "@corp.example"}
    c.update(over)
    return c


def github(repo="acme/app", ref="refs/heads/main", **over):
    c = {"jti": str(uuid.uuid4()), "sub": "repo:%s:ref:%s" % (repo, ref), "aud": "https://github.com/acme",
         "ref": ref, "sha": "e8b8f2a0c3d4e5f60718293a4b5c6d7e8f901234", "repository": repo,
         "repository_owner": "acme", "repository_owner_id": "4711", "run_id": "8912345678",
         "run_number": "42", "run_attempt": "1", "repository_visibility": "private",
         "repository_id": "735291", "actor_id": "583231", "actor": "octocat",
         "workflow": "deploy", "head_ref": "", "base_ref": "", "event_name": "push",
         "ref_protected": "true", "ref_type": "branch",
         "workflow_ref": "%s/.github/workflows/deploy.yml@%s" % (repo, ref),
         "workflow_sha": "e8b8f2a0c3d4e5f60718293a4b5c6d7e8f901234",
         "job_workflow_ref": "%s/.github/workflows/deploy.yml@%s" % (repo, ref),
         "job_workflow_sha": "e8b8f2a0c3d4e5f60718293a4b5c6d7e8f901234",
         "runner_environment": "github-hosted", "iss": "https://token.actions.githubusercontent.com",
         "nbf": NOW - 5, "exp": NOW + 300, "iat": NOW}
    c.update(over)
    return c


def gitlab(project_id="815", protected="true", **over):
    c = {"namespace_id": "72", "namespace_path": "acme", "project_id": project_id,
         "project_path": "acme/app", "user_id": "1", "user_login": "ci-admin",
         "user_email": "ci-admin@corp.example", "user_access_level": "maintainer",
         "pipeline_id": "574", "pipeline_source": "push", "job_id": "302", "ref": "main",
         "ref_type": "branch", "ref_path": "refs/heads/main", "ref_protected": protected,
         "runner_id": 1, "runner_environment": "gitlab-hosted",
         "sha": "714a629c0b401fdce83e847fc9589983fc6f46bc", "project_visibility": "private",
         "ci_config_ref_uri": "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
         "ci_config_sha": "714a629c0b401fdce83e847fc9589983fc6f46bc",
         "jti": str(uuid.uuid4()), "iat": NOW, "nbf": NOW - 5, "exp": NOW + 3600,
         "iss": "https://gitlab.com",
         "sub": "project_path:acme/app:ref_type:branch:ref:main",
         "aud": "https://ssh.corp.example"}
    c.update(over)
    return c


def hdr(name, typ=True, x5t=False):
    h = {"kid": KIDS[name]}
    h["typ"] = "JWT" if typ else None
    if x5t:
        h["x5t"] = JWK[name]["x5t"]
    return h


TOKENS = {
    # Entra ID v2.0: an access token for the API, an ID token (the same app
    # registration as audience: only scp tells them apart), another domain.
    "entra_access": ("entra", entra_access("Alice@Corp.Example"), hdr("entra")),
    "entra_id": ("entra", entra_id("alice@corp.example", API_APP), hdr("entra")),
    "entra_id_client": ("entra", entra_id("alice@corp.example", CLIENT_APP), hdr("entra")),
    "entra_other_domain": ("entra", entra_access("alice@other.example"), hdr("entra")),
    "entra_carol": ("entra", entra_access("carol.x@corp.example"), hdr("entra")),
    # Google ID tokens: both spellings of iss; unverified; a personal account.
    "google_id": ("google", google_id("bob@corp.example"), hdr("google")),
    "google_id_bare_iss": ("google", google_id("bob@corp.example", iss="accounts.google.com"),
                           hdr("google")),
    "google_unverified": ("google", google_id("bob@corp.example", email_verified=False),
                          hdr("google")),
    "google_no_hd": ("google", {k: v for k, v in google_id("bob@corp.example").items()
                                if k != "hd"}, hdr("google")),
    # Okta: no typ in the header, scp an array, the login in sub.
    "okta_access": ("okta", okta_access("Dave@corp.example"), hdr("okta", typ=False)),
    "okta_id": ("okta", okta_access("Dave@corp.example", aud="0oa1ab2cd3EfGhIjK4l5",
                                    jti="ID.x1y2z3"), hdr("okta", typ=False)),
    # Keycloak: typ Bearer in the payload, realm roles nested.
    "keycloak_access": ("keycloak", keycloak("erin", ["default-roles-ops", "ssh-user"]),
                        hdr("keycloak")),
    "keycloak_no_role": ("keycloak", keycloak("erin", ["default-roles-ops"]), hdr("keycloak")),
    "keycloak_id": ("keycloak", keycloak("erin", ["default-roles-ops", "ssh-user"], typ="ID",
                                         aud="ssh"), hdr("keycloak")),
    "keycloak_ops": ("keycloak", keycloak("frank", ["ssh-user", "ops-admin"]), hdr("keycloak")),
    # GitHub Actions: main of acme/app; another branch; another repository.
    "github_main": ("github", github(), hdr("github", x5t=True)),
    "github_branch": ("github", github(ref="refs/heads/feature"), hdr("github", x5t=True)),
    "github_other_repo": ("github", github(repo="acme/other"), hdr("github", x5t=True)),
    "github_renamed_owner": ("github", github(repository_owner_id="9999"),
                             hdr("github", x5t=True)),
    # GitLab CI: protected branch of project 815; unprotected; another project.
    "gitlab_protected": ("gitlab", gitlab(), hdr("gitlab")),
    "gitlab_unprotected": ("gitlab", gitlab(protected="false"), hdr("gitlab")),
    "gitlab_other_project": ("gitlab", gitlab(project_id="816"), hdr("gitlab")),
}

os.makedirs(OUT, exist_ok=True)
for name, (prov, claims, header) in TOKENS.items():
    with open(os.path.join(OUT, name), "w") as f:
        f.write(sign(prov, claims, header) + "\n")
# Each provider's token signed with another provider's key, under its own kid
# (the kid is found, the signature does not verify) and under the other's kid
# (not found in this provider's keys).
cross = [("entra_access", "keycloak"), ("github_main", "gitlab"), ("google_id", "okta")]
for name, other in cross:
    prov, claims, header = TOKENS[name]
    with open(os.path.join(OUT, name + "_signed_by_" + other), "w") as f:
        f.write(sign(prov, claims, header, key_of=other) + "\n")
    with open(os.path.join(OUT, name + "_kid_of_" + other), "w") as f:
        f.write(sign(prov, claims, dict(header, kid=KIDS[other]), key_of=other) + "\n")
# An iss no provider has, signed with a configured key.
with open(os.path.join(OUT, "unknown_issuer"), "w") as f:
    f.write(sign("entra", entra_access("alice@corp.example",
                                       iss="https://login.microsoftonline.com/common/v2.0"),
                 hdr("entra")) + "\n")
