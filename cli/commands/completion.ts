/** `sidekick completion bash|zsh`: shell completion for verbs, flags, resource types and object names. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../base-command.js';

export class CompletionCommand extends SidekickCommand {
  static override paths = [['completion']];
  static override usage = Command.Usage({
    description: 'Output shell completion code for bash or zsh',
    details: `
      Completes verbs, subcommands, resource types (plural and short names), object names (asked from the server with
      \`sidekick get TYPE -o jsonpath\`, in the namespace given by \`-n\`), output formats and file names for \`-f\`.
      Object names: \`approve\` and \`deny\` complete pending approvals; \`steer\`, \`respond\`, \`interrupt\`,
      \`cancel\`, \`pause\` and \`resume\` complete \`run/NAME\`; \`logs\` also \`channel/NAME\` and
      \`workflow/NAME\`; \`timeline\` and \`replay\` \`session/NAME\`; \`get\`, \`describe\`, \`delete\`... complete
      \`TYPE NAME\` and \`TYPE/NAME\`. \`--context\` and the \`config\` verbs (\`use-context\`, \`delete-context\`...) complete
      the kubeconfig's context names.
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

/** Pending approvals' names, for approve and deny. */
const PENDING_APPROVALS = `'jsonpath={range .items[?(@.status.phase=="Pending")]}{.metadata.name}{" "}{end}'`;

function bashFunction(verbs: string[], types: string[]): string {
  return `# _sidekick_objects TYPE PREFIX: the names of TYPE's objects in the namespace of -n, each after PREFIX.
_sidekick_objects() {
  sidekick get "$1" "\${ns[@]}" "\${kc[@]}" "\${ctx[@]}" -o "jsonpath={range .items[*]}$2{.metadata.name}{\\" \\"}{end}" 2>/dev/null
}
# _sidekick_contexts: the kubeconfig's context names (of --kubeconfig when given).
_sidekick_contexts() {
  sidekick config get-contexts -o name "\${kc[@]}" 2>/dev/null
}
_sidekick() {
  local cur prev verb i ns=() kc=() ctx=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  verb=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -n|--namespace) ns=(-n "\${COMP_WORDS[i+1]}") ;; --kubeconfig) kc=(--kubeconfig "\${COMP_WORDS[i+1]}") ;; --context) ctx=(--context "\${COMP_WORDS[i+1]}") ;; esac
  done
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -n|--namespace|-s|--server|--token|--home|--context|--kubeconfig) ((i++)) ;; -*) ;; *) verb="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$prev" in
    -o|--output) COMPREPLY=( $(compgen -W "json yaml name wide jsonpath= jsonpath-file= custom-columns= custom-columns-file=" -- "$cur") ); return ;;
    -f|--filename|--tls-cert|--tls-key|--patch-file|--kubeconfig|--certificate-authority) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --context) COMPREPLY=( $(compgen -W "$(_sidekick_contexts)" -- "$cur") ); return ;;
    -n|--namespace|-l|--selector|--server|--token|--home|-p|--patch|--timeout) return ;;
  esac
  if [[ -z "$verb" ]]; then
    COMPREPLY=( $(compgen -W "${verbs.join(' ')}" -- "$cur") )
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "-n --namespace -o --output -l --selector -A --all-namespaces -f --filename --server --token --context --kubeconfig --home -h --help" -- "$cur") )
    return
  fi
  local args=() w
  for ((i = i + 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -n|--namespace|-s|--server|--token|--home|--context|--kubeconfig|-m|--message|--reason|--timeout) ((i++)) ;; -*) ;; *) args+=("$w") ;; esac
  done
  case "$verb" in
    daemon) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "run start stop status logs" -- "$cur") ) ;;
    config)
      if [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=( $(compgen -W "current-context delete-context get-contexts set-context use-context view" -- "$cur") )
      elif [[ \${#args[@]} -eq 1 && \${args[0]} =~ ^(use-context|delete-context|get-contexts|set-context)$ ]]; then
        COMPREPLY=( $(compgen -W "$(_sidekick_contexts)" -- "$cur") )
      fi ;;
    token) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "create list revoke" -- "$cur") ) ;;
    auth) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "can-i" -- "$cur") ) ;;
    completion) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
    explain) COMPREPLY=( $(compgen -W "${types.join(' ')}" -- "$cur") ) ;;
    approve|deny) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "$(sidekick get approvals "\${ns[@]}" -o ${PENDING_APPROVALS} 2>/dev/null)" -- "$cur") ) ;;
    steer|respond|interrupt|cancel|pause|resume) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "$(_sidekick_objects runs run/)" -- "$cur") ) ;;
    logs) [[ \${#args[@]} -eq 0 ]] && COMPREPLY=( $(compgen -W "$(_sidekick_objects runs run/) $(_sidekick_objects channels channel/) $(_sidekick_objects workflows workflow/)" -- "$cur") ) ;;
    timeline|replay)
      if [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=( $(compgen -W "$([[ $verb == timeline ]] && echo verify) $(_sidekick_objects sessions session/)" -- "$cur") )
      elif [[ \${args[0]} == verify && \${#args[@]} -eq 1 ]]; then
        COMPREPLY=( $(compgen -W "$(_sidekick_objects sessions session/)" -- "$cur") )
      fi ;;
    workflow)
      if [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=( $(compgen -W "retry stop resume" -- "$cur") )
      elif [[ \${#args[@]} -eq 1 ]]; then
        COMPREPLY=( $(compgen -W "$(_sidekick_objects workflows workflow/)" -- "$cur") )
      fi ;;
    get|describe|delete|edit|patch|label|annotate|wait)
      if [[ "$cur" == */* ]]; then
        # TYPE/NAME in one word: the names of that type, each after its TYPE/.
        COMPREPLY=( $(compgen -W "$(_sidekick_objects "\${cur%%/*}" "\${cur%%/*}/")" -- "$cur") )
      elif [[ \${#args[@]} -eq 0 ]]; then
        COMPREPLY=( $(compgen -W "${types.join(' ')}" -- "$cur") )
      elif [[ "\${args[0]}" != */* ]]; then
        COMPREPLY=( $(compgen -W "$(_sidekick_objects "\${args[0]}" "")" -- "$cur") )
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
