# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tw_global_optspecs
    string join \n vault= h/help V/version
end

function __fish_tw_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tw_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tw_using_subcommand
    set -l cmd (__fish_tw_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tw -n "__fish_tw_needs_command" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_needs_command" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_needs_command" -s V -l version -d 'Print version'
complete -c tw -n "__fish_tw_needs_command" -f -a "init" -d 'Create a new vault, its key in the OS keyring (or behind a passphrase)'
complete -c tw -n "__fish_tw_needs_command" -f -a "add" -d 'Add a token; its secret is read from standard input or a hidden prompt'
complete -c tw -n "__fish_tw_needs_command" -f -a "edit" -d 'Change a token\'s name, scopes, allowed IPs, expiry, note or integration'
complete -c tw -n "__fish_tw_needs_command" -f -a "list" -d 'List tokens, soonest expiry first (secrets masked)'
complete -c tw -n "__fish_tw_needs_command" -f -a "show" -d 'Show one token (secret masked)'
complete -c tw -n "__fish_tw_needs_command" -f -a "reveal" -d 'Print a token\'s secret, for piping (audited)'
complete -c tw -n "__fish_tw_needs_command" -f -a "rm" -d 'Remove a token and its secret from the vault (audited)'
complete -c tw -n "__fish_tw_needs_command" -f -a "import" -d 'Import tokens from a KeePassXC, Bitwarden or 1Password export or a .env file (a preview first; --dry-run stops there)'
complete -c tw -n "__fish_tw_needs_command" -f -a "audit" -d 'Show the audit log, or verify its hash chain'
complete -c tw -n "__fish_tw_needs_command" -f -a "identity" -d 'Export or manage the vault key'
complete -c tw -n "__fish_tw_needs_command" -f -a "recipients" -d 'Extra age recipients the vault is also encrypted to (a backup key, a colleague)'
complete -c tw -n "__fish_tw_needs_command" -f -a "integration" -d 'Provider accounts: add, list, edit, remove'
complete -c tw -n "__fish_tw_needs_command" -f -a "team" -d 'Share tokens with a team through OpenBao / HashiCorp Vault (KV v2)'
complete -c tw -n "__fish_tw_needs_command" -f -a "verify" -d 'Check that a token works against its provider'
complete -c tw -n "__fish_tw_needs_command" -f -a "create" -d 'Create a token through its provider\'s API and store it at once'
complete -c tw -n "__fish_tw_needs_command" -f -a "revoke" -d 'Revoke a token at its provider and mark it revoked'
complete -c tw -n "__fish_tw_needs_command" -f -a "reconcile" -d 'Compare an integration\'s tokens at the provider with the vault'
complete -c tw -n "__fish_tw_needs_command" -f -a "sandbox" -d 'Run a simulated GoodAccess with a demo integration, to try everything offline'
complete -c tw -n "__fish_tw_needs_command" -f -a "reminders" -d 'Reminders due now, and tokens expiring soon'
complete -c tw -n "__fish_tw_needs_command" -f -a "snooze" -d 'Snooze a token\'s due reminders'
complete -c tw -n "__fish_tw_needs_command" -f -a "remind" -d 'Set when a token (or an integration\'s tokens) remind: days before expiry'
complete -c tw -n "__fish_tw_needs_command" -f -a "calendar" -d 'Write expiries as an iCalendar file with alarms at the lead times (no secrets)'
complete -c tw -n "__fish_tw_needs_command" -f -a "rotate" -d 'Rotate a token (one click where its API can, guided otherwise), or all due'
complete -c tw -n "__fish_tw_needs_command" -f -a "rotations" -d 'Rotations: unfinished ones (resumed at every start), orphans, abandon'
complete -c tw -n "__fish_tw_needs_command" -f -a "policy" -d 'Show or set a token\'s (or an integration\'s) rotation policy'
complete -c tw -n "__fish_tw_needs_command" -f -a "exec" -d 'Run a command with current secrets in its environment (never on disk or screen)'
complete -c tw -n "__fish_tw_needs_command" -f -a "inject" -d 'Fill a template\'s tw:// references with current secrets, into a new 0600 file'
complete -c tw -n "__fish_tw_needs_command" -f -a "run" -d 'Run a command with an env file\'s variables, tw:// references resolved, in its environment (never on disk or screen)'
complete -c tw -n "__fish_tw_needs_command" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)'
complete -c tw -n "__fish_tw_needs_command" -f -a "man" -d 'Write the man pages into a folder'
complete -c tw -n "__fish_tw_needs_command" -f -a "recover" -d 'Restore the previous generation of a vault that cannot be used, or accept an older copy put back on purpose (both recorded in the audit log)'
complete -c tw -n "__fish_tw_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand init" -l work-factor -d 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it' -r
complete -c tw -n "__fish_tw_using_subcommand init" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand init" -l passphrase -d 'Keep the key behind a passphrase instead of the OS keyring'
complete -c tw -n "__fish_tw_using_subcommand init" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand add" -l provider -d 'The provider: goodaccess, goodpayments, agencyaccess, platform-api, custom' -r
complete -c tw -n "__fish_tw_using_subcommand add" -l name -r
complete -c tw -n "__fish_tw_using_subcommand add" -l scope -d 'A scope the token holds (repeat for more)' -r
complete -c tw -n "__fish_tw_using_subcommand add" -l allow-ip -d 'An IP or CIDR range the token is restricted to (repeat for more)' -r
complete -c tw -n "__fish_tw_using_subcommand add" -l expires -d 'YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never [default: never, or the expiry a pasted token carries itself]' -r
complete -c tw -n "__fish_tw_using_subcommand add" -l note -r
complete -c tw -n "__fish_tw_using_subcommand add" -l integration -d 'The integration the token belongs to (for verify, revoke, reconcile)' -r
complete -c tw -n "__fish_tw_using_subcommand add" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand add" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand edit" -l name -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l scope -d 'The token\'s scopes, replacing its own (repeat for more)' -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l allow-ip -d 'The IPs or CIDR ranges it is restricted to, replacing its own (repeat)' -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l expires -d 'YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never' -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l note -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l integration -d 'The integration it belongs to (label or id)' -r
complete -c tw -n "__fish_tw_using_subcommand edit" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand edit" -l no-scopes -d 'Remove every scope'
complete -c tw -n "__fish_tw_using_subcommand edit" -l any-ip -d 'Remove every IP restriction'
complete -c tw -n "__fish_tw_using_subcommand edit" -l no-integration -d 'Detach it from its integration'
complete -c tw -n "__fish_tw_using_subcommand edit" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand list" -l filter -d 'Only tokens whose name, provider, integration or a scope contains TEXT (without case)' -r
complete -c tw -n "__fish_tw_using_subcommand list" -l sort -d 'The order: expiry (soonest first), name, or provider' -r
complete -c tw -n "__fish_tw_using_subcommand list" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand list" -l json
complete -c tw -n "__fish_tw_using_subcommand list" -l live -d 'Leave revoked tokens out (the window\'s default)'
complete -c tw -n "__fish_tw_using_subcommand list" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand show" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand show" -l json
complete -c tw -n "__fish_tw_using_subcommand show" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand reveal" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand reveal" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand rm" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand rm" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand import" -l from -d 'What made the file: keepassxc, bitwarden, 1password or env [default: told from its content]' -r
complete -c tw -n "__fish_tw_using_subcommand import" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand import" -l dry-run -d 'Show what would be imported and skipped, and import nothing'
complete -c tw -n "__fish_tw_using_subcommand import" -l json
complete -c tw -n "__fish_tw_using_subcommand import" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand audit" -l export -d 'Write the whole log to this new file (never over one; owner-only)' -r -F
complete -c tw -n "__fish_tw_using_subcommand audit" -l format -d 'The export\'s format: csv or json (default: from the file\'s extension, else csv)' -r
complete -c tw -n "__fish_tw_using_subcommand audit" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand audit" -l verify -d 'Check the hash chain instead of listing'
complete -c tw -n "__fish_tw_using_subcommand audit" -l json -d 'The entries as JSON (their raw detail included)'
complete -c tw -n "__fish_tw_using_subcommand audit" -l detail -d 'Each entry\'s raw detail after its sentence'
complete -c tw -n "__fish_tw_using_subcommand audit" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand identity; and not __fish_seen_subcommand_from export custody help" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and not __fish_seen_subcommand_from export custody help" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand identity; and not __fish_seen_subcommand_from export custody help" -f -a "export" -d 'Write the vault key to a file for recovery (passphrase-protected by default)'
complete -c tw -n "__fish_tw_using_subcommand identity; and not __fish_seen_subcommand_from export custody help" -f -a "custody" -d 'Move the vault key to the OS keyring, or behind a (new) passphrase'
complete -c tw -n "__fish_tw_using_subcommand identity; and not __fish_seen_subcommand_from export custody help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l out -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l passphrase-file -d 'Read the export\'s passphrase from this file instead of a prompt' -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l work-factor -d 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it' -r
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l confirm -r
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -l unprotected -d 'Write the key in clear text (keep the file offline)'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from custody" -l new-passphrase-file -d 'Read the new passphrase from this file instead of a prompt' -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from custody" -l work-factor -d 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it' -r
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from custody" -l confirm -r
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from custody" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from custody" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the vault key to a file for recovery (passphrase-protected by default)'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "custody" -d 'Move the vault key to the OS keyring, or behind a (new) passphrase'
complete -c tw -n "__fish_tw_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -f -a "add" -d 'Also encrypt the vault to this age public key (age1...)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -f -a "list" -d 'List the extra recipients'
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -f -a "rm" -d 'Stop encrypting to a recipient (copies it already has stay readable to it)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and not __fish_seen_subcommand_from add list rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from add" -l label -r
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from add" -l confirm -r
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from add" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from list" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from list" -l json
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from rm" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "add" -d 'Also encrypt the vault to this age public key (age1...)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the extra recipients'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Stop encrypting to a recipient (copies it already has stay readable to it)'
complete -c tw -n "__fish_tw_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -f -a "add" -d 'Add a provider account; one whose API manages tokens reads its managing token from stdin'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -f -a "list" -d 'List integrations'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -f -a "edit" -d 'Rename an integration, or change its base URL or how its tokens are verified'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -f -a "rm" -d 'Remove an integration (its tokens stay in the vault, detached)'
complete -c tw -n "__fish_tw_using_subcommand integration; and not __fish_seen_subcommand_from add list edit rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l provider -d 'The provider: goodaccess, goodpayments, agencyaccess, platform-api, custom' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l label -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l base-url -d 'The API\'s base URL [default: the provider\'s own]' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l verify-url -d 'Verify-only providers: the full URL of a read-only endpoint' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l header -d 'The header carrying the credential [default: per provider]' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l scheme -d 'The scheme before the credential in that header, e.g. Bearer ("none" for none)' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l expected-status -d 'The status the verify URL answers when the credential works' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l scope -d 'A managing token\'s scopes (it needs those that manage tokens)' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l expires -d 'When the managing token expires' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -l no-verify -d 'Store without checking the managing token against the API first'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from list" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from list" -l json
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l label -d 'A new label' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l base-url -d 'A new base URL ("default" for the provider\'s own)' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l verify-url -d 'Verify-only providers: a new verify URL' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l header -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l scheme -d '"none" for no scheme' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l expected-status -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l scope -d 'With --credential: the managing token\'s scopes' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l expires -d 'With --credential: when the managing token expires' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l confirm-host -d 'Verify-only providers, when the verify URL moves to another host: that host, typed again (each token\'s secret goes there when verified)' -r
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -l credential -d 'When the base URL moves to another host: the managing token again, read from standard input (checked against the new host before anything is stored)'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from edit" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from rm" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a provider account; one whose API manages tokens reads its managing token from stdin'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from help" -f -a "list" -d 'List integrations'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from help" -f -a "edit" -d 'Rename an integration, or change its base URL or how its tokens are verified'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove an integration (its tokens stay in the vault, detached)'
complete -c tw -n "__fish_tw_using_subcommand integration; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "connect" -d 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "status" -d 'The connection, the last sync, and what the server lets this member do'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "sync" -d 'Bring this vault\'s copy of the team\'s tokens up to the server\'s'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "share" -d 'Move a token of this vault into the team'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "leave" -d 'Disconnect from the team (its tokens stay on the server; the copy here goes)'
complete -c tw -n "__fish_tw_using_subcommand team; and not __fish_seen_subcommand_from connect status sync share leave help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -l addr -d 'The server\'s address, e.g. https://bao.example.com:8200' -r
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -l mount -d 'The KV v2 mount' -r
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -l prefix -d 'The team\'s prefix under the mount' -r
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -l userpass -d 'Sign in with userpass as this user (the password from standard input)' -r
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from connect" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from status" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from status" -l offline -d 'Do not ask the server (what this vault recorded only)'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from sync" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from share" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from share" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from leave" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from leave" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "connect" -d 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "status" -d 'The connection, the last sync, and what the server lets this member do'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Bring this vault\'s copy of the team\'s tokens up to the server\'s'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "share" -d 'Move a token of this vault into the team'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "leave" -d 'Disconnect from the team (its tokens stay on the server; the copy here goes)'
complete -c tw -n "__fish_tw_using_subcommand team; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand verify" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand verify" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand create" -l integration -d 'The integration to create the token in' -r
complete -c tw -n "__fish_tw_using_subcommand create" -l name -r
complete -c tw -n "__fish_tw_using_subcommand create" -l scope -d 'A scope (repeat); added to the preset\'s' -r
complete -c tw -n "__fish_tw_using_subcommand create" -l preset -d 'One of the provider\'s presets (GoodAccess: logging, inventory, provisioning, token-management)' -r
complete -c tw -n "__fish_tw_using_subcommand create" -l allow-ip -r
complete -c tw -n "__fish_tw_using_subcommand create" -l expires -d 'YYYY-MM-DD (start of that day, UTC) or an RFC 3339 time' -r
complete -c tw -n "__fish_tw_using_subcommand create" -l note -r
complete -c tw -n "__fish_tw_using_subcommand create" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand create" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand revoke" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand reconcile" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand reconcile" -l json
complete -c tw -n "__fish_tw_using_subcommand reconcile" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand sandbox" -l state -d 'Where the simulated accounts are kept between runs [default: beside the vault]' -r -F
complete -c tw -n "__fish_tw_using_subcommand sandbox" -l port -d 'Port on 127.0.0.1 [default: any free one]' -r
complete -c tw -n "__fish_tw_using_subcommand sandbox" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand sandbox" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand reminders" -l within -d 'Show tokens expiring within this many days' -r
complete -c tw -n "__fish_tw_using_subcommand reminders" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand reminders" -l fire -d 'Print the due reminders once and mark them fired (for cron or scripts)'
complete -c tw -n "__fish_tw_using_subcommand reminders" -l json
complete -c tw -n "__fish_tw_using_subcommand reminders" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand snooze" -l days -r
complete -c tw -n "__fish_tw_using_subcommand snooze" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand snooze" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand remind" -l integration -r
complete -c tw -n "__fish_tw_using_subcommand remind" -l days -d 'e.g. 30,7,1,0 (0: at expiry); none for no reminders; default (or "") to inherit' -r
complete -c tw -n "__fish_tw_using_subcommand remind" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand remind" -l all -d 'The vault\'s default, for every token without its own or its integration\'s'
complete -c tw -n "__fish_tw_using_subcommand remind" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand calendar" -l out -r -F
complete -c tw -n "__fish_tw_using_subcommand calendar" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand calendar" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand rotate" -l expires -d 'The new token\'s expiry: YYYY-MM-DD (start of that day, UTC) or RFC 3339 [default: the old token\'s lifetime, from now]' -r
complete -c tw -n "__fish_tw_using_subcommand rotate" -l within -d 'With --due: days ahead [default: each token\'s automatic lead, else 7]' -r
complete -c tw -n "__fish_tw_using_subcommand rotate" -l concurrency -d 'Rotations at once with --due' -r
complete -c tw -n "__fish_tw_using_subcommand rotate" -l name -d 'Guided rotation: the new token\'s name [default: the proposed one]' -r
complete -c tw -n "__fish_tw_using_subcommand rotate" -l confirm-retired -d 'Guided rotation: say the old key is deleted in the dashboard (token or rotation)' -r
complete -c tw -n "__fish_tw_using_subcommand rotate" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand rotate" -l due -d 'Rotate every token due: expiring within --within days, or its own automatic lead'
complete -c tw -n "__fish_tw_using_subcommand rotate" -l yes -d 'Rotate tokens whose policy is "ask" without asking'
complete -c tw -n "__fish_tw_using_subcommand rotate" -l force -d 'Guided rotation: switch to the pasted key even if it does not verify from here; with --confirm-retired: even if the provider cannot tell the old key is gone'
complete -c tw -n "__fish_tw_using_subcommand rotate" -l json
complete -c tw -n "__fish_tw_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand rotations" -l revoke-orphans -d 'Revoke the orphans a rotation found (tokens created by a call whose answer was lost)' -r
complete -c tw -n "__fish_tw_using_subcommand rotations" -l abandon -d 'Give up a rotation that has not switched to its new token (the new one is revoked)' -r
complete -c tw -n "__fish_tw_using_subcommand rotations" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand rotations" -l all -d 'Finished ones too'
complete -c tw -n "__fish_tw_using_subcommand rotations" -l retry -d 'Retry the unfinished ones now, not at their retry time'
complete -c tw -n "__fish_tw_using_subcommand rotations" -l json
complete -c tw -n "__fish_tw_using_subcommand rotations" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand policy" -l integration -d 'Set the default of an integration\'s tokens instead' -r
complete -c tw -n "__fish_tw_using_subcommand policy" -l mode -d 'one-click, ask or never' -r
complete -c tw -n "__fish_tw_using_subcommand policy" -l auto-days -d 'One-click only: rotate by itself this many days before expiry' -r
complete -c tw -n "__fish_tw_using_subcommand policy" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand policy" -l clear -d 'Remove the setting (inherit again)'
complete -c tw -n "__fish_tw_using_subcommand policy" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand exec" -s e -l env -d 'VAR=TOKEN: put the token\'s current secret in the variable VAR (repeat)' -r
complete -c tw -n "__fish_tw_using_subcommand exec" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand exec" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand inject" -s i -l in-file -d 'The template, with tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references [default: standard input]' -r -F
complete -c tw -n "__fish_tw_using_subcommand inject" -s o -l out-file -d 'The file to write, created owner-only (0600); never over an existing one without --force [default: standard output, refused on a terminal]' -r -F
complete -c tw -n "__fish_tw_using_subcommand inject" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand inject" -s f -l force -d 'Replace the output file if it exists (whole, by a rename; still 0600)'
complete -c tw -n "__fish_tw_using_subcommand inject" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand run" -l env-file -d 'NAME=VALUE lines (# comments, quotes); values may hold tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references' -r -F
complete -c tw -n "__fish_tw_using_subcommand run" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand run" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand completions" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand man" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand man" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand recover" -l vault -d 'The vault file [default: the OS app-data folder]' -r -F
complete -c tw -n "__fish_tw_using_subcommand recover" -l from-previous -d 'Put vault.age.prev in the vault\'s place (the file there is kept beside it)'
complete -c tw -n "__fish_tw_using_subcommand recover" -l accept-older -d 'Keep the vault as it is although a newer generation was seen: an older copy you restored yourself'
complete -c tw -n "__fish_tw_using_subcommand recover" -s h -l help -d 'Print help'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "init" -d 'Create a new vault, its key in the OS keyring (or behind a passphrase)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "add" -d 'Add a token; its secret is read from standard input or a hidden prompt'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "edit" -d 'Change a token\'s name, scopes, allowed IPs, expiry, note or integration'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "list" -d 'List tokens, soonest expiry first (secrets masked)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "show" -d 'Show one token (secret masked)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "reveal" -d 'Print a token\'s secret, for piping (audited)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "rm" -d 'Remove a token and its secret from the vault (audited)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "import" -d 'Import tokens from a KeePassXC, Bitwarden or 1Password export or a .env file (a preview first; --dry-run stops there)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "audit" -d 'Show the audit log, or verify its hash chain'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "identity" -d 'Export or manage the vault key'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "recipients" -d 'Extra age recipients the vault is also encrypted to (a backup key, a colleague)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "integration" -d 'Provider accounts: add, list, edit, remove'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "team" -d 'Share tokens with a team through OpenBao / HashiCorp Vault (KV v2)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "verify" -d 'Check that a token works against its provider'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "create" -d 'Create a token through its provider\'s API and store it at once'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "revoke" -d 'Revoke a token at its provider and mark it revoked'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "reconcile" -d 'Compare an integration\'s tokens at the provider with the vault'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "sandbox" -d 'Run a simulated GoodAccess with a demo integration, to try everything offline'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "reminders" -d 'Reminders due now, and tokens expiring soon'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "snooze" -d 'Snooze a token\'s due reminders'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "remind" -d 'Set when a token (or an integration\'s tokens) remind: days before expiry'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "calendar" -d 'Write expiries as an iCalendar file with alarms at the lead times (no secrets)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "rotate" -d 'Rotate a token (one click where its API can, guided otherwise), or all due'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "rotations" -d 'Rotations: unfinished ones (resumed at every start), orphans, abandon'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "policy" -d 'Show or set a token\'s (or an integration\'s) rotation policy'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "exec" -d 'Run a command with current secrets in its environment (never on disk or screen)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "inject" -d 'Fill a template\'s tw:// references with current secrets, into a new 0600 file'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "run" -d 'Run a command with an env file\'s variables, tw:// references resolved, in its environment (never on disk or screen)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "man" -d 'Write the man pages into a folder'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "recover" -d 'Restore the previous generation of a vault that cannot be used, or accept an older copy put back on purpose (both recorded in the audit log)'
complete -c tw -n "__fish_tw_using_subcommand help; and not __fish_seen_subcommand_from init add edit list show reveal rm import audit identity recipients integration team verify create revoke reconcile sandbox reminders snooze remind calendar rotate rotations policy exec inject run completions man recover help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "export" -d 'Write the vault key to a file for recovery (passphrase-protected by default)'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "custody" -d 'Move the vault key to the OS keyring, or behind a (new) passphrase'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "add" -d 'Also encrypt the vault to this age public key (age1...)'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "list" -d 'List the extra recipients'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "rm" -d 'Stop encrypting to a recipient (copies it already has stay readable to it)'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from integration" -f -a "add" -d 'Add a provider account; one whose API manages tokens reads its managing token from stdin'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from integration" -f -a "list" -d 'List integrations'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from integration" -f -a "edit" -d 'Rename an integration, or change its base URL or how its tokens are verified'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from integration" -f -a "rm" -d 'Remove an integration (its tokens stay in the vault, detached)'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "connect" -d 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "status" -d 'The connection, the last sync, and what the server lets this member do'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "sync" -d 'Bring this vault\'s copy of the team\'s tokens up to the server\'s'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "share" -d 'Move a token of this vault into the team'
complete -c tw -n "__fish_tw_using_subcommand help; and __fish_seen_subcommand_from team" -f -a "leave" -d 'Disconnect from the team (its tokens stay on the server; the copy here goes)'
