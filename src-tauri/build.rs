/// Every command the window may call. Listing them here makes tauri-build generate an
/// `allow-<command>` permission for each, and a command not granted in
/// src-tauri/capabilities is refused (without the manifest, every command is open).
const COMMANDS: &[&str] = &[
    "vault_status",
    "team_status",
    "team_connect",
    "team_sync",
    "team_share",
    "team_leave",
    "unlock",
    "create_vault",
    "recover_vault",
    "lock_vault",
    "list_tokens",
    "token_detail",
    "reveal_secret",
    "copy_secret",
    "add_token",
    "edit_token",
    "remove_token",
    "rotate_token",
    "rotate_due",
    "guided_begin",
    "guided_submit",
    "guided_confirm",
    "audit_log",
    "start_sandbox",
    "check_reminders",
    "create_remote",
    "scope_advice",
    "check_ips",
    "audit_export",
    "import_preview",
    "import_apply",
    "choose_import_file",
    "remember_screen",
    "window_memory",
    "list_integrations",
    "verify_integration",
    "reconcile_integration",
    "set_integration_reminders",
    "get_settings",
    "set_settings",
    "touch",
    "ui_ready",
    "integration_view",
    "add_integration",
    "edit_integration",
    "remove_integration",
    "set_token_policy",
    "add_recipient",
    "remove_recipient",
    "export_identity",
    "change_custody",
    "provider_catalog",
];

fn main() {
    // The build script runs in the package root, where the capabilities are not in the
    // default place: point tauri-build at src-tauri/capabilities (docs/RECIPES.md).
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=ui");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
