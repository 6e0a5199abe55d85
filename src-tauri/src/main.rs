// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKitGTK's DMA-BUF renderer costs about 75 MiB more (PSS) here for a list and a
    // few dialogs, and leaves a blank window with some GPU drivers. Set the variable to
    // 0 to have it back. Done first, while the process has one thread.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    tokenwarden_app::run();
}
