#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# After the signature: require_claim, account management (pam_sm_acct_mgmt),
# export_claims into the session (pam_sm_open_session) and per-user keys
# (user_jwks_file), through pamtester + pam_wrapper against build/pam_jwt.so.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
SET_ITEMS=/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so
PAM_EXEC=""
for d in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security /lib/security; do
	[ -f "$d/pam_exec.so" ] && PAM_EXEC=$d/pam_exec.so && break
done

gen_key ES256 es || { notok "generate keys"; finish; exit 1; }
REV=$T/revocations
(umask 022 && : >"$REV")
cat >"$T/c.conf" <<CONF
key_file = $T/es.pub
issuer = https://idp.test
revocation_file = $REV
export_claims = sub email groups email_verified level
CONF
now=$(date +%s)
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test "$@"; }
M="$MODULE conf=$T/c.conf"
out_has() { grep -qxF -- "$1" "$T/pamtester.out"; }
jwt_log_has() { grep 'pam_jwt(' "$LOG" | tail -n 1 | grep -qF -- "$1"; }

# ---- require_claim: every rule must hold; per service through conf= or arguments ----
service wheel "auth required $M require_claim=groups=wheel require_claim=scope=sudo"
pam_run wheel alice \
	"$(sign --sub alice --claim 'groups=["dev","wheel"]' --claim 'scope=openid sudo')"
check "require_claim: an array member and a scope word both hold: accepted" test $? = 0
pam_run wheel alice "$(sign --sub alice --claim 'groups=["dev"]' --claim 'scope=sudo')"
check "require_claim: groups without wheel is refused" test $? != 0
check "require_claim: the log names the claim and value" \
	jwt_log_has 'claim groups does not hold'
pam_run wheel alice "$(sign --sub alice --claim 'groups=["wheel"]')"
check "require_claim: every rule must hold (scope missing)" test $? != 0
check "require_claim: the log says the claim is missing" jwt_log_has "token has no scope claim"
service badrule "auth required $M require_claim=groups"
pam_run badrule alice "$(sign --sub alice --claim 'groups=["wheel"]')"
check "require_claim without =VALUE is a configuration error: refused" test $? != 0
check "require_claim without =VALUE: the log says so" \
	jwt_log_has "require_claim must be NAME=VALUE"

# ---- account management ----
good=$(sign --sub alice --claim email=alice@example.test --claim 'groups=["wheel","dev"]' \
	--claim email_verified=true --claim level=3)
service acct "auth required $M" "account required $M"
pam_run acct alice "$good" authenticate acct_mgmt
check "acct_mgmt after a token login: the token still holds" test $? = 0
service acct-alone "account required $M" "account required pam_permit.so"
pam_run acct-alone alice "" acct_mgmt
check "acct_mgmt for a login the module did not authenticate: PAM_IGNORE (others decide)" \
	test $? = 0
service acct-grant "account sufficient $M" "account required pam_deny.so"
pam_run acct-grant alice "" acct_mgmt
check "PAM_IGNORE never grants: 'sufficient pam_jwt' + pam_deny is refused" test $? != 0
service acct-only "account required $M"
pam_run acct-only alice "" acct_mgmt
check "a stack of pam_jwt alone refuses a login it did not authenticate" test $? != 0

if [ -n "$PAM_EXEC" ]; then
	# Revoked between authentication and account management: pam_exec runs
	# the tool in between.
	tok=$(sign --sub alice)
	printf '%s\n' "$tok" >"$T/tok"
	service acct-rev "auth required $M" \
		"account required $PAM_EXEC quiet $TOOL --config $T/c.conf revoke --token $T/tok" \
		"account required $M"
	pam_run acct-rev alice "$tok" authenticate acct_mgmt
	check "acct_mgmt: a token revoked after authentication is refused" test $? != 0
	check "acct_mgmt refusal: authentication had succeeded" \
		grep -q "successfully authenticated" "$T/pamtester.out"
	check "acct_mgmt refusal: logged with phase=account and the reason" \
		jwt_log_has "phase=account outcome=refused reason=\"token"
	check "acct_mgmt refusal: the reason is the revocation" jwt_log_has "revoked"
else
	skip "acct_mgmt: revoked after authentication" "no pam_exec.so"
fi
# Expired: 30 s past exp is within the auth line's leeway (60) but not the
# account line's (0).
service acct-exp "auth required $M" "account required $M leeway=0"
pam_run acct-exp alice "$(sign --sub alice --claim iat=$((now - 300)) --claim exp=$((now - 30)))" \
	authenticate acct_mgmt
check "acct_mgmt: a token that has expired (by the account line's leeway) is refused" \
	test $? != 0
check "acct_mgmt: the log says it expired" jwt_log_has "expired"
service acct-user "auth required $M" "account required $SET_ITEMS" "account required $M"
PAM_USER=bob pam_run acct-user alice "$good" authenticate acct_mgmt
check "acct_mgmt: the user changed after authentication is refused" test $? != 0
check "acct_mgmt: the log says the user changed" jwt_log_has "the user changed"
service acct-pw "auth sufficient $M" "auth required $B/tests/pam_authtok_is.so hunter2" \
	"account required $M" "account required pam_permit.so"
pam_run acct-pw alice "hunter2" authenticate acct_mgmt
check "a Unix-password login passes pam_jwt's account line (PAM_IGNORE)" test $? = 0

# ---- export_claims ----
if [ -n "$PAM_EXEC" ]; then
	service sess "auth required $M" "session required $M" \
		"session required $PAM_EXEC stdout /usr/bin/env"
	pam_run sess alice "$good" authenticate open_session close_session
	check "open_session after a token login succeeds" test $? = 0
	check "export_claims: JWT_SUB=alice" out_has "JWT_SUB=alice"
	check "export_claims: JWT_EMAIL" out_has "JWT_EMAIL=alice@example.test"
	check "export_claims: arrays joined with commas" out_has "JWT_GROUPS=wheel,dev"
	check "export_claims: booleans and numbers" \
		bash -c "grep -qx JWT_EMAIL_VERIFIED=true '$T/pamtester.out' &&
			grep -qx JWT_LEVEL=3 '$T/pamtester.out'"
	pam_run sess alice "$(sign --sub alice --claim "$(printf 'email=alice@x\nEVIL=1')" \
		--claim 'groups=["wheel","a,b"]')" authenticate open_session
	check "export_claims: a value with a newline is not exported" \
		bash -c "! grep -q '^JWT_EMAIL=' '$T/pamtester.out' && ! grep -q '^EVIL' '$T/pamtester.out'"
	check "export_claims: an array member with a comma leaves the list out" \
		bash -c "! grep -q '^JWT_GROUPS=' '$T/pamtester.out'"
	check "export_claims: JWT_SUB is still exported" out_has "JWT_SUB=alice"
	check "export_claims: what is left out is logged" \
		grep -q "claim email is not exported: it holds a control character" "$LOG"
	service sess-auth "auth required $M" "auth required $PAM_EXEC stdout /usr/bin/env"
	pam_run sess-auth alice "$good" authenticate
	# (pam_exec's output follows the prompt on its line)
	check "export_claims: set already at authentication (sshd's keyboard-interactive child)" \
		grep -qF "JWT_SUB=alice" "$T/pamtester.out"
	service sess-alone "session required $M" "session required $PAM_EXEC stdout /usr/bin/env"
	pam_run sess-alone alice "" open_session
	check "open_session for a login it did not authenticate: PAM_IGNORE, nothing exported" \
		bash -c "grep -q 'successfully opened' '$T/pamtester.out' &&
			! grep -q '^JWT_' '$T/pamtester.out'"
else
	skip "export_claims" "no pam_exec.so"
fi

# ---- one handle, authenticated again (tests/helpers/pam_handle.c) ----
# A screen locker authenticates again and again on one handle: whatever an
# earlier call accepted must not outlive a later refusal.  The account and
# session lines then have nothing of this module's to go on (PAM_IGNORE: a
# stack of pam_jwt alone fails), and nothing is exported.
mkdir -p "$T/pamd"
printf '%s\n' "auth required $M" "account required $M" "session required $M" >"$T/pamd/again"
printf '%s\n' "$good" >"$T/good.tok"
sign --sub alice --ttl 300 --claim iat=$((now - 1000)) --claim exp=$((now - 900)) >"$T/old.tok"
sign --sub bob >"$T/bob.tok"
echo "hunter2 is no token" >"$T/password.tok"
again() { # STEP...: the helper's lines, one per step, joined by spaces
	LD_PRELOAD=$LOGSHIM PJ_LOG_FILE=$LOG "$B/tests/pam_handle" "$T/pamd" again alice "$@" |
		tr '\n' ' ' | sed 's/ $//'
}
r=$(again "auth:$T/good.tok" acct open env:JWT_SUB close)
check "one handle: a good token, then account and session ($r)" \
	test "$r" = "auth rc=0 acct rc=0 open rc=0 env JWT_SUB=alice close rc=0"
for bad in old bob password -; do
	f=$T/$bad.tok
	[ "$bad" = - ] && f=-
	r=$(again "auth:$T/good.tok" env:JWT_SUB "auth:$f" env:JWT_SUB acct open env:JWT_SUB)
	set -- $r
	check "one handle: good token, then $bad: refused, and account, session and JWT_SUB with it ($r)" \
		test "$1 $2 $3 $4" = "auth rc=0 env JWT_SUB=alice" -a "$6" != rc=0 -a \
		"$7 $8" = "env JWT_SUB" -a "${9:-}" = unset -a "${11:-}" != rc=0 -a "${13:-}" != rc=0 -a \
		"${14:-} ${15:-} ${16:-}" = "env JWT_SUB unset"
done
r=$(again "auth:$T/good.tok" "auth:$T/good.tok" acct)
check "one handle: the good token twice: both accepted, account too ($r)" \
	test "$r" = "auth rc=0 auth rc=0 acct rc=0"
r=$(again "auth:$T/good.tok" user:bob acct)
check "one handle: the user changed after authentication: account refused ($r)" \
	bash -c "[[ '$r' = 'auth rc=0 user rc=0 acct rc='* ]] && [ '${r##*=}' != 0 ]"

# ---- user_jwks_file: keys that authenticate one user ----
if [ "$(id -u)" != 0 ]; then
	skip "user_jwks_file" "its files must be owned by root: run as root"
	finish
	exit
fi
mkdir -m 0755 "$T/users"
secret=$($PY -c 'import base64, os
print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode())')
(umask 077 && echo "{\"kty\":\"oct\",\"k\":\"$secret\"}" >"$T/alice-sign.jwk" &&
	echo "{\"keys\":[{\"kty\":\"oct\",\"k\":\"$secret\"}]}" >"$T/users/alice.jwks")
gen_key ES256 bob
$PY -c 'import sys; from jwcrypto import jwk
print("{\"keys\":[%s]}" % jwk.JWK.from_pem(open(sys.argv[1], "rb").read()).export_public())' \
	"$T/bob.pub" >"$T/users/bob.jwks"
chmod 600 "$T/users/bob.jwks"
cat >"$T/u.conf" <<CONF
key_file = $T/es.pub
algorithms = ES256 HS256
user_jwks_file = $T/users/%u.jwks
CONF
service user "auth required $MODULE conf=$T/u.conf"
alice_tok() { "$TOOL" sign --key "$T/alice-sign.jwk" --alg HS256 "$@"; }
pam_run user alice "$(alice_tok --sub alice)"
check "user_jwks_file: alice's own HS256 key logs alice in" test $? = 0
pam_run user bob "$(alice_tok --sub bob)"
check "user_jwks_file: a token signed with alice's key is refused for bob (even with sub bob)" \
	test $? != 0
check "alice's key for bob: refused at the signature" jwt_log_has "signature=unverified"
pam_run user bob "$("$TOOL" sign --key "$T/bob.key" --alg ES256 --sub bob)"
check "user_jwks_file: bob's ES256 public key logs bob in" test $? = 0
pam_run user carol "$(alice_tok --sub carol)"
check "user_jwks_file: carol (no file) is refused a token signed with alice's key" test $? != 0
pam_run user carol "$(sign --sub carol)"
check "user_jwks_file: carol (no file) still logs in with the global key" test $? = 0
check "pam_jwt-tool verify --user alice uses alice's file" \
	bash -c "'$TOOL' verify --config '$T/u.conf' --user alice '$(alice_tok --sub alice)' >/dev/null"
for u in ../alice . .. 'a b'; do
	pam_run user "$u" "$(alice_tok --sub "$u")"
	check "user_jwks_file: the user name \"$u\" is refused, no path is built" test $? != 0
	check "user name \"$u\": the log says it cannot name a file" \
		jwt_log_has "cannot name a user_jwks_file"
done
chmod 644 "$T/users/alice.jwks"
pam_run user alice "$(alice_tok --sub alice)"
check "user_jwks_file readable by others is refused" test $? != 0
check "readable by others: the log says so" jwt_log_has "readable by group or others"
chmod 600 "$T/users/alice.jwks"
chmod 644 "$T/users/bob.jwks"
pam_run user bob "$("$TOOL" sign --key "$T/bob.key" --alg ES256 --sub bob)"
check "user_jwks_file readable by others is refused even when it holds public keys only" \
	test $? != 0
chmod 600 "$T/users/bob.jwks"
chmod 775 "$T/users"
pam_run user alice "$(alice_tok --sub alice)"
check "a user_jwks_file directory writable by the group is refused" test $? != 0
check "group-writable directory: the log says so" jwt_log_has "writable by group or others"
chmod 755 "$T/users"
chown 1:1 "$T/users/alice.jwks"
pam_run user alice "$(alice_tok --sub alice)"
check "a user_jwks_file not owned by root is refused" test $? != 0
check "not owned by root: the log says so" jwt_log_has "not root"
service user-bad "auth required $MODULE conf=$T/u.conf user_jwks_file=$T/users/alice.jwks"
pam_run user-bad alice "$(alice_tok --sub alice)"
check "user_jwks_file without %u is a configuration error" jwt_log_has "must contain %u"

# ---- per-user keys authenticate, they never authorize ----
chown 0:0 "$T/users/alice.jwks"
# alice's own key signs whatever she likes: the identity provider's issuer and
# audience, groups, a jti copied from the (world-readable) allowlist.
self_signed=$(alice_tok --sub alice --iss https://idp.test --aud sudo --claim 'groups=["wheel"]' \
	--claim jti=listed-1)
issued=$(sign --sub alice --aud sudo --claim 'groups=["wheel"]' --claim jti=listed-1)
printf 'jti listed-1\n' >"$T/allow" && chmod 644 "$T/allow"
U="$MODULE conf=$T/u.conf issuer=https://idp.test audience=sudo"
pam_run user alice "$self_signed"
check "user key: alice's own token logs alice in" test $? = 0
check "user key: the log says which kind of key verified it" jwt_log_has "signature=valid key=user"
service user-wheel "auth required $U require_claim=groups=wheel"
pam_run user-wheel alice "$issued"
check "require_claim: the provider's token with groups=wheel is accepted" test $? = 0
pam_run user-wheel alice "$self_signed"
check "require_claim: alice's own token with groups=wheel (and the provider's iss, aud) is refused" \
	test $? != 0
check "require_claim: the log says per-user keys never satisfy it" \
	jwt_log_has "per-user keys authenticate, they never satisfy require_claim"
service user-allow "auth required $U allowlist_file=$T/allow"
pam_run user-allow alice "$issued"
check "allowlist: the provider's listed token is accepted" test $? = 0
pam_run user-allow alice "$self_signed"
check "allowlist: alice's own token with a listed jti is refused" test $? != 0
check "allowlist: the log says per-user keys never match it" \
	jwt_log_has "per-user keys never match the allowlist"
service user-acct "auth required $U" "account required $U allowlist_file=$T/allow"
pam_run user-acct alice "$self_signed" authenticate acct_mgmt
check "allowlist on the account line alone: alice's own token is refused there" test $? != 0
check "... at account management" jwt_log_has "phase=account outcome=refused"
service user-off "auth required $U user_jwks_file="
pam_run user-off alice "$self_signed"
check "user_jwks_file= on a service's line turns per-user keys off: refused" test $? != 0
check "... at the signature (no key of alice's is read)" jwt_log_has "signature=unverified"
pam_run user-off alice "$issued"
check "user_jwks_file= on the line: the provider's token still logs in" test $? = 0
if [ -n "$PAM_EXEC" ]; then
	service user-sess "auth required $U export_claims=sub,groups" \
		"session required $MODULE conf=$T/u.conf export_claims=sub,groups" \
		"session required $PAM_EXEC stdout /usr/bin/env"
	pam_run user-sess alice "$self_signed" authenticate open_session
	check "export_claims: nothing from alice's own token reaches the session" \
		bash -c "grep -q 'successfully opened' '$T/pamtester.out' &&
			! grep -q '^JWT_' '$T/pamtester.out'"
	check "export_claims: the log says why" \
		grep -q "claim groups is not exported: the token is signed with the user's own key" "$LOG"
	pam_run user-sess alice "$issued" authenticate open_session
	check "export_claims: the provider's token exports them" out_has "JWT_GROUPS=wheel"
	# At authentication too: sshd's keyboard-interactive child hands the
	# PAM environment to the session, whatever open_session clears later.
	service user-auth "auth required $U export_claims=sub,groups" \
		"auth required $PAM_EXEC stdout /usr/bin/env"
	pam_run user-auth alice "$self_signed" authenticate
	check "export_claims: nor at authentication (what sshd's child would carry over)" \
		bash -c "grep -q 'PAM_USER=alice' '$T/pamtester.out' && ! grep -q 'JWT_' '$T/pamtester.out'"
else
	skip "export_claims and per-user keys" "no pam_exec.so"
fi
# A "user" cut-off voids the tokens alice had; with her own key she signs new
# ones (iat after the cut-off) until the key leaves her file.
(umask 022 && printf 'user alice %s\n' "$now" >"$T/rev-alice")
service user-cut "auth required $MODULE conf=$T/u.conf revocation_file=$T/rev-alice"
pam_run user-cut alice "$(alice_tok --sub alice --claim iat=$((now - 60)))"
check "user cut-off: alice's own token issued before it is refused" test $? != 0
pam_run user-cut alice "$(alice_tok --sub alice --claim iat=$((now + 1)))"
check "user cut-off: a token she signs after it still logs her in (her key is not revoked)" \
	test $? = 0
cp "$T/users/alice.jwks" "$T/alice.jwks.saved"
echo '{"keys":[]}' >"$T/users/alice.jwks"
pam_run user-cut alice "$(alice_tok --sub alice --claim iat=$((now + 1)))"
check "her key removed from her file: refused" test $? != 0
cp "$T/alice.jwks.saved" "$T/users/alice.jwks"
finish
