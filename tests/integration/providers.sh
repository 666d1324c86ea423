#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Several identity providers through pamtester, with the shipped example
# conf/pam_jwt-providers.conf and its map conf/pam_jwt.users (their
# discovery_url lines replaced by local jwks_file copies, the placeholders by
# the documentation's example IDs): tokens shaped exactly like Entra ID v2.0
# access and ID tokens, Google ID tokens, Okta and Keycloak access tokens,
# GitHub Actions and GitLab CI OIDC tokens (tests/helpers/provider_tokens.py,
# signed with test keys), and a break-glass key.  Each logs in as the account
# its rules give and only that one; a token of one provider signed with
# another's key is refused, and so is a token whose iss names no provider;
# the log line names the provider and the map line; account management asks
# the provider that accepted the login.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3

if [ "$(id -u)" != 0 ]; then
	# The module trusts only root's configuration and key files.
	skip "identity providers through pamtester" "needs root"
	finish
	exit 0
fi
mkdir -m 755 "$T/keys"
for p in entra google okta keycloak github gitlab; do
	(umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$T/keys/$p.key" 2>/dev/null) || { notok "RSA key for $p"; finish; exit 1; }
done
gen_key ES256 bg || { notok "break-glass key"; finish; exit 1; }
$PY "$ROOT/tests/helpers/provider_tokens.py" "$T/keys" "$T/tok" ||
	{ notok "make the providers' tokens"; finish; exit 1; }

# The example file, made local: its keys from files, its stores in $T.
REV=$T/rev
(umask 022 && : >"$REV")
{
	echo "revocation_file = $REV"
	echo "one_time_file = $T/used"
	sed -e "s|^user_map = .*|user_map = $T/pam_jwt.users|" \
		-e "s|TENANT-ID|72f988bf-86f1-41af-91ab-2d7cd011db47|g" \
		-e "s|API-APP-ID|6e74172b-be56-4843-9ff4-e66a39bb12e3|g" \
		-e "s|CLIENT-ID|1234987819200|g" \
		-e "s|^discovery_url = https://login.microsoftonline.com/.*|jwks_file = $T/keys/entra.jwks|" \
		-e "s|^discovery_url = https://accounts.google.com/.*|jwks_file = $T/keys/google.jwks|" \
		-e "s|^discovery_url = https://corp.okta.com/.*|jwks_file = $T/keys/okta.jwks|" \
		-e "s|^discovery_url = https://sso.corp.example/.*|jwks_file = $T/keys/keycloak.jwks|" \
		-e "s|^discovery_url = https://token.actions.githubusercontent.com/.*|jwks_file = $T/keys/github.jwks|" \
		-e "s|^discovery_url = https://gitlab.com/.*|jwks_file = $T/keys/gitlab.jwks|" \
		-e "s|/etc/security/pam_jwt/break-glass.pem|$T/bg.pub|" \
		"$ROOT/conf/pam_jwt-providers.conf"
} >"$T/providers.conf"
cp "$ROOT/conf/pam_jwt.users" "$T/pam_jwt.users" && chmod 644 "$T/pam_jwt.users"
check "the example names every provider's keys by a local file now" \
	bash -c "! grep -q '^discovery_url' '$T/providers.conf' && [ \$(grep -c '^jwks_file' '$T/providers.conf') = 6 ]"
service jwt "auth required $MODULE conf=$T/providers.conf" \
	"account required $MODULE conf=$T/providers.conf"

tok() { cat "$T/tok/$1"; }
# login TOKEN-NAME USER: pamtester authenticate + acct_mgmt with that token.
login() { pam_run jwt "$2" "$(tok "$1")" authenticate acct_mgmt; }
# accepted NAME TOKEN USER PROVIDER [MAP-LINE]
accepted() {
	local map=${5:-} rc line
	login "$2" "$3"
	rc=$?
	line=$(grep 'outcome=' "$LOG" | tail -n 1)
	check "$1: logs in as $3" test $rc = 0
	check "  ...the decision line names provider=$4${map:+ and user_map=$map}" \
		bash -c "grep -q 'user=$3 outcome=accepted' <<<'$line' && grep -q ' provider=$4\\b' <<<'$line' &&
			 { [ -z '$map' ] && ! grep -q user_map= <<<'$line' || grep -q ' user_map=$map\\b' <<<'$line'; }"
}
# refused NAME TOKEN USER REASON: refused, and the log says REASON.
refused() {
	login "$2" "$3"
	local rc=$?
	check "$1: refused for $3" test $rc != 0
	check "  ...because $4" env LOG="$LOG" R="$4" \
		bash -c 'grep "outcome=" "$LOG" | tail -n 1 | grep -qF -- "$R"'
}

# ---- people ----
accepted "Entra ID v2.0 access token for Alice@Corp.Example" entra_access alice entra
refused "  the same token" entra_access bob "token is for another user (preferred_username does not match)"
refused "  the same token" entra_access root "and no user_map line gives this token the account"
refused "Entra ID v2.0 ID token, the API's own app registration as aud" entra_id alice \
	"token has no scp claim, require_claim scp=ssh.login"
refused "Entra ID v2.0 ID token for the client app" entra_id_client alice "audience does not match"
refused "Entra ID token for alice@other.example" entra_other_domain alice \
	"claim preferred_username is not a name in corp.example (username_domain)"
accepted "Entra ID token of carol's oid: the map gives carol" entra_carol carol entra 24
accepted "  ...and the username rule gives carol.x" entra_carol carol.x entra
accepted "Google ID token, email bob@corp.example" google_id bob google
accepted "Google ID token with iss accounts.google.com (no https://)" google_id_bare_iss bob google
refused "Google ID token with email_verified false" google_unverified bob "email_verified is not true"
refused "Google ID token of an account outside the Workspace (no hd)" google_no_hd bob \
	"token has no hd claim, require_claim hd=corp.example"
accepted "Okta access token (no typ, scp an array, login in sub)" okta_access dave okta
refused "Okta ID token (aud the client)" okta_id dave "audience does not match"
accepted "Keycloak access token with realm role ssh-user" keycloak_access erin keycloak
refused "Keycloak access token without ssh-user" keycloak_no_role erin \
	'claim realm_access.roles does not hold'
refused "Keycloak ID token (typ ID)" keycloak_id erin "claim typ does not hold 'Bearer'"
accepted "Keycloak access token with ops-admin: the map gives ops" keycloak_ops ops keycloak 21
accepted "  ...and the username rule gives frank" keycloak_ops frank keycloak

# ---- robots ----
accepted "GitHub Actions token of acme/app on main: deploy" github_main deploy github 14
refused "  the same token" github_main root "username_claim is none and no user_map line gives"
refused "GitHub Actions token of a feature branch" github_branch deploy "no user_map line gives"
refused "GitHub Actions token of another repository" github_other_repo deploy "no user_map line gives"
refused "GitHub Actions token of a renamed owner's acme/app" github_renamed_owner deploy \
	"no user_map line gives"
accepted "GitLab CI token of project 815, protected branch: deploy" gitlab_protected deploy gitlab 18
refused "GitLab CI token of an unprotected branch" gitlab_unprotected deploy "no user_map line gives"
refused "GitLab CI token of another project" gitlab_other_project deploy "no user_map line gives"

# ---- keys belong to their provider ----
refused "an Entra token signed with Keycloak's key" entra_access_signed_by_keycloak alice \
	"signature does not verify"
refused "  ...under Keycloak's kid" entra_access_kid_of_keycloak alice "no configured key has kid"
refused "a GitHub token signed with GitLab's key" github_main_signed_by_gitlab deploy \
	"signature does not verify"
refused "  ...under GitLab's kid" github_main_kid_of_gitlab deploy "no configured key has kid"
refused "a Google token signed with Okta's key" google_id_signed_by_okta bob \
	"signature does not verify"
refused "  ...under Okta's kid" google_id_kid_of_okta bob "no configured key has kid"
refused "a token whose iss names no provider" unknown_issuer alice \
	"no provider has issuer 'https://login.microsoftonline.com/common/v2.0'"
check "  ...refused before any key: signature=unverified, no provider=" \
	bash -c "grep 'outcome=' '$LOG' | tail -n 1 | grep -q 'signature=unverified' &&
		 ! grep 'outcome=' '$LOG' | tail -n 1 | grep -q provider="
check "Keycloak's JWKS lists first an encryption key with the signing key's kid (passed over)" \
	$PY -c 'import json, sys; k = json.load(open(sys.argv[1]))["keys"]
sys.exit(not (k[0]["use"] == "enc" and k[0]["kid"] == k[1]["kid"]))' "$T/keys/keycloak.jwks"

# ---- break-glass ----
bg=$("$TOOL" sign --key "$T/bg.key" --alg ES256 --iss break-glass --sub root --ttl 900)
pam_run jwt root "$bg" authenticate acct_mgmt
check "break-glass: a token of the local key logs in as root" test $? = 0
check "  ...logged with provider=break-glass" log_has "provider=break-glass"
pam_run jwt root "$bg"
check "  ...once (one_time in its section)" test $? != 0
check "    ...the second time refused as used" bash -c "tail -n 1 '$LOG' | grep -q 'already used'"
long=$("$TOOL" sign --key "$T/bg.key" --alg ES256 --iss break-glass --sub root --ttl 3600)
pam_run jwt root "$long"
check "  ...a break-glass token living an hour is refused (max_lifetime 900)" \
	bash -c "[ $? != 0 ] && tail -n 1 '$LOG' | grep -q 'over max_lifetime 900'"
forged=$("$TOOL" sign --key "$T/bg.key" --alg ES256 --iss https://token.actions.githubusercontent.com \
	--aud https://github.com/acme --claim repository=acme/app --claim ref=refs/heads/main \
	--claim repository_owner_id=4711)
pam_run jwt deploy "$forged"
check "the break-glass key cannot sign a GitHub token" \
	bash -c "[ $? != 0 ] && tail -n 1 '$LOG' | grep -q 'no configured key fits ES256\|not allowed by configuration'"

# ---- account management asks the provider that accepted the login ----
awk '/^\[provider /{ skip = ($0 == "[provider github]") } !skip' "$T/providers.conf" >"$T/acct.conf"
service jwtacct "auth required $MODULE conf=$T/providers.conf" \
	"account required $MODULE conf=$T/acct.conf"
pam_run jwtacct deploy "$(tok github_main)" authenticate acct_mgmt
check "account management with a configuration that lacks the login's provider: refused" \
	test $? != 0
check "  ...saying so" log_has "the login's provider 'github' is not configured for this service"
pam_run jwtacct alice "$(tok entra_access)" authenticate acct_mgmt
check "  ...and a login of a provider it has passes" test $? = 0

# ---- the tool names the provider ----
"$TOOL" verify --config "$T/providers.conf" --user deploy "$(tok github_main)" >"$T/v.out" 2>&1
check "pam_jwt-tool verify prints the provider and the map line" \
	bash -c "grep -q '\"provider\":\"github\"' '$T/v.out' && grep -q '\"user_map\":14' '$T/v.out'"
"$TOOL" verify --config "$T/providers.conf" --user bob "$(tok entra_access)" >"$T/v.out" 2>&1
check "  ...and names it in a refusal" grep -q "^rejected: .*(provider entra)$" "$T/v.out"
"$TOOL" keys --config "$T/providers.conf" >"$T/keys.out" 2>&1
check "pam_jwt-tool keys lists each provider's keys under its name" \
	bash -c "[ \$(grep -c '^\[provider ' '$T/keys.out') = 7 ] &&
		 grep -A2 '^\[provider okta\]' '$T/keys.out' | grep -q 'okta.jwks#0'"
check "  ...Keycloak's encryption key as passed over" \
	grep -q "keycloak.jwks#0 (passed over: JWK \"use\" is not \"sig\")" "$T/keys.out"

# ---- the map and the sections refuse what they cannot mean ----
echo "deploy provider=github" >>"$T/pam_jwt.users"
pam_run jwt alice "$(tok entra_access)"
check "a malformed map line refuses every token login, even the username rule's" test $? != 0
check "  ...naming the file and line" \
	log_has "user_map $T/pam_jwt.users:$(wc -l <"$T/pam_jwt.users"): a rule needs LOCAL_USER provider=NAME"
sed -i '$d' "$T/pam_jwt.users"
printf '[provider late]\nissuer = late\nrevocation_file = %s\n' "$REV" >>"$T/providers.conf"
pam_run jwt alice "$(tok entra_access)"
check "a global option inside a section refuses every login" test $? != 0
check "  ...naming the line" log_has "revocation_file holds for every provider: write it before"
finish
