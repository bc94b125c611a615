# e2b-agent's bash kernel (embedded in the agent; run as `bash --noprofile --norc -c <this>`).
# Protocol with the agent: one request per line on stdin: "x<base64 code>" followed by
# " x<name> x<base64 value>" pairs of per-execution env vars; control messages on stdout as
# "\x1eE2B:" + JSON + "\n" (error on a non-zero status, then done). Cells run in this shell, so
# variables, functions and the working directory persist; user commands get /dev/null as stdin.
exec {__e2b_in}<&0 </dev/null
trap : INT
__e2b_cell() {
    trap 'trap : INT; return 130' INT
    eval "$__e2b_code"
}
while IFS= read -r -u "$__e2b_in" __e2b_line; do
    read -r -a __e2b_f <<< "$__e2b_line"
    __e2b_code=$(printf '%s' "${__e2b_f[0]:1}" | base64 -d)
    __e2b_saved=()
    for ((__e2b_i = 1; __e2b_i + 1 < ${#__e2b_f[@]}; __e2b_i += 2)); do
        __e2b_k=${__e2b_f[__e2b_i]:1}
        if [[ -v $__e2b_k ]]; then __e2b_saved+=("$__e2b_k" "x$(printf '%s' "${!__e2b_k}" | base64 -w0)")
        else __e2b_saved+=("$__e2b_k" "-"); fi
        export "$__e2b_k=$(printf '%s' "${__e2b_f[__e2b_i + 1]:1}" | base64 -d)"
    done
    __e2b_cell
    __e2b_rc=$?
    trap : INT
    for ((__e2b_i = 0; __e2b_i + 1 < ${#__e2b_saved[@]}; __e2b_i += 2)); do
        __e2b_k=${__e2b_saved[__e2b_i]}
        if [[ ${__e2b_saved[__e2b_i + 1]} == - ]]; then unset "$__e2b_k"
        else export "$__e2b_k=$(printf '%s' "${__e2b_saved[__e2b_i + 1]:1}" | base64 -d)"; fi
    done
    if ((__e2b_rc != 0)); then
        printf '\036E2B:{"type":"error","name":"","value":"%d","traceback":""}\n' "$__e2b_rc"
    fi
    printf '\036E2B:{"type":"done"}\n'
done
