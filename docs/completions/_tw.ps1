
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tw' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tw'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tw' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new vault, its key in the OS keyring (or behind a passphrase)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a token; its secret is read from standard input or a hidden prompt')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a token''s name, scopes, allowed IPs, expiry, note or integration')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens, soonest expiry first (secrets masked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one token (secret masked)')
            [CompletionResult]::new('reveal', 'reveal', [CompletionResultType]::ParameterValue, 'Print a token''s secret, for piping (audited)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a token and its secret from the vault (audited)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import tokens from a KeePassXC, Bitwarden or 1Password export or a .env file (a preview first; --dry-run stops there)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log, or verify its hash chain')
            [CompletionResult]::new('identity', 'identity', [CompletionResultType]::ParameterValue, 'Export or manage the vault key')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'Extra age recipients the vault is also encrypted to (a backup key, a colleague)')
            [CompletionResult]::new('integration', 'integration', [CompletionResultType]::ParameterValue, 'Provider accounts: add, list, edit, remove')
            [CompletionResult]::new('team', 'team', [CompletionResultType]::ParameterValue, 'Share tokens with a team through OpenBao / HashiCorp Vault (KV v2)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that a token works against its provider')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token through its provider''s API and store it at once')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token at its provider and mark it revoked')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Compare an integration''s tokens at the provider with the vault')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a simulated GoodAccess with a demo integration, to try everything offline')
            [CompletionResult]::new('reminders', 'reminders', [CompletionResultType]::ParameterValue, 'Reminders due now, and tokens expiring soon')
            [CompletionResult]::new('snooze', 'snooze', [CompletionResultType]::ParameterValue, 'Snooze a token''s due reminders')
            [CompletionResult]::new('remind', 'remind', [CompletionResultType]::ParameterValue, 'Set when a token (or an integration''s tokens) remind: days before expiry')
            [CompletionResult]::new('calendar', 'calendar', [CompletionResultType]::ParameterValue, 'Write expiries as an iCalendar file with alarms at the lead times (no secrets)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Rotate a token (one click where its API can, guided otherwise), or all due')
            [CompletionResult]::new('rotations', 'rotations', [CompletionResultType]::ParameterValue, 'Rotations: unfinished ones (resumed at every start), orphans, abandon')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Show or set a token''s (or an integration''s) rotation policy')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with current secrets in its environment (never on disk or screen)')
            [CompletionResult]::new('inject', 'inject', [CompletionResultType]::ParameterValue, 'Fill a template''s tw:// references with current secrets, into a new 0600 file')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with an env file''s variables, tw:// references resolved, in its environment (never on disk or screen)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages into a folder')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Restore the previous generation of a vault that cannot be used, or accept an older copy put back on purpose (both recorded in the audit log)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;init' {
            [CompletionResult]::new('--work-factor', '--work-factor', [CompletionResultType]::ParameterName, 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--passphrase', '--passphrase', [CompletionResultType]::ParameterName, 'Keep the key behind a passphrase instead of the OS keyring')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;add' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider: goodaccess, goodpayments, agencyaccess, platform-api, custom')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'name')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope the token holds (repeat for more)')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'An IP or CIDR range the token is restricted to (repeat for more)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never [default: never, or the expiry a pasted token carries itself]')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'note')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'The integration the token belongs to (for verify, revoke, reconcile)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;edit' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'name')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'The token''s scopes, replacing its own (repeat for more)')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'The IPs or CIDR ranges it is restricted to, replacing its own (repeat)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'YYYY-MM-DD (start of that day, UTC), an RFC 3339 time, or never')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'note')
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'The integration it belongs to (label or id)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--no-scopes', '--no-scopes', [CompletionResultType]::ParameterName, 'Remove every scope')
            [CompletionResult]::new('--any-ip', '--any-ip', [CompletionResultType]::ParameterName, 'Remove every IP restriction')
            [CompletionResult]::new('--no-integration', '--no-integration', [CompletionResultType]::ParameterName, 'Detach it from its integration')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;list' {
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only tokens whose name, provider, integration or a scope contains TEXT (without case)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'The order: expiry (soonest first), name, or provider')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Leave revoked tokens out (the window''s default)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;show' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;reveal' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;rm' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;import' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'What made the file: keepassxc, bitwarden, 1password or env [default: told from its content]')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be imported and skipped, and import nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;audit' {
            [CompletionResult]::new('--export', '--export', [CompletionResultType]::ParameterName, 'Write the whole log to this new file (never over one; owner-only)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The export''s format: csv or json (default: from the file''s extension, else csv)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Check the hash chain instead of listing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'The entries as JSON (their raw detail included)')
            [CompletionResult]::new('--detail', '--detail', [CompletionResultType]::ParameterName, 'Each entry''s raw detail after its sentence')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;identity' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the vault key to a file for recovery (passphrase-protected by default)')
            [CompletionResult]::new('custody', 'custody', [CompletionResultType]::ParameterValue, 'Move the vault key to the OS keyring, or behind a (new) passphrase')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;identity;export' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'out')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the export''s passphrase from this file instead of a prompt')
            [CompletionResult]::new('--work-factor', '--work-factor', [CompletionResultType]::ParameterName, 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'confirm')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--unprotected', '--unprotected', [CompletionResultType]::ParameterName, 'Write the key in clear text (keep the file offline)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;identity;custody' {
            [CompletionResult]::new('--new-passphrase-file', '--new-passphrase-file', [CompletionResultType]::ParameterName, 'Read the new passphrase from this file instead of a prompt')
            [CompletionResult]::new('--work-factor', '--work-factor', [CompletionResultType]::ParameterName, 'scrypt work factor (log2) for a new passphrase file; 17 takes about a quarter second, each step doubles it')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'confirm')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;identity;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the vault key to a file for recovery (passphrase-protected by default)')
            [CompletionResult]::new('custody', 'custody', [CompletionResultType]::ParameterValue, 'Move the vault key to the OS keyring, or behind a (new) passphrase')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;identity;help;export' {
            break
        }
        'tw;identity;help;custody' {
            break
        }
        'tw;identity;help;help' {
            break
        }
        'tw;recipients' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Also encrypt the vault to this age public key (age1...)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the extra recipients')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Stop encrypting to a recipient (copies it already has stay readable to it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;recipients;add' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'label')
            [CompletionResult]::new('--confirm', '--confirm', [CompletionResultType]::ParameterName, 'confirm')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;recipients;list' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;recipients;rm' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;recipients;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Also encrypt the vault to this age public key (age1...)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the extra recipients')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Stop encrypting to a recipient (copies it already has stay readable to it)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;recipients;help;add' {
            break
        }
        'tw;recipients;help;list' {
            break
        }
        'tw;recipients;help;rm' {
            break
        }
        'tw;recipients;help;help' {
            break
        }
        'tw;integration' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a provider account; one whose API manages tokens reads its managing token from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List integrations')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Rename an integration, or change its base URL or how its tokens are verified')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove an integration (its tokens stay in the vault, detached)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;integration;add' {
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'The provider: goodaccess, goodpayments, agencyaccess, platform-api, custom')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'label')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API''s base URL [default: the provider''s own]')
            [CompletionResult]::new('--verify-url', '--verify-url', [CompletionResultType]::ParameterName, 'Verify-only providers: the full URL of a read-only endpoint')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'The header carrying the credential [default: per provider]')
            [CompletionResult]::new('--scheme', '--scheme', [CompletionResultType]::ParameterName, 'The scheme before the credential in that header, e.g. Bearer ("none" for none)')
            [CompletionResult]::new('--expected-status', '--expected-status', [CompletionResultType]::ParameterName, 'The status the verify URL answers when the credential works')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A managing token''s scopes (it needs those that manage tokens)')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'When the managing token expires')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--no-verify', '--no-verify', [CompletionResultType]::ParameterName, 'Store without checking the managing token against the API first')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;integration;list' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;integration;edit' {
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A new label')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'A new base URL ("default" for the provider''s own)')
            [CompletionResult]::new('--verify-url', '--verify-url', [CompletionResultType]::ParameterName, 'Verify-only providers: a new verify URL')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'header')
            [CompletionResult]::new('--scheme', '--scheme', [CompletionResultType]::ParameterName, '"none" for no scheme')
            [CompletionResult]::new('--expected-status', '--expected-status', [CompletionResultType]::ParameterName, 'expected-status')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'With --credential: the managing token''s scopes')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'With --credential: when the managing token expires')
            [CompletionResult]::new('--confirm-host', '--confirm-host', [CompletionResultType]::ParameterName, 'Verify-only providers, when the verify URL moves to another host: that host, typed again (each token''s secret goes there when verified)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'When the base URL moves to another host: the managing token again, read from standard input (checked against the new host before anything is stored)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;integration;rm' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;integration;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a provider account; one whose API manages tokens reads its managing token from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List integrations')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Rename an integration, or change its base URL or how its tokens are verified')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove an integration (its tokens stay in the vault, detached)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;integration;help;add' {
            break
        }
        'tw;integration;help;list' {
            break
        }
        'tw;integration;help;edit' {
            break
        }
        'tw;integration;help;rm' {
            break
        }
        'tw;integration;help;help' {
            break
        }
        'tw;team' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The connection, the last sync, and what the server lets this member do')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring this vault''s copy of the team''s tokens up to the server''s')
            [CompletionResult]::new('share', 'share', [CompletionResultType]::ParameterValue, 'Move a token of this vault into the team')
            [CompletionResult]::new('leave', 'leave', [CompletionResultType]::ParameterValue, 'Disconnect from the team (its tokens stay on the server; the copy here goes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;team;connect' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'The server''s address, e.g. https://bao.example.com:8200')
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'The KV v2 mount')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'The team''s prefix under the mount')
            [CompletionResult]::new('--userpass', '--userpass', [CompletionResultType]::ParameterName, 'Sign in with userpass as this user (the password from standard input)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;team;status' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Do not ask the server (what this vault recorded only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;team;sync' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;team;share' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;team;leave' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;team;help' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The connection, the last sync, and what the server lets this member do')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring this vault''s copy of the team''s tokens up to the server''s')
            [CompletionResult]::new('share', 'share', [CompletionResultType]::ParameterValue, 'Move a token of this vault into the team')
            [CompletionResult]::new('leave', 'leave', [CompletionResultType]::ParameterValue, 'Disconnect from the team (its tokens stay on the server; the copy here goes)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;team;help;connect' {
            break
        }
        'tw;team;help;status' {
            break
        }
        'tw;team;help;sync' {
            break
        }
        'tw;team;help;share' {
            break
        }
        'tw;team;help;leave' {
            break
        }
        'tw;team;help;help' {
            break
        }
        'tw;verify' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;create' {
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'The integration to create the token in')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'name')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'A scope (repeat); added to the preset''s')
            [CompletionResult]::new('--preset', '--preset', [CompletionResultType]::ParameterName, 'One of the provider''s presets (GoodAccess: logging, inventory, provisioning, token-management)')
            [CompletionResult]::new('--allow-ip', '--allow-ip', [CompletionResultType]::ParameterName, 'allow-ip')
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'YYYY-MM-DD (start of that day, UTC) or an RFC 3339 time')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'note')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;revoke' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;reconcile' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;sandbox' {
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Where the simulated accounts are kept between runs [default: beside the vault]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port on 127.0.0.1 [default: any free one]')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;reminders' {
            [CompletionResult]::new('--within', '--within', [CompletionResultType]::ParameterName, 'Show tokens expiring within this many days')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--fire', '--fire', [CompletionResultType]::ParameterName, 'Print the due reminders once and mark them fired (for cron or scripts)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;snooze' {
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'days')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;remind' {
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'integration')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'e.g. 30,7,1,0 (0: at expiry); none for no reminders; default (or "") to inherit')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'The vault''s default, for every token without its own or its integration''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;calendar' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'out')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;rotate' {
            [CompletionResult]::new('--expires', '--expires', [CompletionResultType]::ParameterName, 'The new token''s expiry: YYYY-MM-DD (start of that day, UTC) or RFC 3339 [default: the old token''s lifetime, from now]')
            [CompletionResult]::new('--within', '--within', [CompletionResultType]::ParameterName, 'With --due: days ahead [default: each token''s automatic lead, else 7]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Rotations at once with --due')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Guided rotation: the new token''s name [default: the proposed one]')
            [CompletionResult]::new('--confirm-retired', '--confirm-retired', [CompletionResultType]::ParameterName, 'Guided rotation: say the old key is deleted in the dashboard (token or rotation)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--due', '--due', [CompletionResultType]::ParameterName, 'Rotate every token due: expiring within --within days, or its own automatic lead')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Rotate tokens whose policy is "ask" without asking')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Guided rotation: switch to the pasted key even if it does not verify from here; with --confirm-retired: even if the provider cannot tell the old key is gone')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;rotations' {
            [CompletionResult]::new('--revoke-orphans', '--revoke-orphans', [CompletionResultType]::ParameterName, 'Revoke the orphans a rotation found (tokens created by a call whose answer was lost)')
            [CompletionResult]::new('--abandon', '--abandon', [CompletionResultType]::ParameterName, 'Give up a rotation that has not switched to its new token (the new one is revoked)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Finished ones too')
            [CompletionResult]::new('--retry', '--retry', [CompletionResultType]::ParameterName, 'Retry the unfinished ones now, not at their retry time')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'json')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;policy' {
            [CompletionResult]::new('--integration', '--integration', [CompletionResultType]::ParameterName, 'Set the default of an integration''s tokens instead')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'one-click, ask or never')
            [CompletionResult]::new('--auto-days', '--auto-days', [CompletionResultType]::ParameterName, 'One-click only: rotate by itself this many days before expiry')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--clear', '--clear', [CompletionResultType]::ParameterName, 'Remove the setting (inherit again)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;exec' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'VAR=TOKEN: put the token''s current secret in the variable VAR (repeat)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'VAR=TOKEN: put the token''s current secret in the variable VAR (repeat)')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;inject' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'The template, with tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references [default: standard input]')
            [CompletionResult]::new('--in-file', '--in-file', [CompletionResultType]::ParameterName, 'The template, with tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references [default: standard input]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The file to write, created owner-only (0600); never over an existing one without --force [default: standard output, refused on a terminal]')
            [CompletionResult]::new('--out-file', '--out-file', [CompletionResultType]::ParameterName, 'The file to write, created owner-only (0600); never over an existing one without --force [default: standard output, refused on a terminal]')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace the output file if it exists (whole, by a rename; still 0600)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the output file if it exists (whole, by a rename; still 0600)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;run' {
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'NAME=VALUE lines (# comments, quotes); values may hold tw://NAME, tw://INTEGRATION/NAME or {{ tw://NAME WITH SPACES }} references')
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;completions' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;man' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;recover' {
            [CompletionResult]::new('--vault', '--vault', [CompletionResultType]::ParameterName, 'The vault file [default: the OS app-data folder]')
            [CompletionResult]::new('--from-previous', '--from-previous', [CompletionResultType]::ParameterName, 'Put vault.age.prev in the vault''s place (the file there is kept beside it)')
            [CompletionResult]::new('--accept-older', '--accept-older', [CompletionResultType]::ParameterName, 'Keep the vault as it is although a newer generation was seen: an older copy you restored yourself')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tw;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new vault, its key in the OS keyring (or behind a passphrase)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a token; its secret is read from standard input or a hidden prompt')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change a token''s name, scopes, allowed IPs, expiry, note or integration')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens, soonest expiry first (secrets masked)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one token (secret masked)')
            [CompletionResult]::new('reveal', 'reveal', [CompletionResultType]::ParameterValue, 'Print a token''s secret, for piping (audited)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a token and its secret from the vault (audited)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import tokens from a KeePassXC, Bitwarden or 1Password export or a .env file (a preview first; --dry-run stops there)')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the audit log, or verify its hash chain')
            [CompletionResult]::new('identity', 'identity', [CompletionResultType]::ParameterValue, 'Export or manage the vault key')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'Extra age recipients the vault is also encrypted to (a backup key, a colleague)')
            [CompletionResult]::new('integration', 'integration', [CompletionResultType]::ParameterValue, 'Provider accounts: add, list, edit, remove')
            [CompletionResult]::new('team', 'team', [CompletionResultType]::ParameterValue, 'Share tokens with a team through OpenBao / HashiCorp Vault (KV v2)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check that a token works against its provider')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token through its provider''s API and store it at once')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke a token at its provider and mark it revoked')
            [CompletionResult]::new('reconcile', 'reconcile', [CompletionResultType]::ParameterValue, 'Compare an integration''s tokens at the provider with the vault')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Run a simulated GoodAccess with a demo integration, to try everything offline')
            [CompletionResult]::new('reminders', 'reminders', [CompletionResultType]::ParameterValue, 'Reminders due now, and tokens expiring soon')
            [CompletionResult]::new('snooze', 'snooze', [CompletionResultType]::ParameterValue, 'Snooze a token''s due reminders')
            [CompletionResult]::new('remind', 'remind', [CompletionResultType]::ParameterValue, 'Set when a token (or an integration''s tokens) remind: days before expiry')
            [CompletionResult]::new('calendar', 'calendar', [CompletionResultType]::ParameterValue, 'Write expiries as an iCalendar file with alarms at the lead times (no secrets)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Rotate a token (one click where its API can, guided otherwise), or all due')
            [CompletionResult]::new('rotations', 'rotations', [CompletionResultType]::ParameterValue, 'Rotations: unfinished ones (resumed at every start), orphans, abandon')
            [CompletionResult]::new('policy', 'policy', [CompletionResultType]::ParameterValue, 'Show or set a token''s (or an integration''s) rotation policy')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with current secrets in its environment (never on disk or screen)')
            [CompletionResult]::new('inject', 'inject', [CompletionResultType]::ParameterValue, 'Fill a template''s tw:// references with current secrets, into a new 0600 file')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with an env file''s variables, tw:// references resolved, in its environment (never on disk or screen)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages into a folder')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Restore the previous generation of a vault that cannot be used, or accept an older copy put back on purpose (both recorded in the audit log)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tw;help;init' {
            break
        }
        'tw;help;add' {
            break
        }
        'tw;help;edit' {
            break
        }
        'tw;help;list' {
            break
        }
        'tw;help;show' {
            break
        }
        'tw;help;reveal' {
            break
        }
        'tw;help;rm' {
            break
        }
        'tw;help;import' {
            break
        }
        'tw;help;audit' {
            break
        }
        'tw;help;identity' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write the vault key to a file for recovery (passphrase-protected by default)')
            [CompletionResult]::new('custody', 'custody', [CompletionResultType]::ParameterValue, 'Move the vault key to the OS keyring, or behind a (new) passphrase')
            break
        }
        'tw;help;identity;export' {
            break
        }
        'tw;help;identity;custody' {
            break
        }
        'tw;help;recipients' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Also encrypt the vault to this age public key (age1...)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the extra recipients')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Stop encrypting to a recipient (copies it already has stay readable to it)')
            break
        }
        'tw;help;recipients;add' {
            break
        }
        'tw;help;recipients;list' {
            break
        }
        'tw;help;recipients;rm' {
            break
        }
        'tw;help;integration' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a provider account; one whose API manages tokens reads its managing token from stdin')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List integrations')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Rename an integration, or change its base URL or how its tokens are verified')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove an integration (its tokens stay in the vault, detached)')
            break
        }
        'tw;help;integration;add' {
            break
        }
        'tw;help;integration;list' {
            break
        }
        'tw;help;integration;edit' {
            break
        }
        'tw;help;integration;rm' {
            break
        }
        'tw;help;team' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect this vault to a team: the OpenBao token is read from standard input, or with --userpass the password is')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'The connection, the last sync, and what the server lets this member do')
            [CompletionResult]::new('sync', 'sync', [CompletionResultType]::ParameterValue, 'Bring this vault''s copy of the team''s tokens up to the server''s')
            [CompletionResult]::new('share', 'share', [CompletionResultType]::ParameterValue, 'Move a token of this vault into the team')
            [CompletionResult]::new('leave', 'leave', [CompletionResultType]::ParameterValue, 'Disconnect from the team (its tokens stay on the server; the copy here goes)')
            break
        }
        'tw;help;team;connect' {
            break
        }
        'tw;help;team;status' {
            break
        }
        'tw;help;team;sync' {
            break
        }
        'tw;help;team;share' {
            break
        }
        'tw;help;team;leave' {
            break
        }
        'tw;help;verify' {
            break
        }
        'tw;help;create' {
            break
        }
        'tw;help;revoke' {
            break
        }
        'tw;help;reconcile' {
            break
        }
        'tw;help;sandbox' {
            break
        }
        'tw;help;reminders' {
            break
        }
        'tw;help;snooze' {
            break
        }
        'tw;help;remind' {
            break
        }
        'tw;help;calendar' {
            break
        }
        'tw;help;rotate' {
            break
        }
        'tw;help;rotations' {
            break
        }
        'tw;help;policy' {
            break
        }
        'tw;help;exec' {
            break
        }
        'tw;help;inject' {
            break
        }
        'tw;help;run' {
            break
        }
        'tw;help;completions' {
            break
        }
        'tw;help;man' {
            break
        }
        'tw;help;recover' {
            break
        }
        'tw;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
