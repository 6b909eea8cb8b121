/** `sidekick completion bash|zsh`: shell completion for verbs, flags, resource types and object names. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../base-command.js';

export class CompletionCommand extends SidekickCommand {
  static override paths = [['completion']];
  static override usage = Command.Usage({
    description: 'Output shell completion code for bash or zsh',
    details: `
      Completes verbs, daemon subcommands, resource types (plural and short names), object names (asked from the
      server with \`sidekick get TYPE -o jsonpath\`), output formats and file names for \`-f\`.
    `,
    examples: [
      ['Load in the current bash', 'source <(sidekick completion bash)'],
      ['Install for zsh', 'sidekick completion zsh > "${fpath[1]}/_sidekick"'],
    ],
  });

  shell = Option.String({ name: 'bash|zsh' });

  async execute(): Promise<number> {
    if (this.shell !== 'bash' && this.shell !== 'zsh') throw new UsageError(`Unsupported shell type "${this.shell}".`);
    const { scheme } = await import('../../resources/index.js');
    const { verbs: allVerbs } = await import('../verbs.js');
    const verbs = [...allVerbs].sort();
    const types = [...new Set(scheme.all().flatMap((d) => [d.plural, ...d.shortNames]))].sort();
    const body = bashFunction(verbs, types);
    this.context.stdout.write(this.shell === 'bash' ? `# bash completion for sidekick\n${body}complete -o default -F _sidekick sidekick\n` : zshScript(body));
    return 0;
  }
}

function bashFunction(verbs: string[], types: string[]): string {
  return `_sidekick() {
  local cur prev verb i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  verb=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) verb="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$prev" in
    -o|--output) COMPREPLY=( $(compgen -W "json yaml name wide jsonpath= jsonpath-file= custom-columns= custom-columns-file=" -- "$cur") ); return ;;
    -f|--filename|--tls-cert|--tls-key|--patch-file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    -n|--namespace|-l|--selector|--server|--token|--home|-p|--patch|--timeout) return ;;
  esac
  if [[ -z "$verb" ]]; then
    COMPREPLY=( $(compgen -W "${verbs.join(' ')}" -- "$cur") )
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "-n --namespace -o --output -l --selector -A --all-namespaces -f --filename --server --token --home -h --help" -- "$cur") )
    return
  fi
  local args=() w
  for ((i = i + 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) ;; *) args+=("$w") ;; esac
  done
  case "$verb" in
    daemon) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "run start stop status logs" -- "$cur") ) ;;
    config) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "view" -- "$cur") ) ;;
    completion) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
    explain) COMPREPLY=( $(compgen -W "${types.join(' ')}" -- "$cur") ) ;;
    get|describe|delete|edit|patch|label|annotate|wait)
      if [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=( $(compgen -W "${types.join(' ')}" -- "$cur") )
      else
        local names
        names=$(sidekick get "\${args[0]}" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null)
        COMPREPLY=( $(compgen -W "$names" -- "$cur") )
      fi ;;
  esac
}
`;
}

function zshScript(body: string): string {
  // zsh runs the bash function through bashcompinit, the approach many CLIs ship for both shells.
  return `#compdef sidekick
# zsh completion for sidekick
autoload -U +X bashcompinit && bashcompinit
${body}complete -o default -F _sidekick sidekick
`;
}
