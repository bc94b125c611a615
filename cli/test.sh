#!/usr/bin/env bash
# End-to-end tests of the e2b CLI (build/e2b) against its own e2b-local (build/e2b-local, or
# $E2B_LOCAL_BIN): exit codes, --json output, streaming exec, files, artifacts, workspace and
# the session lifecycle. Needs root (e2b-local does). Usage: cli/test.sh
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cli=${E2B_CLI:-$repo/build/e2b}
server=${E2B_LOCAL_BIN:-$repo/build/e2b-local}
[[ $(id -u) == 0 ]] || { echo "cli/test.sh: needs root (e2b-local); skipped"; exit 0; }
[[ -x $cli && -x $server ]] || { echo "cli/test.sh: build $cli and $server first"; exit 1; }

work=$(mktemp -d /var/tmp/e2b-cli-test.XXXXXX)
state=$work/state
mkdir -p "$state"
key=e2b_$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$server" serve --listen 127.0.0.1:0 --state-dir "$state" --api-key "$key" >"$work/server.log" 2>&1 &
spid=$!
cleanup() {
  kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
  awk -v d="$state/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'ready on http://[0-9.:]*' "$work/server.log" | head -1 | sed 's/ready on //')
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "e2b-local did not start"; cat "$work/server.log"; exit 1; }
export E2B_API_KEY=$key E2B_API_URL=$url E2B_SANDBOX_URL=$url E2B_DOMAIN=example.test

pass=0 failn=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; failn=$((failn + 1)); }
# expect NAME WANT_EXIT CMD... : runs CMD, captures stdout in $out, stderr in $err.
expect() {
  local name=$1 want=$2; shift 2
  out=$("$@" 2>"$work/err"); local rc=$?
  err=$(cat "$work/err")
  if [[ $rc == "$want" ]]; then ok "$name"; else bad "$name (exit $rc, want $want; stderr: $err)"; fi
}
# jget JSON EXPR : evaluates a Python expression on the parsed document `d`.
jget() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
check() { if [[ $2 == "$3" ]]; then ok "$1"; else bad "$1 (got [$2], want [$3])"; fi; }

expect "help exits 0" 0 "$cli" --help
check "help documents exit codes" "$(grep -c 'Exit codes' <<<"$out")" 1
expect "unknown command is a usage error" 2 "$cli" frobnicate
expect "usage error as JSON" 2 "$cli" --json frobnicate
check "usage error JSON" "$(jget "$out" 'd["error"]["name"]')" usage

expect "sandbox create --json" 0 "$cli" --json sandbox create --meta purpose=cli-test
id=$(jget "$out" 'd["sandbox_id"]')
check "create JSON has an id and state" "$(jget "$out" 'd["state"]')" active
[[ -n $id ]] || { echo "no sandbox id; giving up"; exit 1; }
expect "sandbox list --json" 0 "$cli" sandbox list --json
check "list holds the sandbox" "$(jget "$out" '[s["metadata"].get("purpose") for s in d if s["sandbox_id"]=="'"$id"'"][0]')" cli-test
expect "sandbox info --json" 0 "$cli" --json sandbox info "$id"
check "info state active" "$(jget "$out" 'd["state"]')" active

expect "exec returns the command's exit code" 7 "$cli" exec "$id" -- 'echo out; echo err >&2; exit 7'
check "exec streams stdout" "$out" out
check "exec streams stderr" "$err" err
expect "exec --stdin forwards stdin" 0 bash -c "printf 'a\nb\n' | '$cli' exec '$id' --stdin -- 'tr a-z A-Z'"
check "exec --stdin output" "$out" "$(printf 'A\nB')"
expect "exec --json reports the exit code" 3 "$cli" --json exec "$id" -- 'exit 3'
check "exec JSON" "$(jget "$out" 'd["exit_code"]')" 3
expect "exec on an unknown sandbox" 3 "$cli" exec nosuchsandbox -- true

printf 'hello cli\n' >"$work/h.txt"
expect "files put" 0 "$cli" --json files put "$id" "$work/h.txt" /home/user/d/h.txt
check "files put JSON size" "$(jget "$out" 'd["size"]')" 10
expect "files get to stdout" 0 "$cli" files get "$id" /home/user/d/h.txt
check "files get content" "$out" "hello cli"
expect "files get to a file" 0 "$cli" files get "$id" /home/user/d/h.txt "$work/got.txt"
check "files get file" "$(cat "$work/got.txt")" "hello cli"
expect "files ls --json" 0 "$cli" --json files ls "$id" /home/user/d
check "files ls entry" "$(jget "$out" 'd[0]["path"]')" /home/user/d/h.txt
expect "files get of a missing file" 3 "$cli" files get "$id" /home/user/nope "$work/nope"
check "no partial file left" "$(ls "$work" | grep -c nope)" 0
expect "files rm" 0 "$cli" files rm "$id" /home/user/d/h.txt
expect "files get after rm" 3 "$cli" --json files get "$id" /home/user/d/h.txt -
check "not-found JSON" "$(jget "$out" 'd["error"]["code"]')" -13

"$cli" exec "$id" -- 'mkdir -p out/p && echo "# r" > out/r.md && echo "{}" > out/p/d.json && printf x > out/p/i.png && echo l > out/x.log' >/dev/null
expect "artifacts pull --json" 0 "$cli" --json artifacts pull "$id" /home/user/out "$work/art" '**/*.png' '**/*.{md,json}'
check "artifacts JSON" "$(jget "$out" '",".join(f["path"]+":"+f["mime_type"] for f in d["files"])')" \
  "p/d.json:application/json,p/i.png:image/png,r.md:text/markdown"
check "artifacts on disk" "$(cat "$work/art/p/d.json")" "{}"
expect "artifacts pattern matching nothing" 3 "$cli" artifacts pull "$id" /home/user/out "$work/art2" '*.gif'
expect "artifacts --allow-empty" 0 "$cli" artifacts pull "$id" /home/user/out "$work/art2" '*.gif' --allow-empty

mkdir -p "$work/ws/a" && echo one >"$work/ws/a/1.txt" && ln -s a/1.txt "$work/ws/l" && chmod 741 "$work/ws/a/1.txt"
expect "workspace push" 0 "$cli" --json workspace push "$id" "$work/ws" /home/user/ws
check "workspace push JSON entries" "$(jget "$out" 'd["entries"]')" 3
expect "workspace pull" 0 "$cli" workspace pull "$id" /home/user/ws "$work/ws-back"
check "workspace round trip" "$(diff -r --no-dereference "$work/ws" "$work/ws-back" && stat -c %a "$work/ws-back/a/1.txt")" 741
expect "workspace pull onto an existing dir" 2 "$cli" workspace pull "$id" /home/user/ws "$work/ws-back"
expect "workspace pull --replace" 0 "$cli" workspace pull "$id" /home/user/ws "$work/ws-back" --replace
ln -s /etc/passwd "$work/ws/evil"
expect "workspace push of an escaping symlink" 2 "$cli" workspace push "$id" "$work/ws" /home/user/ws2

expect "logs --json" 0 "$cli" --json logs "$id"
check "logs JSON is a list" "$(jget "$out" 'type(d).__name__')" list

expect "sandbox pause" 0 "$cli" sandbox pause "$id"
expect "info after pause" 0 "$cli" --json sandbox info "$id"
check "paused state" "$(jget "$out" 'd["state"]')" paused
expect "pause again" 0 "$cli" --json sandbox pause "$id"
check "pause again JSON" "$(jget "$out" 'd["changed"]')" False
expect "sandbox connect resumes" 0 "$cli" sandbox connect "$id"
expect "exec after resume" 0 "$cli" exec "$id" -- 'cat /home/user/ws/a/1.txt'
check "files kept across pause" "$out" one
expect "sandbox kill" 0 "$cli" sandbox kill "$id"
expect "info after kill" 0 "$cli" --json sandbox info "$id"
check "ended state" "$(jget "$out" 'd["state"]')" ended
expect "connect to a killed sandbox" 3 "$cli" --json sandbox connect "$id"
check "connect error JSON" "$(jget "$out" 'd["error"]["code"]')" -12
expect "kill again" 3 "$cli" sandbox kill "$id"

expect "a rejected API key" 4 env E2B_API_KEY=e2b_ffffffffffffffffffffffffffffffffffffffff "$cli" sandbox list
expect "no server" 6 env E2B_API_URL=http://127.0.0.1:1 "$cli" sandbox list

echo "cli: $pass passed, $failn failed"
((failn == 0))
