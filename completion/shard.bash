# bash completion for shard(1): commands, verbs ("history show") and each
# one's long options. They are read, at completion time, from the --help
# of the very shard being completed (shard --help, shard CMD --help, shard
# CMD VERB --help): never a list of its own that could fall behind the
# binary, and right for whichever version is on PATH. A --help costs a few
# milliseconds. Option values and the command after -- are left to
# bash's file completion.

# _shard_help SHARD [WORD...]: the --help of that command, or nothing.
_shard_help()
{
    "$@" --help </dev/null 2>/dev/null
}

# The names listed under "commands:".
_shard_commands()
{
    _shard_help "$@" | sed -n '/^commands:$/,$ s/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

# The long options listed under "options:".
_shard_options()
{
    _shard_help "$@" |
        sed -n 's/^  \(-[[:alnum:]], \)\{0,1\} *\(--[a-z][a-z0-9-]*\).*/\2/p'
}

_shard()
{
    local cur=${COMP_WORDS[COMP_CWORD]} shard=${COMP_WORDS[0]/#\~/$HOME}
    local cmd=${COMP_WORDS[1]:-} verbs="" i

    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        [ "${COMP_WORDS[i]}" = -- ] && return 0
    done
    if [ "$COMP_CWORD" -eq 1 ]; then
        case $cur in
        -*) COMPREPLY=($(compgen -W "--help --version" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$(_shard_commands "$shard")" -- "$cur")) ;;
        esac
        return 0
    fi
    if [ "$cmd" = help ]; then
        [ "$COMP_CWORD" -eq 2 ] &&
            COMPREPLY=($(compgen -W "$(_shard_commands "$shard")" -- "$cur"))
        return 0
    fi
    verbs=$(_shard_commands "$shard" "$cmd")
    if [ -n "$verbs" ]; then
        if [ "$COMP_CWORD" -eq 2 ]; then
            COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
            return 0
        fi
        set -- "$shard" "$cmd" "${COMP_WORDS[2]}"
    else
        set -- "$shard" "$cmd"
    fi
    case $cur in
    -*) COMPREPLY=($(compgen -W "$(_shard_options "$@")" -- "$cur")) ;;
    esac
    return 0
}

complete -o bashdefault -o default -F _shard shard
