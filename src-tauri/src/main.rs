// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // glibc's allocator raises its mmap threshold to the size of each large block freed
    // (up to 32 MiB); larger blocks then come from its heaps, and what they leave free
    // stays resident between the blocks still used. A fixed threshold keeps every block
    // over 128 KiB in a mapping of its own, handed back when freed. Measured with the
    // window open on 10,000 tokens: the app process 96-100 → 91 MiB PSS (benches,
    // README "The desktop app"). Set first, while the process has one thread.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters; called before any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    // WebKitGTK's DMA-BUF renderer costs about 75 MiB more (PSS) here for a list and a
    // few dialogs, and leaves a blank window with some GPU drivers. Set the variable to
    // 0 to have it back. Done first, while the process has one thread.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    // GDK probes GLX when it opens the display, which loads Mesa (and with it LLVM,
    // about 20 MiB PSS here) into a process that draws with cairo: WebKit's web process
    // does its own rendering, and nothing in the app uses a GdkGLContext. Measured in
    // the tray from a start at login: 80 → 59 MiB PSS, 122 → 70 MiB RSS; the window
    // draws the same (benches/tray.sh, README "In the tray"). GDK_GL set to anything
    // (even empty) leaves GDK's own choice. X11 only: on Wayland GDK does not probe at
    // display open (nothing to save), and with the DMA-BUF renderer off WebKitGTK's
    // Wayland path draws the page in this process through a GDK GL context.
    #[cfg(target_os = "linux")]
    let x11 = std::env::var_os("WAYLAND_DISPLAY").is_none()
        || std::env::var("GDK_BACKEND").is_ok_and(|b| b.starts_with("x11"));
    #[cfg(target_os = "linux")]
    if x11 && std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    tokenwarden_app::run();
}
