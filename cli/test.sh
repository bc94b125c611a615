#!/usr/bin/env bash
# End-to-end tests of the e2b CLI (build/e2b) against its own e2b-local (build/e2b-local, or
# $E2B_LOCAL_BIN): exit codes, --json output, streaming exec, files, artifacts, workspace, the
# session lifecycle, by-id kill/pause/timeout, cost report and pool stats. Needs root (e2b-local
# does). Usage: cli/test.sh
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
check "help documents the new commands" "$(grep -cE '^  (sandbox timeout|pool stats|cost report)' <<<"$out")" 3
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
expect "sandbox create (second)" 0 "$cli" --json sandbox create --meta purpose=cli-test-2
id2=$(jget "$out" 'd["sandbox_id"]')
expect "sandbox timeout" 0 "$cli" --json sandbox timeout "$id2" 120
check "timeout JSON" "$(jget "$out" 'd["timeout_s"]')" 120
expect "info after timeout" 0 "$cli" --json sandbox info "$id2"
check "the end moved to ~120 s from now" \
  "$(jget "$out" '110 <= (d["end_at_ms"] / 1000 - __import__("time").time()) <= 121')" True
expect "sandbox timeout of 0 s" 2 "$cli" sandbox timeout "$id2" 0
expect "sandbox timeout without seconds" 2 "$cli" sandbox timeout "$id2"
expect "sandbox timeout of an unknown sandbox" 3 "$cli" sandbox timeout nosuchsandbox 60
expect "sandbox pause (second)" 0 "$cli" sandbox pause "$id2"

# cost report: $id running, $id2 paused.
expect "cost report --json" 0 "$cli" --json cost report
check "cost: the running sandbox is estimated at E2B's prices" "$(jget "$out" '[abs(s["cost_usd"] - (s["vcpu_seconds"]*0.000014 + s["gib_seconds"]*0.0000045)) < 1e-12 and s["running_seconds"] > 0 and s["vcpu_seconds"] == s["running_seconds"]*s["vcpu"] for s in d["sandboxes"] if s["sandbox_id"]=="'"$id"'"][0]')" True
check "cost: the paused sandbox has no estimate, an upper bound" "$(jget "$out" '[(s["state"], s["cost_usd"], s["upper_bound_usd"] > 0) for s in d["sandboxes"] if s["sandbox_id"]=="'"$id2"'"][0]')" "('paused', None, True)"
check "cost: totals add up" "$(jget "$out" 'abs(d["totals"]["cost_usd"] - sum(s["cost_usd"] or 0 for s in d["sandboxes"])) < 1e-12 and (d["totals"]["running"], d["totals"]["paused"]) == (1, 1)')" True
check "cost: default prices" "$(jget "$out" 'd["prices"]')" "{'vcpu_second': 1.4e-05, 'gib_second': 4.5e-06}"
expect "cost report, one sandbox per API page" 0 "$cli" --json cost report --page-size 1
check "cost: every page read" "$(jget "$out" 'sorted(s["sandbox_id"] for s in d["sandboxes"]) == sorted(["'"$id"'", "'"$id2"'"])')" True
expect "sandbox list, one sandbox per API page" 0 "$cli" --json sandbox list --page-size 1
check "list: every page read" "$(jget "$out" 'len(d)')" 2
expect "sandbox list --page-size 101" 2 "$cli" sandbox list --page-size 101
expect "cost report --prices" 0 "$cli" cost report --json --prices '{"vcpu_second":1,"gib_second":0}'
check "cost: --prices applied" "$(jget "$out" '[s["cost_usd"] == s["vcpu_seconds"] for s in d["sandboxes"] if s["sandbox_id"]=="'"$id"'"][0]')" True
expect "cost report human" 0 "$cli" cost report
check "cost: human output says what it cannot know" "$(grep -c 'does not report when a paused sandbox paused' <<<"$out")" 1
expect "cost report --prices negative" 2 "$cli" cost report --prices '{"vcpu_second":-1}'
expect "cost report --prices unknown key" 2 "$cli" --json cost report --prices '{"cpu":1}'
check "cost: bad prices JSON error" "$(jget "$out" 'd["error"]["context"]')" --prices

expect "sandbox timeout of a paused sandbox" 1 "$cli" sandbox timeout "$id2" 60
check "timeout of a paused sandbox says so" "$(grep -c 'is paused' <<<"$err")" 1
expect "list: the second sandbox is paused" 0 "$cli" --json sandbox list --state paused
check "paused in list" "$(jget "$out" '[s["sandbox_id"] for s in d]' | grep -c "$id2")" 1
expect "kill a paused sandbox" 0 "$cli" --json sandbox kill "$id2"
check "kill JSON" "$(jget "$out" 'd["state"]')" ended
expect "info after killing a paused sandbox" 3 "$cli" --json sandbox info "$id2"
check "info after kill JSON" "$(jget "$out" 'd["error"]["code"]')" -12
expect "list after killing a paused sandbox" 0 "$cli" --json sandbox list
check "killed paused sandbox not listed" "$(jget "$out" '[s["sandbox_id"] for s in d]' | grep -c "$id2")" 0

expect "sandbox kill" 0 "$cli" sandbox kill "$id"
expect "info after kill" 3 "$cli" sandbox info "$id"
check "info after kill says not found" "$(grep -c 'no such sandbox' <<<"$err")" 1
expect "connect to a killed sandbox" 3 "$cli" --json sandbox connect "$id"
check "connect error JSON" "$(jget "$out" 'd["error"]["code"]')" -12
expect "kill again" 3 "$cli" sandbox kill "$id"

# pool stats: one process warms a pool, cycles through it and frees it.
count() { "$cli" --json sandbox list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
nbefore=$(count)
expect "pool stats --json" 0 "$cli" --json pool stats --min 1 --max 2 --acquire 4 --profile light
check "pool stats JSON" "$(jget "$out" '(d["acquisitions"], d["exec_ok"], d["exec_failed"], d["created"] >= 1, d["created"] + d["reused"] >= 4, d["idle"] >= 1, d["active"], d["cold_create_ms"] > 0, d["wait_p95_ms"] >= d["wait_p50_ms"])')" \
  "(4, 4, 0, True, True, True, 0, True, True)"
check "pool stats frees its sandboxes" "$(count)" "$nbefore"
expect "pool stats human" 0 "$cli" pool stats --min 1 --max 1 --acquire 2
check "pool stats human table" "$(grep -c 'acquire wait' <<<"$out")" 1
# Ctrl-C once the pool is warm: its sandboxes are killed, exit 130.
timeout 30 "$cli" pool stats --min 3 --max 3 --acquire 20000 >/dev/null 2>"$work/int.err" &
ppid=$!
for _ in $(seq 200); do (($(count) >= nbefore + 3)) && break; sleep 0.05; done
kill -INT "$ppid"; wait "$ppid"; rc=$?
if [[ $rc == 130 ]]; then ok "pool stats interrupted exits 130"; else bad "pool stats interrupted (exit $rc)"; fi
check "interrupted pool stats killed its sandboxes" "$(count)" "$nbefore"
expect "pool stats with an unknown profile" 2 "$cli" pool stats --profile nope
expect "pool stats with an unknown template" 1 "$cli" --json pool stats --template nosuch
expect "pool stats --min above --max" 2 "$cli" pool stats --min 3 --max 2
expect "pool stats unknown option" 2 "$cli" pool stats --frob

expect "a rejected API key" 4 env E2B_API_KEY=e2b_ffffffffffffffffffffffffffffffffffffffff "$cli" sandbox list
expect "no server" 6 env E2B_API_URL=http://127.0.0.1:1 "$cli" sandbox list

echo "cli: $pass passed, $failn failed"
((failn == 0))
