#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The module through PAM: pamtester + pam_wrapper against build/pam_jwt.so,
# with real tokens from pam_jwt-tool, and the module's syslog lines checked.
. "$(dirname "$0")/../lib.sh"

gen_key ES256 es && gen_key RS256 rs || { notok "generate keys"; finish; exit 1; }
cat >"$T/pam_jwt.conf" <<CONF
# test configuration
key_file = $T/es.pub
key_file = $T/rs.pub
algorithms = ES256 RS256
issuer = https://idp.test
CONF
service jwt "auth required $MODULE conf=$T/pam_jwt.conf"
now=$(date +%s)
sign() { "$TOOL" sign --key "$T/es.key" --alg ES256 --iss https://idp.test "$@"; }
good=$(sign --sub alice)

pam_run jwt alice "$good"
check "a valid ES256 token for alice is accepted" test $? = 0
check "the decision is logged with jti and sub" log_has "outcome=accepted"
jti=$("$TOOL" verify --set key_file="$T/es.pub" "$good" | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)["claims"]["jti"])')
check "the log line names the token's jti, iss and sub" \
	log_has "jti=$jti kid=- iss=https://idp.test sub=alice signature=valid"
check "the token itself never reaches the log" bash -c "! grep -qF '${good%%.*}' '$LOG'"
check "the signature never reaches the log" bash -c "! grep -qF -e '${good##*.}' '$LOG'"

pam_run jwt bob "$good"
check "alice's token is refused for bob" test $? != 0
check "wrong user: the reason says so" log_has "token is for another user"

pam_run jwt alice "$(sign --sub alice --claim iat=$((now - 7200)) --claim exp=$((now - 3600)))"
check "an expired token is refused" test $? != 0
check "expired: the reason says so" log_has "token expired"

p=${good#*.}
p=${p%%.*}
tampered=${good%%.*}.$(printf '%s' "$p" | tr 'A-Za-z' 'B-ZAb-za').${good##*.}
pam_run jwt alice "$tampered"
check "a tampered token is refused" test $? != 0
check "tampered: refused before or at the signature" \
	bash -c "tail -n1 '$LOG' | grep -qE 'signature|payload'"

pam_run jwt alice "$(sign --sub alice --iss https://evil.test)"
check "a token from another issuer is refused" test $? != 0
check "issuer: the reason says so" log_has "issuer"

# A token anybody can make (its signature does not verify) whose claims try
# to forge a second decision line: one line, every field escaped.
gen_key ES256 forger || { notok "generate keys"; finish; exit 1; }
forged=$("$TOOL" sign --key "$T/forger.key" --alg ES256 --iss "$(printf 'https://idp.test\nx')" \
	--kid "$(printf 'k1" user=root')" --claim "jti=$(printf 'j 1\r')" \
	--sub "$(printf 'alice\nuser=root outcome=accepted reason="ok"')")
before=$(wc -l <"$LOG")
pam_run jwt alice "$forged"
check "a forged token whose sub holds a newline and fields is refused" test $? != 0
check "  ...with exactly one log line" test "$(($(wc -l <"$LOG") - before))" = 1
check "  ...whose claims are escaped and marked unverified" \
	log_has 'jti=j\x201\x0d kid=k1\x22\x20user=root iss=https://idp.test\x0ax sub=alice\x0auser=root\x20outcome=accepted\x20reason=\x22ok\x22 signature=unverified'
check "  ...and no field of any line is user=root" bash -c "! grep -qE '(^| )user=root' '$LOG'"

pam_run jwt alice "hunter2 is my password"
check "input that is not a JWT is refused" test $? != 0
check "not a JWT: declined, and the input is not logged" \
	bash -c "tail -n1 '$LOG' | grep -q 'outcome=declined' && ! grep -q hunter2 '$LOG'"

# JWT or Unix password: what is not a token is handed on untouched.
service jwt-or "auth sufficient $MODULE conf=$T/pam_jwt.conf" \
	"auth required $B/tests/pam_authtok_is.so hunter2"
pam_run jwt-or alice "hunter2"
check "JWT or password: a password reaches the next module (try_first_pass)" test $? = 0
pam_run jwt-or alice "$good"
check "JWT or password: a token is accepted" test $? = 0
pam_run jwt-or alice "wrong"
check "JWT or password: a wrong password is refused" test $? != 0

# use_first_pass: the token comes from an earlier module, no prompt.
service jwt-first "auth required /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so" \
	"auth required $MODULE conf=$T/pam_jwt.conf use_first_pass"
PAM_AUTHTOK=$good pam_run jwt-first alice ""
check "use_first_pass takes the token from PAM_AUTHTOK" test $? = 0
check "use_first_pass does not prompt" bash -c "! grep -q 'JWT:' '$T/pamtester.out'"

# The prompt is configurable, and arguments override the file.
service jwt-prompt "auth required $MODULE conf=$T/pam_jwt.conf [prompt=Token please: ]"
pam_run jwt-prompt alice "$good"
check "the configured prompt is shown" grep -q "Token please:" "$T/pamtester.out"
service jwt-iss "auth required $MODULE conf=$T/pam_jwt.conf issuer=https://other.test"
pam_run jwt-iss alice "$(sign --sub alice --iss https://other.test)"
check "a module argument overrides the file's issuer" test $? = 0
pam_run jwt-iss alice "$good"
check "the file's issuer no longer counts once overridden" test $? != 0

# Fail closed on configuration problems.
cp "$T/pam_jwt.conf" "$T/bad.conf"
echo "frobnicate = yes" >>"$T/bad.conf"
service jwt-bad "auth required $MODULE conf=$T/bad.conf"
pam_run jwt-bad alice "$good"
check "an unknown option refuses every login" test $? != 0
check "the error names the file and line" log_has "$T/bad.conf:6: unknown option"
cp "$T/pam_jwt.conf" "$T/gw.conf" && chmod 664 "$T/gw.conf"
service jwt-gw "auth required $MODULE conf=$T/gw.conf"
pam_run jwt-gw alice "$good"
check "a group-writable configuration refuses every login" test $? != 0
check "group-writable: the reason says so" log_has "writable by group or others"
service jwt-nokey "auth required $MODULE conf=$T/pam_jwt.conf key_file=$T/missing.pub"
pam_run jwt-nokey alice "$good"
check "a missing key file refuses the login" test $? != 0
check "missing key file: the reason names it" log_has "$T/missing.pub"
service jwt-noconf "auth required $MODULE conf=$T/nonexistent.conf"
pam_run jwt-noconf alice "$good"
check "an explicitly named configuration that is missing refuses" test $? != 0
# debug logs the input's length for a JWT only: a password's says something.
service jwt-debug "auth required $MODULE conf=$T/pam_jwt.conf debug"
pw="hunter2 is my password"
pam_run jwt-debug alice "$pw"
check "debug: the debug line is there for a password" grep -q "debug: configuration" "$LOG"
check "debug: a password's length is not logged" \
	bash -c "! grep -q ' ${#pw} bytes' '$LOG' && grep -q 'input not a JWT' '$LOG'"
pam_run jwt-debug alice "$good"
check "debug: a token's length is logged" grep -q "input ${#good} bytes" "$LOG"
# "#" inside a value: a configuration error naming the line, never data (on
# main "#", "ssh", "logins" and "only" became accepted audiences).
cp "$T/pam_jwt.conf" "$T/hash.conf"
echo "audience = ssh # ssh logins only" >>"$T/hash.conf"
service jwt-hash "auth required $MODULE conf=$T/hash.conf"
pam_run jwt-hash alice "$(sign --sub alice --aud only)"
check "'#' inside a value: a token for audience 'only' is refused" test $? != 0
pam_run jwt-hash alice "$(sign --sub alice --aud ssh)"
check "'#' inside a value refuses every login" test $? != 0
check "'#' inside a value: a configuration error naming the file and line" \
	log_has "$T/hash.conf:6: '#' inside the value of audience"
cp "$T/pam_jwt.conf" "$T/quoted.conf"
printf '%s\n' 'audience = "ssh#2"' 'prompt = "Token #1: "' >>"$T/quoted.conf"
service jwt-quoted "auth required $MODULE conf=$T/quoted.conf"
pam_run jwt-quoted alice "$(sign --sub alice --aud 'ssh#2')"
check "a quoted value may hold '#': accepted" test $? = 0
check "a quoted prompt with '#' is shown whole" grep -qF "Token #1: " "$T/pamtester.out"
# conf= must be absolute: in su and sudo the working directory is the user's.
service jwt-rel "auth required $MODULE conf=pam_jwt.conf"
(cd "$T" && pam_run jwt-rel alice "$good")
check "a relative conf= refuses (even with the file in the working directory)" test $? != 0
check "a relative conf=: the log says so" log_has "conf= must be an absolute path"

# Truncation by the application: a 511-byte input that fails to parse.
rs=$("$TOOL" sign --key "$T/rs.key" --alg RS256 --iss https://idp.test --sub alice)
check "an RS256 token is longer than sudo's 511 bytes" test ${#rs} -gt 511
pam_run jwt alice "${rs:0:511}"
check "a token cut at 511 bytes is refused" test $? != 0
check "a token cut at 511 bytes is logged as probably truncated" log_has "probably cut short"
pam_run jwt alice "${rs:0:510}"
check "a 510-byte cut gets no truncation note" bash -c "! tail -n1 '$LOG' | grep -q 'cut short'"
pam_run jwt alice "$rs"
check "the whole RS256 token is accepted" test $? = 0
# Cut before its second dot: still the start of a token, not a password.
big=$(sign --sub alice --claim "pad=$(printf '%01100d' 0)")
pam_run jwt alice "${big:0:1023}"
check "a token cut at 1023 bytes before its second dot is refused" test $? != 0
check "... and logged as a cut token, not declined as a password" \
	bash -c "tail -n1 '$LOG' | grep -q 'outcome=refused.*fewer than three parts.*probably cut short'"

pam_run jwt alice "$good" authenticate setcred
check "pam_sm_setcred is present and succeeds" test $? = 0

syms=$(nm -D --defined-only "$MODULE" | awk '{print $3}' | sort | tr '\n' ' ')
check "the module exports only pam_sm_* ($syms)" \
	test "$syms" = "$(printf '%s ' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session \
		pam_sm_open_session pam_sm_setcred)"
check "the module has full RELRO and BIND_NOW" \
	bash -c "readelf -d '$MODULE' | grep -q BIND_NOW && readelf -lW '$MODULE' | grep -q GNU_RELRO"
finish
