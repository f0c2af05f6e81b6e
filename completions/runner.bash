# runner.bash: bash completion for kata-runner's ./runner.
#
# Enable it in your shell (or from ~/.bashrc):
#     source completions/runner.bash
# It completes commands, options, kata names (the folders in katas/ beside
# the runner being completed) and play modes.
_runner_katas()
{
	local root=${1%/*}
	[ "$root" = "$1" ] && root=.
	[ -d "$root/katas" ] || root=${KATA_ROOT:-.}
	local d
	for d in "$root"/katas/*/; do
		[ -d "$d" ] && basename "$d"
	done
}

_runner()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	local commands="list watch check hint progress reset play bench verify new
		selftest help"
	local check_opts="--all --solution --test --timeout-scale --seed
		--fail-fast --quick --param --so --format --no-progress
		--verbose -j --help"

	if [ "$COMP_CWORD" = 1 ]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	--format)
		COMPREPLY=($(compgen -W "human tap json" -- "$cur"))
		return ;;
	--so)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--test|--timeout-scale|--seed|--param|-j|--listen|--port)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		case $cmd in
		check|verify|watch) COMPREPLY=($(compgen -W "$check_opts" \
			-- "$cur")) ;;
		hint) COMPREPLY=($(compgen -W "--all --help" -- "$cur")) ;;
		reset) COMPREPLY=($(compgen -W "--yes --help" -- "$cur")) ;;
		play) COMPREPLY=($(compgen -W "--solution --listen --help \
			--port --root" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
		esac
		return
	fi
	case $cmd in
	help)
		[ "$COMP_CWORD" = 2 ] &&
			COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	check|verify|watch|hint|reset)
		COMPREPLY=($(compgen -W "$(_runner_katas "${COMP_WORDS[0]}")" \
			-- "$cur")) ;;
	play)
		if [ "$COMP_CWORD" = 2 ]; then
			COMPREPLY=($(compgen -W "$(_runner_katas \
				"${COMP_WORDS[0]}")" -- "$cur"))
		elif [ "$COMP_CWORD" = 3 ]; then
			COMPREPLY=($(compgen -W "server client" -- "$cur"))
		elif [ "${COMP_WORDS[3]}" = client ] && [ "$COMP_CWORD" = 6 ]
		then
			COMPREPLY=($(compgen -W "ls get put rm" -- "$cur"))
		fi ;;
	esac
}

complete -o default -F _runner runner ./runner
